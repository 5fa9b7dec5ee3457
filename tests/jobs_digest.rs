//! End to end: the weekly digest posted once at its time, late after downtime within the grace,
//! skipped after it, once between two instances; and `/report preview|post`.

mod support;

use chrono::{Duration, TimeZone, Utc};
use fakes::discord::{Message, SlashCommand};
use fakes::openrouter::{Usage, Usd};
use openrouter_team_bot::app::{self, JobMode};
use support::bot::*;

fn digest_posts(h: &Harness) -> Vec<Message> {
    h.discord
        .messages_in(REPORTS)
        .into_iter()
        .filter(|m| m.embed_text().starts_with("Weekly digest"))
        .collect()
}

/// Mia has a key and spends a dollar a day from Wednesday 25 November on, synced daily.
async fn a_week_of_spend(h: &Harness) {
    h.member_gets_key(MIA, "mia").await;
    let key = h.openrouter.keys()[0].hash.clone();
    for day in 1..=4 {
        h.advance(Duration::days(1));
        let spent = Usd::from_dollars(day);
        h.openrouter.set_usage(
            &key,
            Usage {
                total: spent,
                daily: Usd::from_dollars(1),
                weekly: spent,
                monthly: spent,
            },
        );
        h.tick().await;
    }
    // Sunday 29 November, 09:00 UTC.
}

fn monday(hour: u32, minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, hour, minute, 0).unwrap()
}

on_each_database!(
    the_digest_is_posted_once_at_its_time_with_its_chart,
    |db| async move {
        let h = Harness::start(db).await;
        a_week_of_spend(&h).await;
        assert!(
            digest_posts(&h).is_empty(),
            "last week's run was missed by days: skipped"
        );
        h.clock.set(monday(9, 0) + Duration::seconds(20));
        h.tick().await;
        h.tick().await;
        let posts = digest_posts(&h);
        assert_eq!(posts.len(), 1);
        let post = &posts[0];
        assert!(
            post.embed_text().contains("Weekly digest 2026-W48"),
            "{}",
            post.embed_text()
        );
        assert!(!post.content.contains("Posted late"), "{}", post.content);
        let png = post
            .attachments
            .iter()
            .find(|a| a.filename.ends_with(".png"))
            .expect("the chart");
        assert!(png.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(
            post.attachments
                .iter()
                .any(|a| a.filename.ends_with(".csv"))
        );
        assert!(post.nonce.is_some());
        assert_eq!(
            h.store().job_run_count("weekly_digest").await.unwrap(),
            2,
            "W47 skipped, W48 posted"
        );
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );
    }
);

on_each_database!(
    a_digest_missed_while_down_is_posted_late_within_the_grace,
    |db| async move {
        let h = Harness::start(db).await;
        a_week_of_spend(&h).await;
        let h = h.restart_after(|_, _| {}).await;
        // The bot was down over Monday 09:00 and is back at 11:00.
        h.clock.set(monday(11, 0));
        h.tick().await;
        h.tick().await;
        let posts = digest_posts(&h);
        assert_eq!(posts.len(), 1);
        assert!(
            posts[0].content.contains("Posted late"),
            "{}",
            posts[0].content
        );
    }
);

on_each_database!(a_digest_missed_past_the_grace_is_skipped, |db| async move {
    let h = Harness::start(db).await;
    a_week_of_spend(&h).await;
    // Back on Wednesday: 50 hours late with a 24-hour grace.
    h.clock.set(monday(9, 0) + Duration::hours(50));
    let ran = h.tick().await;
    let digest = ran
        .iter()
        .find(|r| r.job == "weekly_digest")
        .expect("the run is recorded");
    assert!(digest.outcome.starts_with("skipped"), "{}", digest.outcome);
    assert!(digest_posts(&h).is_empty());
});

on_each_database!(two_instances_post_the_digest_once, |db| async move {
    let h = Harness::start(db).await;
    a_week_of_spend(&h).await;
    let second = app::start_bot(&h.config, h.clock.clone(), JobMode::OnDemand)
        .await
        .expect("a second instance starts");
    h.clock.set(monday(9, 0));
    let (_, _) = tokio::join!(h.tick(), second.run_due_jobs());
    assert_eq!(digest_posts(&h).len(), 1);
    second.shutdown().await.expect("the second instance stops");
});

on_each_database!(
    admins_preview_and_post_the_digest_on_demand,
    |db| async move {
        let h = Harness::start(db).await;
        a_week_of_spend(&h).await;
        h.clock.set(monday(8, 0));
        let refused = h
            .runs(SlashCommand::new(OLU, "report").subcommand("preview"))
            .await;
        assert_eq!(refused.text(), "Only team admins can do that.");
        let preview = h
            .runs(SlashCommand::new(DANA, "report").subcommand("preview"))
            .await;
        assert!(preview.ephemeral());
        assert!(
            preview.text().contains("Weekly digest 2026-W48"),
            "{}",
            preview.text()
        );
        assert!(digest_posts(&h).is_empty(), "a preview posts nothing");
        let posted = h
            .runs(SlashCommand::new(DANA, "report").subcommand("post"))
            .await;
        assert!(
            posted.text().contains("Posted the digest of 2026-W48"),
            "{}",
            posted.text()
        );
        assert_eq!(digest_posts(&h).len(), 1);
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );
    }
);

on_each_database!(
    a_week_without_recorded_usage_is_posted_as_one_line,
    |db| async move {
        // A new install: nobody has a key, so the syncs of the week recorded nothing.
        let h = Harness::start(db).await;
        h.clock.set(monday(9, 0) + Duration::seconds(20));
        h.tick().await;
        h.tick().await;
        let posts = h.discord.messages_in(REPORTS);
        assert_eq!(posts.len(), 1, "{posts:?}");
        let post = &posts[0];
        assert_eq!(
            post.content,
            "No usage recorded for 2026-W48 yet: the bot records spend from its syncs (`run`, or `sync` once)"
        );
        assert!(post.embeds.is_empty(), "no table of $0.00");
        assert!(post.attachments.is_empty(), "no chart and no CSV of zeros");
    }
);
