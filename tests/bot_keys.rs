//! End to end: a member's key after it exists: /budget, rotate, revoke, and the admin actions.

mod support;

use fakes::discord::SlashCommand;
use fakes::openrouter::{self as fake, Endpoint, Fault};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::Usage;
use openrouter_team_bot::reset::LimitReset;
use support::bot::*;
use support::openrouter::{fake_activity, fake_usage};

fn usage(daily_cents: i64) -> Usage {
    let d = Usd::from_micros(daily_cents * 10_000);
    Usage {
        total: d + d + d,
        daily: d,
        weekly: d + d,
        monthly: d + d + d,
    }
}

on_each_database!(
    budget_shows_live_figures_and_falls_back_to_the_last_snapshot,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let hash = h.openrouter.keys()[0].hash.clone();
        h.openrouter.set_usage(&hash, fake_usage(usage(550)));

        let live = h.runs(SlashCommand::new(MIA, "budget")).await;
        assert!(live.ephemeral());
        let text = live.text();
        assert!(text.contains("live from OpenRouter"), "{text}");
        assert!(text.contains("$5.50 of $10.00 per day"), "{text}");
        assert!(text.contains("55%"), "{text}");
        assert!(text.contains("$4.50"), "remaining: {text}");
        // The models of the window (today, on a daily limit) from OpenRouter's activity.
        assert!(
            text.contains("No spend on any model in this window yet."),
            "{text}"
        );
        let today = h.now().date_naive();
        let yesterday = today.pred_opt().unwrap().to_string();
        let today = today.to_string();
        h.openrouter
            .add_activity(&hash, fake_activity(&today, "openai/gpt-4o", 300, 4));
        h.openrouter
            .add_activity(&hash, fake_activity(&today, "openai/gpt-4o-mini", 100, 9));
        h.openrouter.add_activity(
            &hash,
            fake_activity(&yesterday, "anthropic/claude-sonnet-4", 900, 2),
        );
        let models = h.runs(SlashCommand::new(MIA, "budget")).await.text();
        let start = h.now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
        assert!(
            models.contains(&format!("Top models since <t:{}:f>", start.timestamp())),
            "{models}"
        );
        assert!(
            models.contains("`openai/gpt-4o`: $3.00 (75%)\n`openai/gpt-4o-mini`: $1.00 (25%)\nOpenRouter reports models by completed UTC day"),
            "{models}"
        );
        assert!(
            !models.contains("claude"),
            "yesterday is another window: {models}"
        );
        assert!(models.contains("resets <t:"), "{models}");

        // OpenRouter is slow: the answer still comes, from the stored figures, with their time.
        h.openrouter.fail_next(
            Endpoint::GetKey,
            5,
            Fault::Delay(std::time::Duration::from_secs(4)),
        );
        let slow = h.runs(SlashCommand::new(MIA, "budget")).await;
        let text = slow.text();
        assert!(text.contains("as of 09:00 UTC"), "{text}");
        assert!(
            text.contains("$0.00 of $10.00 per day"),
            "stored figures are the last snapshot: {text}"
        );

        // OpenRouter is down.
        h.openrouter
            .fail_always(Endpoint::GetKey, Fault::status(503));
        let down = h.runs(SlashCommand::new(MIA, "budget")).await;
        assert!(down.text().contains("as of 09:00 UTC"), "{}", down.text());
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );

        // An admin can look at anyone's budget; a member without a key is told so.
        h.openrouter.clear_faults();
        let other = h
            .runs(SlashCommand::new(DANA, "budget").user("member", MIA))
            .await;
        assert!(other.text().contains("Budget of mia"), "{}", other.text());
        let none = h.runs(SlashCommand::new(OLU, "budget")).await;
        assert!(
            none.text().contains("You have no key yet"),
            "{}",
            none.text()
        );
    }
);

on_each_database!(
    rotate_replaces_the_key_and_revoke_deletes_it,
    |db| async move {
        let h = Harness::start(db).await;
        let first = h.member_gets_key(MIA, "mia").await;
        let old_hash = h.openrouter.keys()[0].hash.clone();

        let card = h.mykey(MIA).await;
        assert!(
            card.embed_text().contains("team:mia:r1"),
            "{}",
            card.embed_text()
        );
        assert!(
            !card.text().contains(&first),
            "the card never shows the key again"
        );
        let rotated = h.clicks_and_sees(MIA, &card, "Rotate").await;
        let second = secret_in(&rotated.text()).expect("the new key is shown");
        assert_ne!(first, second);
        assert!(
            rotated.text().contains("has been deleted"),
            "{}",
            rotated.text()
        );
        let keys = h.openrouter.keys();
        assert_eq!(keys.len(), 1);
        assert_ne!(keys[0].hash, old_hash);
        assert_eq!(keys[0].name, "team:mia:r2");
        assert_eq!(keys[0].limit, Some(fake::Usd::from_dollars(10)));

        let card = h.mykey(MIA).await;
        let ask = h.clicks_and_sees(MIA, &card, "Revoke").await;
        assert!(ask.text().contains("Revoke your key?"));
        let confirm = ask.message.expect("a confirmation message");
        let done = h.clicks_and_sees(MIA, &confirm, "Yes, revoke my key").await;
        assert!(
            done.text().contains("Revoked `team:mia:r2`"),
            "{}",
            done.text()
        );
        assert!(h.openrouter.keys().is_empty());
        let card = h.mykey(MIA).await;
        assert!(card.button("Request a key").is_some());
        // The audit lines are in words, in the audit channel only.
        let audit: Vec<String> = h
            .discord
            .messages_in(AUDIT)
            .iter()
            .map(|m| m.content.clone())
            .collect();
        let mia = format!("<@{MIA}>");
        assert!(
            audit
                .iter()
                .any(|l| l.starts_with(&format!("{mia} rotated mia's key: "))),
            "{audit:?}"
        );
        assert!(
            audit.contains(&format!("{mia} revoked mia's team:mia:r2")),
            "{audit:?}"
        );
        assert!(audit.iter().all(|l| !l.contains('_')), "{audit:?}");
        assert!(
            h.discord
                .messages_in(ALERTS)
                .iter()
                .all(|m| !m.content.contains("rotated") && !m.content.contains("revoked")),
            "audit lines stay out of the alerts channel"
        );
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );
    }
);

on_each_database!(
    admins_disable_enable_limit_and_revoke_a_members_key,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let hash = h.openrouter.keys()[0].hash.clone();

        let reply = h
            .runs(
                SlashCommand::new(DANA, "keys")
                    .subcommand("disable")
                    .user("user", MIA),
            )
            .await;
        assert!(
            reply.text().contains("Disabled `team:mia:r1`"),
            "{}",
            reply.text()
        );
        assert!(h.openrouter.key(&hash).unwrap().disabled);
        h.runs(
            SlashCommand::new(DANA, "keys")
                .subcommand("enable")
                .user("user", MIA),
        )
        .await;
        assert!(!h.openrouter.key(&hash).unwrap().disabled);

        let reply = h
            .runs(
                SlashCommand::new(DANA, "keys")
                    .subcommand("limit")
                    .user("user", MIA)
                    .string("usd", "25")
                    // The choice's value, as Discord sends it: its position (daily, weekly, ...).
                    .integer("reset", 1),
            )
            .await;
        assert!(
            reply.text().contains("is now $25.00 per week"),
            "{}",
            reply.text()
        );
        let key = h.openrouter.key(&hash).unwrap();
        assert_eq!(key.limit, Some(fake::Usd::from_dollars(25)));
        assert_eq!(key.limit_reset, fake::LimitReset::Weekly);

        let bad = h
            .runs(
                SlashCommand::new(DANA, "keys")
                    .subcommand("limit")
                    .user("user", MIA)
                    .string("usd", "-5"),
            )
            .await;
        assert!(bad.text().contains("cannot be negative"), "{}", bad.text());
        assert_eq!(
            h.openrouter.key(&hash).unwrap().limit,
            Some(fake::Usd::from_dollars(25))
        );

        let reply = h
            .runs(
                SlashCommand::new(DANA, "keys")
                    .subcommand("revoke")
                    .user("user", MIA),
            )
            .await;
        assert!(
            reply.text().contains("Revoked `team:mia:r1`"),
            "{}",
            reply.text()
        );
        assert!(h.openrouter.keys().is_empty());
        let audit: Vec<String> = h
            .store()
            .recent_audit(20)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for action in ["disable_key", "enable_key", "set_limit", "revoke_key"] {
            assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
        }
        let missing = h
            .runs(
                SlashCommand::new(DANA, "keys")
                    .subcommand("disable")
                    .user("user", OLU),
            )
            .await;
        assert!(
            missing.text().contains(
                "is not on the team roster yet: link them first with `/team link user:@… name:…`"
            ),
            "{}",
            missing.text()
        );
        // Adopting a key for someone not on the roster says what to run first.
        let adopt = h
            .runs(
                SlashCommand::new(DANA, "team")
                    .subcommand("adopt")
                    .user("user", OLU)
                    .string("key_hash", "abc123"),
            )
            .await;
        assert!(
            adopt.text().contains("link them first with `/team link"),
            "{}",
            adopt.text()
        );
    }
);

/// Dana's team of `count` members, each with a daily $10 key (every seventh disabled).
async fn seed_long_team(h: &Harness, count: u64) {
    use openrouter_team_bot::team::{DiscordId, MemberName, TeamKey};
    let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 25, 9, 0, 0).unwrap();
    for i in 0..count {
        let name = format!("member{i:03}-with-a-longish-name");
        let member = h
            .store()
            .add_member(
                &MemberName::parse(&name).unwrap(),
                Some(DiscordId(10_000 + i)),
                None,
                now,
            )
            .await
            .unwrap();
        h.store()
            .save_key(&TeamKey {
                hash: format!("{i:064x}"),
                member_id: Some(member.id),
                request_id: None,
                name: format!("team:{name}:r{i}"),
                label: "sk-or-v1-abc...xyz".into(),
                workspace_id: None,
                disabled: i % 7 == 0,
                limit: Some(Usd::from_dollars(10)),
                reset: LimitReset::Daily,
                usage: usage(i as i64),
                guardrail_id: None,
                created_at: now,
                expires_at: None,
                synced_at: Some(now),
                deleted_at: None,
                access: openrouter_team_bot::domain::Access::Key,
            })
            .await
            .unwrap();
    }
}

fn long_name(i: u64) -> String {
    format!("member{i:03}-with-a-longish-name")
}

on_each_database!(lists_of_a_few_pages_come_as_follow_ups, |db| async move {
    let h = Harness::start(db).await;
    seed_long_team(&h, 50).await;
    for command in [
        SlashCommand::new(DANA, "team").subcommand("list"),
        SlashCommand::new(DANA, "keys").subcommand("list"),
    ] {
        let id = h.discord.interact(command);
        let first = h.discord.reply_to(id).await;
        let title = first.embeds()[0]["title"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let pages: usize = title
            .rsplit("of ")
            .next()
            .and_then(|n| n.trim_end_matches(')').parse().ok())
            .unwrap_or_else(|| panic!("a paged title: {title}"));
        assert!((2..=3).contains(&pages), "{title}");
        let messages = h.all_pages(id, pages).await;
        let all: String = messages
            .iter()
            .map(|m| m.text())
            .collect::<Vec<_>>()
            .join("\n");
        for i in 0..50 {
            let name = long_name(i);
            assert_eq!(
                all.matches(&format!("**{name}**")).count(),
                1,
                "{name} once"
            );
        }
        assert!(messages.iter().all(|m| m.ephemeral()));
        assert!(messages.iter().all(|m| m.attachments.is_empty()));
    }
    assert!(
        h.discord.violations().is_empty(),
        "{:?}",
        h.discord.violations()
    );
});

on_each_database!(
    a_long_list_is_one_page_and_a_file_of_every_line,
    |db| async move {
        let h = Harness::start(db).await;
        seed_long_team(&h, 300).await;
        for (command, file) in [
            (
                SlashCommand::new(DANA, "team").subcommand("list"),
                "team-roster.txt",
            ),
            (
                SlashCommand::new(DANA, "keys").subcommand("list"),
                "team-keys.txt",
            ),
        ] {
            let id = h.discord.interact(command);
            let reply = h.discord.reply_to(id).await;
            assert_eq!(reply.callback_type, 5, "a long list is deferred first");
            let message = reply.message.clone().expect("a message");
            assert!(message.ephemeral());
            let footer = message.embeds[0]["footer"]["text"].as_str().unwrap_or("");
            assert!(
                footer.starts_with("300 lines on ")
                    && footer.ends_with(&format!("all of them are in {file}")),
                "{footer}"
            );
            assert_eq!(message.attachments.len(), 1);
            let attached = &message.attachments[0];
            assert_eq!(attached.filename, file);
            let text = String::from_utf8(attached.bytes.clone()).unwrap();
            for i in 0..300 {
                let name = long_name(i);
                assert_eq!(
                    text.lines()
                        .filter(|l| l.starts_with(&format!("{name} ")))
                        .count(),
                    1,
                    "{name} once in {text}"
                );
            }
            assert!(
                !text.contains("**") && !text.contains('`'),
                "no markup in the file"
            );
            // The deferred answer is filled by its one follow-up; no page comes after it.
            assert_eq!(
                h.discord.followups_to(id).len(),
                1,
                "one message, not a page each"
            );
        }
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );
    }
);

/// The keys at the fake OpenRouter: (name, disabled), by name.
fn keys_at_openrouter(h: &Harness) -> Vec<(String, bool)> {
    let mut keys: Vec<_> = h
        .openrouter
        .keys()
        .into_iter()
        .map(|k| (k.name, k.disabled))
        .collect();
    keys.sort();
    keys
}

on_each_database!(
    a_rotation_whose_old_key_cannot_be_deleted_shows_the_new_key_and_deletes_the_old_one_later,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        h.openrouter
            .fail_always(Endpoint::DeleteKey, Fault::status(500));

        let card = h.mykey(MIA).await;
        let rotated = h.clicks_and_sees(MIA, &card, "Rotate").await;
        let text = rotated.text();
        assert!(secret_in(&text).is_some(), "the new key is shown: {text}");
        assert!(
            text.contains("Your previous key `team:mia:r1` is disabled and no longer works"),
            "{text}"
        );
        assert!(!text.contains("nothing was lost"), "{text}");
        assert_eq!(
            keys_at_openrouter(&h),
            [
                ("team:mia:r1".to_string(), true),
                ("team:mia:r2".to_string(), false)
            ]
        );
        let notice = h
            .discord
            .wait_for_message_in(ALERTS, |m| {
                m.embed_text().contains("Rotated key not deleted yet")
            })
            .await;
        assert!(
            notice
                .embed_text()
                .contains("`team:mia:r1` is disabled, not yet deleted"),
            "{}",
            notice.embed_text()
        );

        // The new key is the member's; the old one is not theirs to rotate again.
        let card = h.mykey(MIA).await;
        assert!(
            card.embed_text().contains("team:mia:r2"),
            "{}",
            card.embed_text()
        );

        // Once OpenRouter deletes again, the next sync deletes the old key.
        h.openrouter.clear_faults();
        h.advance(chrono::Duration::minutes(10));
        h.tick().await;
        assert_eq!(keys_at_openrouter(&h), [("team:mia:r2".to_string(), false)]);
        let card = h.mykey(MIA).await;
        assert!(
            card.embed_text().contains("team:mia:r2"),
            "{}",
            card.embed_text()
        );
    }
);

on_each_database!(
    a_rotation_whose_old_key_can_be_neither_deleted_nor_disabled_says_it_still_works,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        h.openrouter
            .fail_always(Endpoint::DeleteKey, Fault::status(500));
        h.openrouter
            .fail_always(Endpoint::UpdateKey, Fault::status(500));

        let card = h.mykey(MIA).await;
        let rotated = h.clicks_and_sees(MIA, &card, "Rotate").await;
        let text = rotated.text();
        assert!(secret_in(&text).is_some(), "the new key is shown: {text}");
        assert!(
            text.contains("Your previous key `team:mia:r1` still works"),
            "{text}"
        );
        h.discord
            .wait_for_message_in(ALERTS, |m| {
                m.embed_text().contains("`team:mia:r1` is still live")
            })
            .await;

        h.openrouter.clear_faults();
        h.advance(chrono::Duration::minutes(10));
        h.tick().await;
        assert_eq!(keys_at_openrouter(&h), [("team:mia:r2".to_string(), false)]);
    }
);
