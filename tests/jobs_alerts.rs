//! End to end: usage syncs, budget alerts exactly once per threshold and window, and top-ups.

mod support;

use chrono::Duration;
use fakes::openrouter::{Usage, Usd};
use openrouter_team_bot::clock::Clock;
use support::bot::*;

fn spent(dollars_cents: i64) -> Usage {
    let d = Usd::from_micros(dollars_cents * 10_000);
    Usage {
        total: d,
        daily: d,
        weekly: d,
        monthly: d,
    }
}

/// The hash of `member`'s key at the fake OpenRouter.
fn key_of(h: &Harness, member: &str) -> String {
    h.openrouter
        .keys()
        .into_iter()
        .find(|k| k.name.starts_with(&format!("team:{member}:")))
        .expect("the member's key")
        .hash
}

/// Sets the spend at the fake, moves five minutes on and runs the due jobs (a sync).
async fn sync_with(h: &Harness, key: &str, cents: i64) {
    h.openrouter.set_usage(key, spent(cents));
    h.advance(Duration::minutes(5));
    let ran = h.tick().await;
    assert!(
        ran.iter()
            .any(|r| r.job == "sync" && r.outcome.starts_with("1 key synced, ")),
        "{ran:?}"
    );
}

/// MIA asks for a $5 top-up from the alert DM `dm`; returns what she was told and the card of
/// top-up #1 in the approvals channel.
async fn asks_for_five_dollars(
    h: &Harness,
    dm: &fakes::discord::Message,
    reason: &str,
) -> (String, fakes::discord::Message) {
    let form = h.clicks(MIA, dm, "Request top-up");
    let sent = h
        .discord
        .answer_modal(form, &[("amount", "5"), ("reason", reason)])
        .await;
    let told = h.discord.reply_to(sent).await.text();
    let card = h
        .discord
        .wait_for_message_in(APPROVALS, |m| m.embed_text().contains("Top-up request #1"))
        .await;
    (told, card)
}

/// The pace warnings in the alerts channel.
fn pace_warnings(h: &Harness) -> Vec<fakes::discord::Message> {
    h.discord
        .messages_in(ALERTS)
        .into_iter()
        .filter(|m| m.embed_text().starts_with("Budget pace"))
        .collect()
}

fn levels(alerts: &[fakes::discord::Message]) -> Vec<String> {
    alerts
        .iter()
        .map(|m| {
            let text = m.embed_text();
            text.split_once("% threshold")
                .map(|(before, _)| before.rsplit(' ').next().unwrap_or("").to_string())
                .unwrap_or(text)
        })
        .collect()
}

on_each_database!(
    each_threshold_is_announced_once_per_window_even_across_restarts,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");

        sync_with(&h, &key, 100).await; // 10 %
        assert!(h.budget_alerts().is_empty());
        sync_with(&h, &key, 550).await; // 55 %
        let h = h.restart().await;
        sync_with(&h, &key, 850).await; // 85 %
        sync_with(&h, &key, 850).await; // unchanged: nothing new
        let h = h.restart().await;
        sync_with(&h, &key, 1200).await; // 120 %
        sync_with(&h, &key, 1300).await;

        let alerts = h.budget_alerts();
        assert!(
            pace_warnings(&h).is_empty(),
            "pace warnings are off unless alerts.pace is set"
        );
        assert_eq!(
            levels(&alerts),
            vec!["50", "80", "100"],
            "{:?}",
            alerts.iter().map(|m| m.embed_text()).collect::<Vec<_>>()
        );
        let dms: Vec<_> = h
            .discord
            .dms_to(MIA)
            .into_iter()
            .filter(|m| m.embed_text().starts_with("Your budget"))
            .collect();
        assert_eq!(dms.len(), 3, "each alert is also DMed");
        // The DM speaks to the member, with the reset as a Discord timestamp.
        let at_limit = dms[2].embed_text();
        let tomorrow = (h.clock.now() + Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert!(
            at_limit.contains(&format!(
                "You have used 120% of your $10.00 daily limit: OpenRouter refuses your key's requests until the limit resets <t:{tomorrow}:R>."
            )),
            "{at_limit}"
        );
        assert!(
            !at_limit.contains("Member:"),
            "not the channel's third person: {at_limit}"
        );
        assert!(
            alerts[0].button("Request top-up").is_none(),
            "no top-up at 50 %"
        );
        assert!(
            alerts[1].button("Request top-up").is_some(),
            "top-up from 80 %"
        );
        let text = alerts[2].embed_text();
        assert!(text.contains("$12.00 today (UTC)"), "{text}");
        assert!(text.contains("$10.00 per day"), "{text}");
        assert!(text.contains("team:mia:r1"), "{text}");

        // The next day the window is new and alerts start again.
        h.advance(Duration::days(1));
        sync_with(&h, &key, 600).await;
        assert_eq!(levels(&h.budget_alerts()), vec!["50", "80", "100", "50"]);
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );
    }
);

on_each_database!(
    a_jump_past_several_thresholds_is_one_alert,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(OLU, "olu").await;
        let key = key_of(&h, "olu");
        sync_with(&h, &key, 100).await;
        sync_with(&h, &key, 1000).await; // 10 % -> 100 %
        sync_with(&h, &key, 1000).await;
        assert_eq!(levels(&h.budget_alerts()), vec!["100"]);
    }
);

on_each_database!(
    a_top_up_is_requested_approved_applied_and_reverted_at_the_reset,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");
        sync_with(&h, &key, 850).await; // 85 %: the alert offers a top-up
        let dm = h
            .discord
            .wait_for_dm(MIA, |m| m.button("Request top-up").is_some())
            .await;

        // Only the owner may ask.
        let refused = h.clicks(OLU, &dm, "Request top-up");
        let refused = h
            .discord
            .answer_modal(refused, &[("amount", "5"), ("reason", "mine")])
            .await;
        assert_eq!(
            h.discord.reply_to(refused).await.text(),
            "Only the key's owner can ask for a top-up."
        );
        // Amounts are bounded by alerts.top_up_max_usd (50 by default) and must be numbers.
        for (amount, says) in [
            ("500", "at most $50.00"),
            ("-5", "cannot be negative"),
            ("lots", "not a dollar amount"),
        ] {
            let form = h.clicks(MIA, &dm, "Request top-up");
            let sent = h.discord.answer_modal(form, &[("amount", amount)]).await;
            let text = h.discord.reply_to(sent).await.text();
            assert!(text.contains(says), "{amount}: {text}");
        }

        let (told, card) = asks_for_five_dollars(&h, &dm, "demo tomorrow").await;
        assert!(told.contains("Top-up #1 of $5.00"), "{told}");
        assert!(card.embed_text().contains("demo tomorrow"));
        let denied_for_olu = h.clicks_and_sees(OLU, &card, "Approve top-up").await;
        assert_eq!(denied_for_olu.text(), "Only team admins can do that.");
        let approved = h.clicks_and_sees(DANA, &card, "Approve top-up").await;
        assert!(
            approved.text().contains("Top-up #1 approved"),
            "{}",
            approved.text()
        );
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(15))
        );
        let again = h.clicks_and_sees(ERIK, &card, "Approve top-up").await;
        assert!(again.text().contains("already applied"), "{}", again.text());
        h.discord
            .wait_for_dm(MIA, |m| {
                m.embed_text().contains("was approved: the limit is raised")
            })
            .await;

        // Still raised later the same day; back to normal after the daily reset.
        h.advance(Duration::hours(2));
        h.tick().await;
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(15))
        );
        h.advance(Duration::days(1));
        h.tick().await;
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(10))
        );
        let actions: Vec<String> = h
            .store()
            .recent_audit(50)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for action in ["request_top_up", "approve_top_up", "revert_top_up"] {
            assert!(
                actions.iter().any(|a| a == action),
                "{action} in {actions:?}"
            );
        }
        h.discord
            .wait_for_dm(MIA, |m| m.embed_text().contains("Your top-up has ended"))
            .await;
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );
    }
);

on_each_database!(low_credits_are_announced_once_a_day, |db| async move {
    use fakes::openrouter::Credits;
    let h = Harness::start(db).await;
    let credits_alerts = |h: &Harness| {
        h.discord
            .messages_in(ALERTS)
            .into_iter()
            .filter(|m| m.embed_text().contains("credits are running low"))
            .count()
    };
    h.openrouter.set_credits(Credits {
        total_credits: Usd::from_dollars(100),
        total_usage: Usd::from_dollars(95),
    });
    h.tick().await;
    assert_eq!(credits_alerts(&h), 1);
    let text = h.discord.messages_in(ALERTS).last().unwrap().embed_text();
    assert!(text.contains("$5.00 left of $100.00"), "{text}");
    h.advance(Duration::hours(2));
    h.tick().await;
    assert_eq!(credits_alerts(&h), 1, "at most once a day");
    h.advance(Duration::days(1));
    h.tick().await;
    assert_eq!(credits_alerts(&h), 2);
});

on_each_database!(
    a_spend_spike_is_announced_once_per_member_per_day,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");
        let spikes = |h: &Harness| {
            h.discord
                .messages_in(ALERTS)
                .into_iter()
                .filter(|m| m.embed_text().starts_with("Spend spike"))
                .collect::<Vec<_>>()
        };
        // A week of about a dollar a day.
        let mut total = 0;
        for _ in 0..7 {
            h.advance(Duration::days(1));
            total += 100;
            h.openrouter.set_usage(
                &key,
                Usage {
                    total: Usd::from_micros(total * 10_000),
                    daily: Usd::from_dollars(1),
                    weekly: Usd::from_dollars(1),
                    monthly: Usd::from_dollars(1),
                },
            );
            h.tick().await;
        }
        assert!(spikes(&h).is_empty(), "an ordinary day is no spike");
        // Then eight dollars in a day (3x the usual and over the $5 minimum).
        h.advance(Duration::days(1));
        h.openrouter.set_usage(
            &key,
            Usage {
                total: Usd::from_dollars(15),
                daily: Usd::from_dollars(8),
                weekly: Usd::from_dollars(8),
                monthly: Usd::from_dollars(8),
            },
        );
        h.tick().await;
        h.advance(Duration::hours(1));
        h.tick().await;
        let found = spikes(&h);
        assert_eq!(found.len(), 1, "once per member per day");
        let text = found[0].embed_text();
        assert!(text.contains("$8.00 today"), "{text}");
        assert!(text.contains("usual $1.00 a day"), "{text}");
    }
);

on_each_database!(
    a_top_up_whose_answer_is_lost_is_applied_once_and_reverted_to_the_base,
    |db| async move {
        use fakes::openrouter::{Endpoint, Fault};

        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");
        sync_with(&h, &key, 850).await;
        let dm = h
            .discord
            .wait_for_dm(MIA, |m| m.button("Request top-up").is_some())
            .await;
        let (_, card) = asks_for_five_dollars(&h, &dm, "demo").await;

        // Every raise reaches OpenRouter, but no answer comes back in time.
        h.openrouter.fail_next(
            Endpoint::UpdateKey,
            2,
            Fault::Delay(std::time::Duration::from_secs(2)),
        );
        let approved = h.clicks_and_sees(DANA, &card, "Approve top-up").await;
        assert!(
            approved.text().contains("Top-up #1 approved"),
            "the key read back shows the raise: {}",
            approved.text()
        );
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(15))
        );
        let again = h.clicks_and_sees(ERIK, &card, "Approve top-up").await;
        assert!(again.text().contains("already applied"), "{}", again.text());
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(15))
        );

        h.advance(Duration::days(1));
        h.tick().await;
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(10)),
            "the reset puts back the limit from before the top-up"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_file_deleted_while_running_is_posted_to_the_alerts_channel_once() {
    let h = Harness::start(support::db::sqlite().await).await;
    let file = h.db.url.trim_start_matches("sqlite://").to_string();
    std::fs::remove_file(&file).expect("the database file can be deleted");

    h.advance(Duration::minutes(1));
    h.tick().await;
    h.advance(Duration::minutes(1));
    h.tick().await;

    let posted: Vec<String> = h
        .discord
        .messages_in(ALERTS)
        .iter()
        .map(|m| m.embed_text())
        .filter(|text| text.contains("database file is gone"))
        .collect();
    assert_eq!(posted.len(), 1, "said once: {posted:?}");
    assert!(posted[0].contains(&file), "{}", posted[0]);
    assert!(posted[0].contains("put the file back"), "{}", posted[0]);
}

on_each_database!(
    a_key_on_track_to_pass_its_limit_is_warned_once_per_window,
    |db| async move {
        let h = Harness::start_with(db, guild(), "[alerts]\npace = true").await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");

        sync_with(&h, &key, 100).await; // 10 %, the first reading
        assert!(pace_warnings(&h).is_empty());
        sync_with(&h, &key, 150).await; // 50 cents in 5 minutes: $8.50 left, 85 minutes
        let reaches = (h.clock.now() + Duration::minutes(85)).timestamp();
        let warnings = pace_warnings(&h);
        assert_eq!(warnings.len(), 1);
        let text = warnings[0].embed_text();
        assert!(
            text.starts_with("Budget pace: mia is on track to pass the limit before it resets"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "At $6.00 an hour (the rate between the last two syncs), mia (<@{MIA}>) reaches the $10.00 daily limit <t:{reaches}:R>"
            )),
            "{text}"
        );
        let dm = h
            .discord
            .dms_to(MIA)
            .into_iter()
            .map(|m| m.embed_text())
            .find(|t| t.starts_with("Your budget: 15% used, and going fast"))
            .expect("Mia is told too");
        assert!(dm.contains(&format!("<t:{reaches}:R>")), "{dm}");

        // Faster still, then past the limit: no second warning in the window, and the limit's
        // alert as always (the highest threshold passed in one sync).
        sync_with(&h, &key, 400).await;
        sync_with(&h, &key, 1100).await;
        assert_eq!(pace_warnings(&h).len(), 1, "once per window");
        assert_eq!(levels(&h.budget_alerts()), vec!["100"]);

        // Tomorrow is a new window, and a warning may come again.
        h.advance(Duration::days(1));
        sync_with(&h, &key, 100).await;
        sync_with(&h, &key, 600).await;
        assert_eq!(pace_warnings(&h).len(), 2);
    }
);
