//! End to end: requesting, approving, denying and revealing keys, through the real bot, the fake
//! Discord and the fake OpenRouter.

mod support;

use fakes::openrouter::{LimitReset, Usd};
use support::bot::*;

on_each_database!(
    an_unlinked_user_gets_a_key_shown_once_and_nowhere_else,
    |db| async move {
        let logs = support::logs::capture();
        let h = Harness::start(db).await;

        let sent = h
            .requests_key(MIA, Some("mia"), "Prototype a support summariser")
            .await;
        assert!(sent.ephemeral());
        assert!(
            sent.text().contains("Key request #1 sent"),
            "{}",
            sent.text()
        );

        let card = h.card(1).await;
        assert!(card.embed_text().contains("mia"));
        // When it was asked and when it expires, in each reader's own time (Discord's
        // timestamps), and the card's timestamp.
        let asked = h.now().timestamp();
        assert!(
            card.embed_text().contains(&format!("<t:{asked}:R>")),
            "{}",
            card.embed_text()
        );
        assert!(
            card.embed_text().contains("Expires"),
            "{}",
            card.embed_text()
        );
        let stamp = card.embeds[0]["timestamp"].as_str().expect("a timestamp");
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(stamp)
                .unwrap()
                .timestamp(),
            asked
        );
        assert!(card.embed_text().contains("Prototype a support summariser"));
        assert!(
            card.embed_text().contains("basic · $10.00 per day"),
            "{}",
            card.embed_text()
        );

        let approved = h.clicks_and_sees(DANA, &card, "Approve").await;
        assert!(
            approved.text().contains(&format!("Approved by <@{DANA}>")),
            "{}",
            approved.text()
        );

        let dm = h
            .discord
            .wait_for_dm(MIA, |m| m.embed_text().contains("approved"))
            .await;
        let revealed = h.clicks_and_sees(MIA, &dm, "Reveal my key").await;
        assert!(revealed.ephemeral());
        let text = revealed.text();
        let secret = text
            .split_whitespace()
            .find(|w| w.starts_with("sk-or-v1-"))
            .expect("the reveal shows the key")
            .to_string();

        let keys = h.openrouter.keys();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].name, "team:mia:r1");
        assert_eq!(keys[0].limit, Some(Usd::from_dollars(10)));
        assert_eq!(keys[0].limit_reset, LimitReset::Daily);

        // The plaintext reached Discord exactly once: in the reveal.
        let carrying: Vec<String> = h
            .discord
            .requests()
            .iter()
            .filter(|r| format!("{:?}", r.body).contains(&secret))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert_eq!(carrying.len(), 1, "{carrying:?}");
        assert!(carrying[0].contains("/webhooks/"), "{carrying:?}");
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );

        let url = h.db.url.clone();
        let (_discord, _openrouter, db) = h.stop().await;
        support::logs::assert_hidden(&logs.text(), &[&secret], "the reveal");
        assert!(
            !support::db::contains_text(&db, &secret).await,
            "the database holds the key"
        );
        let _ = url;
    }
);

on_each_database!(two_admins_approving_at_once_approve_once, |db| async move {
    let h = Harness::start(db).await;
    h.requests_key(MIA, Some("mia"), "evals").await;
    let card = h.card(1).await;
    let by_dana = h.clicks(DANA, &card, "Approve");
    let by_erik = h.clicks(ERIK, &card, "Approve");
    let (dana, erik) = (
        h.discord.reply_to(by_dana).await,
        h.discord.reply_to(by_erik).await,
    );
    let (winner, loser) = if dana.callback_type == 7 {
        (dana, erik)
    } else {
        (erik, dana)
    };
    assert_eq!(
        winner.callback_type,
        7,
        "the winner's click updates the card: {} / {}",
        winner.text(),
        loser.text()
    );
    assert!(winner.text().contains("Approved by"), "{}", winner.text());
    assert!(loser.ephemeral());
    assert!(
        loser.text().contains("Request #1 was already approved by"),
        "{}",
        loser.text()
    );
    let audit = h.store().recent_audit(50).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "approve_request")
            .count(),
        1
    );

    // Revealing twice at once creates one key.
    let dm = h
        .discord
        .wait_for_dm(MIA, |m| m.embed_text().contains("approved"))
        .await;
    let first = h.clicks(MIA, &dm, "Reveal my key");
    let second = h.clicks(MIA, &dm, "Reveal my key");
    let answers = [
        h.discord.reply_to(first).await.text(),
        h.discord.reply_to(second).await.text(),
    ];
    assert_eq!(
        answers.iter().filter(|t| secret_in(t).is_some()).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .any(|t| t.contains("being created right now") || t.contains("already shown once")),
        "{answers:?}"
    );
    assert_eq!(h.openrouter.keys().len(), 1);
    // A third try later is told the key was shown once.
    let again = h.clicks_and_sees(MIA, &dm, "Reveal my key").await;
    assert!(
        again.text().contains("already shown once"),
        "{}",
        again.text()
    );
    assert_eq!(h.openrouter.keys().len(), 1);
    assert!(
        h.discord.violations().is_empty(),
        "{:?}",
        h.discord.violations()
    );
});

on_each_database!(
    people_who_are_not_admins_are_refused_and_nothing_changes,
    |db| async move {
        use fakes::discord::{ComponentClick, SlashCommand};
        let h = Harness::start(db).await;
        h.requests_key(MIA, Some("mia"), "evals").await;
        let card = h.card(1).await;
        let audit_before = h.store().recent_audit(100).await.unwrap().len();

        let refused = h.clicks_and_sees(OLU, &card, "Approve").await;
        assert!(refused.ephemeral());
        assert_eq!(refused.text(), "Only team admins can do that.");
        let refused = h.clicks_and_sees(MAX, &card, "Deny").await;
        assert_eq!(
            refused.text(),
            "Only team admins can do that.",
            "Manage Server alone is not admin here"
        );

        // A forged click: the approve custom_id on a message the user owns.
        let own = h.mykey(OLU).await;
        let forged = h
            .discord
            .interact(ComponentClick::button(OLU, &own, "req:approve:1"));
        assert_eq!(
            h.discord.reply_to(forged).await.text(),
            "Only team admins can do that."
        );

        for command in [
            SlashCommand::new(OLU, "team").subcommand("list"),
            SlashCommand::new(OLU, "keys")
                .subcommand("revoke")
                .user("user", MIA),
            SlashCommand::new(OLU, "team")
                .subcommand("link")
                .user("user", OLU)
                .string("name", "olu"),
            SlashCommand::new(OLU, "requests"),
            SlashCommand::new(OLU, "audit"),
        ] {
            let reply = h.runs(command).await;
            assert!(reply.ephemeral());
            assert_eq!(reply.text(), "Only team admins can do that.");
        }
        let budget = h
            .runs(SlashCommand::new(OLU, "budget").user("member", MIA))
            .await;
        assert!(budget.ephemeral());
        assert_eq!(
            budget.text(),
            "Only team admins can see other members' budgets."
        );

        let request = h.store().request(1).await.unwrap().unwrap();
        assert_eq!(
            request.status,
            openrouter_team_bot::team::RequestStatus::Pending
        );
        assert_eq!(
            h.store().recent_audit(100).await.unwrap().len(),
            audit_before
        );
        assert!(
            h.store()
                .member_by_discord_id(openrouter_team_bot::team::DiscordId(OLU))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            h.card(1).await.embed_text(),
            card.embed_text(),
            "the card is unchanged"
        );
        assert!(
            h.discord.violations().is_empty(),
            "{:?}",
            h.discord.violations()
        );
    }
);

on_each_database!(
    a_denial_with_a_reason_reaches_the_card_and_a_closed_dm_is_reported,
    |db| async move {
        let h = Harness::start(db).await;
        h.discord.close_dms(MIA);
        h.requests_key(MIA, Some("mia"), "side project").await;
        let card = h.card(1).await;
        let form = h.clicks(DANA, &card, "Deny");
        let submitted = h
            .discord
            .answer_modal(form, &[("reason", "Please use the shared key")])
            .await;
        h.discord.reply_to(submitted).await;
        let card = h
            .discord
            .wait_for_message_in(APPROVALS, |m| {
                m.embed_text().contains("could not be told by DM")
            })
            .await;
        let text = card.embed_text();
        assert!(
            text.contains(&format!("Denied by <@{DANA}>: Please use the shared key")),
            "{text}"
        );
        assert!(card.buttons().is_empty(), "a decided card has no buttons");
        assert!(h.discord.dms_to(MIA).is_empty());
        let mykey = h.mykey(MIA).await;
        assert!(
            mykey
                .embed_text()
                .contains("was denied: Please use the shared key"),
            "{}",
            mykey.embed_text()
        );
        assert!(
            mykey.button("Request a key").is_some(),
            "they can ask again"
        );
        assert!(h.openrouter.keys().is_empty());
    }
);

on_each_database!(an_auto_approved_tier_skips_the_card, |db| async move {
    let h = Harness::start(db).await;
    let link = h
        .runs(
            fakes::discord::SlashCommand::new(DANA, "team")
                .subcommand("link")
                .user("user", OLU)
                .string("name", "olu")
                .string("tier", "free"),
        )
        .await;
    assert!(
        link.text().contains("is now on the team as **olu**"),
        "{}",
        link.text()
    );
    let filed = h.requests_key(OLU, None, "quick test").await;
    assert!(
        filed.text().contains("needs no approval"),
        "{}",
        filed.text()
    );
    let message = filed.message.clone().unwrap();
    let revealed = h.clicks_and_sees(OLU, &message, "Reveal my key").await;
    assert!(secret_in(&revealed.text()).is_some());
    assert!(h.discord.messages_in(APPROVALS).is_empty());
    let key = &h.openrouter.keys()[0];
    assert_eq!(key.limit, Some(Usd::from_dollars(1)));
    assert_eq!(key.limit_reset, LimitReset::Monthly);
});

on_each_database!(
    a_lost_answer_to_post_keys_leaves_exactly_one_key,
    |db| async move {
        use fakes::openrouter::{Endpoint, Fault};
        let h = Harness::start(db).await;
        h.requests_key(MIA, Some("mia"), "evals").await;
        let card = h.card(1).await;
        h.clicks_and_sees(DANA, &card, "Approve").await;
        // OpenRouter creates the key but the answer never arrives in time.
        h.openrouter.fail_next(
            Endpoint::CreateKey,
            1,
            Fault::Delay(std::time::Duration::from_secs(3)),
        );
        let dm = h
            .discord
            .wait_for_dm(MIA, |m| m.embed_text().contains("approved"))
            .await;
        let revealed = h.clicks_and_sees(MIA, &dm, "Reveal my key").await;
        let secret = secret_in(&revealed.text()).unwrap_or_else(|| panic!("{}", revealed.text()));
        let keys = h.openrouter.keys_named("team:mia:r1");
        assert_eq!(
            keys.len(),
            1,
            "the orphan was deleted and one fresh key created"
        );
        assert_eq!(h.openrouter.request_count(Endpoint::CreateKey), 2);
        assert_eq!(h.openrouter.request_count(Endpoint::DeleteKey), 1);
        let stored = h.store().key(keys[0].hash.as_str()).await.unwrap().unwrap();
        assert!(stored.is_live());
        assert!(!secret.is_empty());
    }
);

on_each_database!(
    a_crash_while_creating_is_recovered_at_start_up,
    |db| async move {
        use fakes::openrouter::Endpoint;
        use openrouter_team_bot::team::{DiscordId, RequestStatus};
        let h = Harness::start(db).await;
        // The bot died after moving the request to provisioning and after OpenRouter made the key.
        interrupted_creation(&h).await;
        h.clock.advance(chrono::Duration::minutes(30));
        let h = h.restart().await;

        let request = h.store().request(1).await.unwrap().unwrap();
        assert_eq!(
            request.status,
            RequestStatus::Approved,
            "back to approved, ready to reveal"
        );
        assert!(
            h.openrouter.keys_named("team:mia:r1").is_empty(),
            "the orphan is gone"
        );
        assert_eq!(h.openrouter.request_count(Endpoint::DeleteKey), 1);
        let mykey = h.mykey(MIA).await;
        let revealed = h.clicks_and_sees(MIA, &mykey, "Reveal my key").await;
        assert!(secret_in(&revealed.text()).is_some(), "{}", revealed.text());
        assert_eq!(h.openrouter.keys_named("team:mia:r1").len(), 1);
        let audit = h.store().recent_audit(50).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "recover_request" && e.actor_id.is_none())
        );
        let _ = DiscordId(MIA);
    }
);

on_each_database!(
    a_refused_members_intent_or_token_stops_the_bot_saying_what_to_do,
    |db| async move {
        use openrouter_team_bot::app::{self, JobMode};
        let h = Harness::start(db).await;
        let wrong_token = h.config_with_token("not-the-bot-token");
        let config = h.config.clone();
        let clock = h.clock.clone();
        let (discord, _openrouter, _db) = h.stop().await;

        // The Server Members intent is off in the Developer Portal.
        discord.set_members_intent_enabled(false);
        let bot = app::start_bot(&config, clock.clone(), JobMode::OnDemand)
            .await
            .expect("the REST checks pass");
        let message = bot
            .serve_until(std::future::pending())
            .await
            .expect_err("the gateway closes with 4014")
            .to_string();
        assert!(message.contains("4014"), "{message}");
        assert!(message.contains("SERVER MEMBERS INTENT"), "{message}");

        // A wrong token is refused before anything else happens.
        let message = match app::start_bot(&wrong_token, clock, JobMode::OnDemand).await {
            Ok(_) => panic!("a wrong token was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains("refused the bot's token"), "{message}");
        assert!(message.contains("DISCORD_TOKEN"), "{message}");
        assert!(!message.contains("not-the-bot-token"), "{message}");
    }
);

on_each_database!(
    a_key_whose_guardrail_cannot_be_assigned_is_deleted_and_reveal_works_again,
    |db| async move {
        let h = Harness::start(db).await;
        let sent = h.requests_key(MIA, Some("mia"), "evals").await;
        assert!(sent.text().contains("#1"), "{}", sent.text());
        let card = h.card(1).await;
        h.clicks_and_sees(DANA, &card, "Approve").await;
        let dm = h
            .discord
            .wait_for_dm(MIA, |m| m.embed_text().contains("Request #1 was approved"))
            .await;
        h.openrouter.fail_always(
            fakes::openrouter::Endpoint::AssignKeys,
            fakes::openrouter::Fault::status(500),
        );

        let failed = h.clicks_and_sees(MIA, &dm, "Reveal my key").await;
        assert!(secret_in(&failed.text()).is_none(), "{}", failed.text());
        assert!(
            h.openrouter.keys().is_empty(),
            "a key without its model rules was left live: {:?}",
            h.openrouter.keys()
        );

        h.openrouter.clear_faults();
        let revealed = h.clicks_and_sees(MIA, &dm, "Reveal my key").await;
        assert!(secret_in(&revealed.text()).is_some(), "{}", revealed.text());
        let keys = h.openrouter.keys();
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert!(h.openrouter.guardrail_of(&keys[0].hash).is_some());
    }
);

/// Request #1 of MIA approved and then left in `provisioning` with a key made under its name,
/// as a crash after OpenRouter created the key leaves it.
async fn interrupted_creation(h: &Harness) {
    use fakes::openrouter::KeySeed;
    h.requests_key(MIA, Some("mia"), "evals").await;
    let card = h.card(1).await;
    h.clicks_and_sees(DANA, &card, "Approve").await;
    let then = openrouter_team_bot::clock::Clock::now(h.clock.as_ref());
    assert!(
        h.store()
            .begin_provisioning(1, "team:mia:r1", then)
            .await
            .unwrap()
    );
    h.openrouter.add_key(KeySeed::named("team:mia:r1"));
}

on_each_database!(
    an_interrupted_creation_is_recovered_on_the_next_reveal_without_a_restart,
    |db| async move {
        let h = Harness::start(db).await;
        interrupted_creation(&h).await;

        let mykey = h.mykey(MIA).await;
        let early = h.clicks_and_sees(MIA, &mykey, "Reveal my key").await;
        assert!(
            early.text().contains("being created right now"),
            "{}",
            early.text()
        );

        // Longer than a creation can take with the config's timeout and attempts.
        h.advance(chrono::Duration::minutes(1));
        let revealed = h.clicks_and_sees(MIA, &mykey, "Reveal my key").await;
        assert!(secret_in(&revealed.text()).is_some(), "{}", revealed.text());
        assert_eq!(
            h.openrouter.keys_named("team:mia:r1").len(),
            1,
            "the orphan was deleted and one key made"
        );
    }
);

on_each_database!(
    a_failing_recovery_at_start_up_does_not_stop_the_bot_and_is_retried,
    |db| async move {
        use fakes::openrouter::{Endpoint, Fault};
        use openrouter_team_bot::team::RequestStatus;
        let h = Harness::start(db).await;
        interrupted_creation(&h).await;
        h.advance(chrono::Duration::minutes(30));

        let h = h
            .restart_after(|_, openrouter| {
                openrouter.fail_always(Endpoint::ListKeys, Fault::status(500));
            })
            .await;
        let request = h.store().request(1).await.unwrap().unwrap();
        assert_eq!(request.status, RequestStatus::Provisioning);

        h.openrouter.clear_faults();
        h.advance(chrono::Duration::minutes(1));
        h.tick().await;
        let request = h.store().request(1).await.unwrap().unwrap();
        assert_eq!(
            request.status,
            RequestStatus::Approved,
            "recovered by the timer"
        );
        assert!(h.openrouter.keys_named("team:mia:r1").is_empty());
    }
);

on_each_database!(
    a_key_created_late_for_a_request_is_deleted_by_the_next_sync,
    |db| async move {
        use fakes::openrouter::KeySeed;
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let mias = h.openrouter.keys_named("team:mia:r1");
        assert_eq!(mias.len(), 1);
        // A `POST /keys` whose answer was lost lands after all; other keys are not the bot's.
        h.openrouter.add_key(KeySeed::named("team:mia:r1"));
        h.openrouter.add_key(KeySeed::named("team:bob:r99"));
        h.openrouter.add_key(KeySeed::named("ci-pipeline"));

        h.advance(chrono::Duration::minutes(10));
        h.tick().await;

        let left = h.openrouter.keys_named("team:mia:r1");
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0].hash, mias[0].hash, "the member's own key stays");
        assert_eq!(h.openrouter.keys_named("team:bob:r99").len(), 1);
        assert_eq!(h.openrouter.keys_named("ci-pipeline").len(), 1);
        let audit = h.store().recent_audit(50).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "delete_orphan_key"));
        let card = h.mykey(MIA).await;
        assert!(
            card.embed_text().contains("team:mia:r1"),
            "{}",
            card.embed_text()
        );
    }
);

/// Makes every write to the test database wait for `hold`, the way another process holding the
/// write lock does: SQLite's write lock, or on PostgreSQL an EXCLUSIVE lock on every table (reads
/// still pass).
async fn hold_write_lock(url: &str, hold: std::time::Duration) -> tokio::task::JoinHandle<()> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .expect("a second connection to the test database");
    if url.starts_with("sqlite:") {
        conn.execute("BEGIN IMMEDIATE")
            .await
            .expect("the write lock is taken");
    } else {
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&mut conn)
                .await
                .expect("the tables can be listed");
        conn.execute("BEGIN").await.expect("a transaction opens");
        let lock = format!("LOCK TABLE {} IN EXCLUSIVE MODE", tables.join(", "));
        conn.execute(sqlx::AssertSqlSafe(lock))
            .await
            .expect("the tables are locked");
    }
    tokio::spawn(async move {
        // The lock is the scenario: it is held this long, whatever the bot does.
        tokio::time::sleep(hold).await;
        let _ = conn.execute("COMMIT").await;
    })
}

on_each_database!(
    a_slow_database_still_answers_in_time_and_posts_the_card_and_the_dm,
    |db| async move {
        let h = Harness::start(db).await;
        let hold = std::time::Duration::from_secs(4);

        let lock = hold_write_lock(&h.db.url, hold).await;
        let sent = h.requests_key(MIA, Some("mia"), "evals").await;
        lock.await.expect("the lock is released");
        assert!(
            sent.text().contains("Key request #1 sent"),
            "{}",
            sent.text()
        );
        let card = h.card(1).await;

        let lock = hold_write_lock(&h.db.url, hold).await;
        let approved = h.clicks_and_sees(DANA, &card, "Approve").await;
        lock.await.expect("the lock is released");
        assert!(
            approved.text().contains(&format!("Approved by <@{DANA}>")),
            "{}",
            approved.text()
        );
        h.discord
            .wait_for_dm(MIA, |m| m.embed_text().contains("Request #1 was approved"))
            .await;
        assert!(
            h.discord.violations().is_empty(),
            "every first answer came within Discord's 3 seconds: {:?}",
            h.discord.violations()
        );
    }
);
