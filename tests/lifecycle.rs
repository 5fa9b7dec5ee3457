//! End to end: departures, role-based tiers, guardrails, reminders, idle and overdue keys,
//! adopting and importing keys.

mod support;

use chrono::Duration;
use fakes::discord::{FakeGuild, FakeMember, SlashCommand};
use fakes::openrouter::{KeySeed, LimitReset, Usd};
use openrouter_team_bot::team::{DiscordId, MemberStatus};
use support::bot::*;

/// The hash of `member`'s key at the fake OpenRouter.
fn key_of(h: &Harness, member: &str) -> String {
    h.openrouter
        .keys()
        .into_iter()
        .find(|k| k.name.starts_with(&format!("team:{member}:")))
        .expect("the member's key")
        .hash
}

async fn next_day(h: &Harness) {
    h.advance(Duration::days(1));
    h.tick().await;
}

fn dms_titled(h: &Harness, user: u64, title: &str) -> usize {
    h.discord
        .dms_to(user)
        .iter()
        .filter(|m| m.embed_text().starts_with(title))
        .count()
}

on_each_database!(
    a_member_who_leaves_has_their_key_disabled,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");
        assert!(h.discord.member_leaves(MIA));
        eventually("the key to be disabled at OpenRouter", || {
            h.openrouter.key(&key).unwrap().disabled.then_some(())
        })
        .await;
        let line = h
            .discord
            .wait_for_message_in(ALERTS, |m| m.content.starts_with("mia left the server"))
            .await;
        assert!(
            line.content.contains("disabled team:mia:r1"),
            "{}",
            line.content
        );
        let member = h
            .store()
            .member_by_discord_id(DiscordId(MIA))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(member.status, MemberStatus::Departed);
        // Coming back does not re-enable anything silently.
        h.discord.member_joins(FakeMember::new(MIA, "mia"));
        let mykey = h.mykey(MIA).await;
        assert!(mykey.button("Request a key").is_some());
        let again = h.requests_key(MIA, None, "I am back").await;
        assert!(
            again.text().contains("Ask an admin to link you again"),
            "{}",
            again.text()
        );
        assert!(h.openrouter.key(&key).unwrap().disabled);
    }
);

on_each_database!(
    with_on_member_leave_delete_the_key_is_deleted,
    |db| async move {
        let h =
            Harness::start_with(db, guild(), "[lifecycle]\non_member_leave = \"delete\"\n").await;
        h.member_gets_key(MIA, "mia").await;
        h.discord.member_leaves(MIA);
        // The audit line comes after the keys are handled.
        h.discord
            .wait_for_message_in(ALERTS, |m| m.content.starts_with("mia left the server"))
            .await;
        assert!(h.openrouter.keys().is_empty());
        let audit = h.store().recent_audit(10).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "member_left" && e.details.contains("deleted team:mia:r1"))
        );
    }
);

on_each_database!(
    departures_while_the_bot_is_down_are_reconciled_over_many_pages,
    |db| async move {
        let h = Harness::start_with(db, guild_of_2_500_more(), "").await;
        h.member_gets_key(MIA, "mia").await;
        // Someone on the last page of the member list also has a key.
        let late = 1_000_000 + 2_400;
        h.runs(
            SlashCommand::new(DANA, "team")
                .subcommand("link")
                .user("user", late)
                .string("name", "zed"),
        )
        .await;
        h.member_gets_key(late, "zed").await;
        let mia_key = key_of(&h, "mia");
        let zed_key = key_of(&h, "zed");

        // The bot is down while Mia leaves.
        let h = h
            .restart_after(|discord, _| {
                discord.remove_member(MIA);
            })
            .await;
        assert!(
            h.openrouter.key(&mia_key).unwrap().disabled,
            "reconciled at start-up"
        );
        assert!(
            !h.openrouter.key(&zed_key).unwrap().disabled,
            "members still there keep their keys"
        );
        let member = h
            .store()
            .member_by_discord_id(DiscordId(MIA))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(member.status, MemberStatus::Departed);
        let pages = h
            .discord
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with("/members"))
            .count();
        assert!(
            pages >= 3,
            "the member list was read page by page ({pages})"
        );
    }
);

on_each_database!(
    the_member_list_is_read_once_at_start_up_and_then_once_a_day,
    |db| async move {
        let h = Harness::start_with(db, guild_of_2_500_more(), "").await;
        let pages_read = || {
            h.discord
                .requests()
                .iter()
                .filter(|r| r.method == "GET" && r.path.ends_with("/members"))
                .count()
        };
        // 2,505 members at 1,000 a page.
        assert_eq!(pages_read(), 3, "the start-up reconcile reads every page");
        let ran = h.run_due_jobs().await;
        assert!(
            !ran.iter().any(|r| r.job == "member_reconcile"),
            "the first tick does not reconcile again: {ran:?}"
        );
        assert_eq!(pages_read(), 3, "nor read the member list again");

        h.advance(Duration::days(1));
        let ran = h.run_due_jobs().await;
        assert!(
            ran.iter().any(|r| r.job == "member_reconcile"),
            "the next day's reconcile runs: {ran:?}"
        );
        assert_eq!(pages_read(), 6);
    }
);

on_each_database!(
    a_role_change_moves_the_key_to_the_new_tier_and_back,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");
        let basic_guardrail = h
            .openrouter
            .guardrail_of(&key)
            .expect("basic keys hold the basic guardrail");
        assert!(
            h.openrouter
                .guardrails()
                .iter()
                .any(|g| g.id == basic_guardrail && g.name == "team:tier:basic")
        );

        h.discord.member_changes(MIA, |m| m.role_ids.push(PRO_ROLE));
        h.discord
            .wait_for_dm(MIA, |m| m.embed_text().starts_with("Your tier is now pro"))
            .await;
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(50))
        );
        let now = h.openrouter.key(&key).unwrap();
        assert_eq!(now.limit_reset, LimitReset::Weekly);
        assert_eq!(
            h.openrouter.guardrail_of(&key),
            None,
            "pro allows every model: no guardrail"
        );

        h.discord
            .member_changes(MIA, |m| m.role_ids.retain(|r| *r != PRO_ROLE));
        // The DM comes after everything else is done.
        h.discord
            .wait_for_dm(MIA, |m| {
                m.embed_text().starts_with("Your tier is now basic")
            })
            .await;
        assert_eq!(
            h.openrouter.guardrail_of(&key),
            Some(basic_guardrail.clone())
        );
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit,
            Some(Usd::from_dollars(10))
        );
        assert_eq!(
            h.openrouter.key(&key).unwrap().limit_reset,
            LimitReset::Daily
        );
        let audit = h.store().recent_audit(20).await.unwrap();
        assert_eq!(
            audit.iter().filter(|e| e.action == "tier_changed").count(),
            2
        );
    }
);

on_each_database!(
    a_changed_allowlist_reaches_the_guardrail_at_restart,
    |db| async move {
        let h = Harness::start(db).await;
        let basic = |h: &Harness| {
            h.openrouter
                .guardrails()
                .into_iter()
                .find(|g| g.name == "team:tier:basic")
                .expect("the basic guardrail")
        };
        let before = basic(&h);
        assert_eq!(before.allowed_models.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            h.openrouter.guardrails().len(),
            1,
            "tiers without an allowlist have no guardrail"
        );
        let h = h
        .restart_with(|text| {
            text.replace(
                r#"allowed_models = ["openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"]"#,
                r#"allowed_models = ["openai/gpt-4o-mini", "anthropic/claude-3.5-haiku", "google/gemini-flash-1.5"]"#,
            )
        })
        .await;
        let after = basic(&h);
        assert_eq!(after.id, before.id, "the same guardrail, updated");
        let mut models = after.allowed_models.unwrap();
        models.sort();
        assert_eq!(
            models,
            vec![
                "anthropic/claude-3.5-haiku",
                "google/gemini-flash-1.5",
                "openai/gpt-4o-mini"
            ]
        );
        assert_eq!(h.openrouter.guardrails().len(), 1);
    }
);

on_each_database!(
    age_and_expiry_reminders_fire_once_at_the_right_days,
    |db| async move {
        let h = Harness::start_with(
            db,
            guild(),
            "[lifecycle]\nkey_expiry_days = 20\nmax_key_age_days = 10\n",
        )
        .await;
        h.member_gets_key(MIA, "mia").await;
        for _ in 0..6 {
            next_day(&h).await;
        }
        assert_eq!(
            dms_titled(&h, MIA, "Your OpenRouter key expires soon"),
            0,
            "14 days left on day 6"
        );
        next_day(&h).await; // day 7: 13 days left
        assert_eq!(dms_titled(&h, MIA, "Your OpenRouter key expires soon"), 1);
        for _ in 0..3 {
            next_day(&h).await; // days 8-10
        }
        assert_eq!(
            dms_titled(&h, MIA, "Time to rotate"),
            0,
            "10 days old is not over the maximum"
        );
        next_day(&h).await; // day 11
        assert_eq!(dms_titled(&h, MIA, "Time to rotate"), 1);
        for _ in 0..7 {
            next_day(&h).await; // days 12-18
        }
        assert_eq!(
            dms_titled(&h, MIA, "Your OpenRouter key expires soon"),
            2,
            "again at 2 days left"
        );
        let rotate = dms_titled(&h, MIA, "Time to rotate");
        assert!((2..=3).contains(&rotate), "weekly at most: {rotate}");
        let reminder = h
            .discord
            .dms_to(MIA)
            .into_iter()
            .rfind(|m| m.embed_text().starts_with("Time to rotate"))
            .unwrap();
        assert!(reminder.button("Rotate").is_some());
        assert!(!h.openrouter.keys()[0].disabled, "disable_overdue is off");
    }
);

on_each_database!(
    overdue_keys_are_disabled_only_when_enabled_and_after_notice,
    |db| async move {
        let h = Harness::start_with(
            db,
            guild(),
            "[lifecycle]\nmax_key_age_days = 5\ndisable_overdue = true\nidle_grace_days = 3\n",
        )
        .await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");
        for _ in 0..6 {
            h.advance(Duration::days(1));
            h.tick().await;
        }
        assert_eq!(
            dms_titled(&h, MIA, "Your OpenRouter key will be disabled"),
            1
        );
        assert!(
            !h.openrouter.key(&key).unwrap().disabled,
            "not before the notice period ends"
        );
        for _ in 0..3 {
            h.advance(Duration::days(1));
            h.tick().await;
        }
        assert!(h.openrouter.key(&key).unwrap().disabled);
        assert_eq!(dms_titled(&h, MIA, "Your OpenRouter key was disabled"), 1);
    }
);

on_each_database!(
    idle_keys_are_listed_and_disabled_only_when_enabled,
    |db| async move {
        let h = Harness::start_with(db, guild(), "[lifecycle]\nidle_key_days = 10\ndisable_idle = true\nidle_grace_days = 2\nmax_key_age_days = 0\n").await;
        h.member_gets_key(MIA, "mia").await;
        let key = key_of(&h, "mia");
        for _ in 0..11 {
            h.advance(Duration::days(1));
            h.tick().await;
        }
        let idle = h
            .runs(
                SlashCommand::new(DANA, "keys")
                    .subcommand("list")
                    .boolean("idle", true),
            )
            .await;
        assert!(idle.text().contains("team:mia:r1"), "{}", idle.text());
        assert!(idle.text().contains("no spend since"), "{}", idle.text());
        assert_eq!(
            dms_titled(&h, MIA, "Your OpenRouter key will be disabled"),
            1
        );
        assert!(!h.openrouter.key(&key).unwrap().disabled);
        for _ in 0..2 {
            h.advance(Duration::days(1));
            h.tick().await;
        }
        assert!(h.openrouter.key(&key).unwrap().disabled);
    }
);

on_each_database!(an_existing_key_is_adopted_by_hash, |db| async move {
    let h = Harness::start(db).await;
    h.runs(
        SlashCommand::new(DANA, "team")
            .subcommand("link")
            .user("user", MIA)
            .string("name", "mia"),
    )
    .await;
    let laptop = h.openrouter.add_key(KeySeed::named("mias-old-laptop-key"));
    let adopted = h
        .runs(
            SlashCommand::new(DANA, "team")
                .subcommand("adopt")
                .user("user", MIA)
                .string("key_hash", laptop.as_str()),
        )
        .await;
    assert!(
        adopted
            .text()
            .contains("`mias-old-laptop-key` now belongs to"),
        "{}",
        adopted.text()
    );
    let stored = h.store().key(laptop.as_str()).await.unwrap().unwrap();
    let mia = h
        .store()
        .member_by_discord_id(DiscordId(MIA))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.member_id, Some(mia.id));
    assert_eq!(
        h.openrouter.key(&laptop).unwrap().name,
        "mias-old-laptop-key",
        "not renamed unless asked"
    );

    h.runs(
        SlashCommand::new(DANA, "team")
            .subcommand("link")
            .user("user", OLU)
            .string("name", "olu"),
    )
    .await;
    let other = h.openrouter.add_key(KeySeed::named("olu-ci"));
    h.runs(
        SlashCommand::new(DANA, "team")
            .subcommand("adopt")
            .user("user", OLU)
            .string("key_hash", other.as_str())
            .boolean("rename", true),
    )
    .await;
    assert_eq!(h.openrouter.key(&other).unwrap().name, "team:olu:adopted");
    let missing = h
        .runs(
            SlashCommand::new(DANA, "team")
                .subcommand("adopt")
                .user("user", OLU)
                .string("key_hash", "00ff"),
        )
        .await;
    assert!(
        missing
            .text()
            .contains("OpenRouter has no key with the hash 00ff"),
        "{}",
        missing.text()
    );
    let secret = h
        .runs(
            SlashCommand::new(DANA, "team")
                .subcommand("adopt")
                .user("user", OLU)
                .string("key_hash", "sk-or-v1-abc"),
        )
        .await;
    assert!(
        secret.text().contains("That is not a key hash"),
        "{}",
        secret.text()
    );
    assert!(!secret.text().contains("sk-or-v1-abc"));
});

on_each_database!(
    keys_import_links_keys_named_after_members_and_reports_the_rest,
    |db| async move {
        use fakes::openrouter::FakeOpenRouter;
        use openrouter_team_bot::team::MemberName;
        let openrouter = FakeOpenRouter::start().await.unwrap();
        let now = chrono::Utc::now();
        let names = ["alice", "bob", "mary-jane", "mary"];
        for (i, name) in names.iter().enumerate() {
            db.store
                .add_member(
                    &MemberName::parse(name).unwrap(),
                    Some(DiscordId(500 + i as u64)),
                    None,
                    now,
                )
                .await
                .unwrap();
        }
        // An old member who is not linked to anyone any more.
        db.store
            .add_member(&MemberName::parse("ghost").unwrap(), None, None, now)
            .await
            .unwrap();
        let matching = [
            "alice-laptop",
            "team:bob:r7",
            "Mary-Jane ci",
            "mary_phone",
            "ghost-key",
        ];
        for name in matching {
            openrouter.add_key(KeySeed::named(name));
        }
        openrouter.seed_keys(145, "shared-service-");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
        &config,
        format!(
            "default_tier = \"basic\"\n[openrouter]\nbase_url = \"{}\"\n[database]\nurl = \"{}\"\n[tiers.basic]\nlimit_usd = 10.0\n",
            openrouter.base_url(),
            db.url
        ),
    )
    .unwrap();
        let (key, cwd) = (openrouter.management_key(), dir.path().to_path_buf());
        // The fake serves from this test's runtime while the binary runs on a blocking thread.
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_openrouter-team-bot"))
                .args(["keys", "import", "--match-names", "--config"])
                .arg(&config)
                .env_clear()
                .env("OPENROUTER_MANAGEMENT_KEY", key)
                .current_dir(cwd)
                .output()
        })
        .await
        .unwrap()
        .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains(
                "150 keys at OpenRouter: 4 linked now, 0 already owned, 146 not matched."
            ),
            "{stdout}"
        );
        for (key, member) in [
            ("alice-laptop", "alice"),
            ("team:bob:r7", "bob"),
            ("Mary-Jane ci", "mary-jane"),
            ("mary_phone", "mary"),
        ] {
            assert!(
                stdout.contains(&format!("  {key} -> {member}")),
                "{key}: {stdout}"
            );
        }
        assert!(
            stdout.contains("  ghost-key\n"),
            "an unlinked member's name does not match: {stdout}"
        );
        assert!(stdout.contains("  shared-service-145\n"), "{stdout}");
        let owned = db
            .store
            .live_keys()
            .await
            .unwrap()
            .into_iter()
            .filter(|k| k.member_id.is_some())
            .count();
        assert_eq!(owned, 4);
    }
);

/// The test guild with 2,500 more members, so its member list takes several pages.
fn guild_of_2_500_more() -> FakeGuild {
    let mut guild = guild();
    for i in 0..2_500u64 {
        guild = guild.member(FakeMember::new(1_000_000 + i, format!("user{i}")));
    }
    guild
}
