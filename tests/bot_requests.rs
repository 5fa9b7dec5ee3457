//! End to end: requesting, approving, denying and revealing keys, through the real bot, the fake
//! Discord and the fake OpenRouter.

mod support;

use openrouter_team_bot::money::Usd;
use openrouter_team_bot::reset::LimitReset;
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
        assert!(!logs.text().contains(&secret), "a log line carries the key");
        assert!(
            !support::db::contains_text(&db, &secret).await,
            "the database holds the key"
        );
        let _ = url;
    }
);
