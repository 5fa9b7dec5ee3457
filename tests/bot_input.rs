//! End to end: what the bot does with input it did not make or cannot use as sent (forged button
//! and form ids, reasons longer than the forms allow, look-alike member names), through the real
//! bot, the fake Discord (which enforces Discord's limits) and the fake OpenRouter.

mod support;

use chrono::Duration;
use fakes::discord::{ComponentClick, ModalSubmit, SlashCommand};
use fakes::openrouter::{Usage, Usd};
use support::bot::*;

const UNKNOWN_BUTTON: &str = "This button is not one I recognise (it may be from an older version of the bot). Run /mykey or /requests again.";
const UNKNOWN_FORM: &str = "This form is not one I recognise (it may be from an older version of the bot). Run /mykey or /requests again.";
const REASON_TOO_LONG: &str = "Please keep the reason to 500 characters or fewer.";

/// A reason ten times what the forms allow, as a modified client can send.
fn five_thousand_characters() -> String {
    "Not this quarter. ".repeat(278)[..5000].to_string()
}

fn assert_no_violations(h: &Harness) {
    assert!(
        h.discord.violations().is_empty(),
        "{:?}",
        h.discord.violations()
    );
}

on_each_database!(
    buttons_and_forms_the_bot_did_not_make_get_a_short_private_answer,
    |db| async move {
        let h = Harness::start(db).await;
        h.requests_key(MIA, Some("mia"), "evals").await;
        let card = h.card(1).await;
        let own = h.mykey(OLU).await;

        let long = "x".repeat(1000);
        for custom_id in [
            "req:approve:abc",
            "req:approve:99999999999999999999",
            long.as_str(),
            "unknown:thing",
            "",
        ] {
            for (user, message) in [(OLU, &own), (DANA, &card)] {
                let click = h
                    .discord
                    .interact(ComponentClick::button(user, message, custom_id));
                let reply = h.discord.reply_to(click).await;
                assert!(reply.ephemeral(), "{custom_id:?}");
                assert_eq!(reply.text(), UNKNOWN_BUTTON, "{custom_id:?}");
            }
        }
        for custom_id in [
            "req:deny_form:abc",
            "req:deny_form:1:2",
            long.as_str(),
            "nope",
        ] {
            let submit = h.discord.interact(
                ModalSubmit::new(DANA, custom_id)
                    .on_message(&card)
                    .value("reason", "forged"),
            );
            let reply = h.discord.reply_to(submit).await;
            assert!(reply.ephemeral(), "{custom_id:?}");
            assert_eq!(reply.text(), UNKNOWN_FORM, "{custom_id:?}");
        }

        assert_eq!(
            h.store().request(1).await.unwrap().unwrap().status,
            openrouter_team_bot::team::RequestStatus::Pending
        );
        assert_eq!(
            h.card(1).await.embed_text(),
            card.embed_text(),
            "the card is unchanged"
        );
        assert_no_violations(&h);
    }
);

on_each_database!(
    a_deny_reason_longer_than_the_form_allows_is_cut_and_still_reaches_the_card_and_the_member,
    |db| async move {
        let h = Harness::start(db).await;
        h.requests_key(MIA, Some("mia"), "side project").await;
        let card = h.card(1).await;
        let form = h.clicks(DANA, &card, "Deny");
        let shown = h.discord.reply_to(form).await;
        let modal = shown.modal.expect("Deny opens a form");
        assert_eq!(
            modal.components[0]["components"][0]["max_length"], 500,
            "the form allows what every message can carry"
        );

        let reason = five_thousand_characters();
        let submitted = h
            .discord
            .answer_modal(form, &[("reason", reason.as_str())])
            .await;
        let updated = h.discord.reply_to(submitted).await;
        assert_eq!(updated.callback_type, 7, "the card is updated in place");
        let shown_reason = format!("{}…", &reason[..499]);

        let card = h
            .discord
            .wait_for_message_in(APPROVALS, |m| m.embed_text().contains("Denied by"))
            .await;
        let text = card.embed_text();
        assert!(
            text.contains(&format!("Denied by <@{DANA}>: {shown_reason}")),
            "{text}"
        );
        assert!(!text.contains(&reason[..500]), "{text}");
        assert!(card.buttons().is_empty(), "a decided card has no buttons");

        let dm = h
            .discord
            .wait_for_dm(MIA, |m| m.embed_text().contains("was denied"))
            .await;
        assert!(
            dm.embed_text()
                .contains(&format!("Request #1 was denied: {shown_reason}\n")),
            "{}",
            dm.embed_text()
        );
        let mykey = h.mykey(MIA).await;
        assert!(
            mykey
                .embed_text()
                .contains(&format!("was denied: {shown_reason}\n")),
            "{}",
            mykey.embed_text()
        );
        let stored = h.store().request(1).await.unwrap().unwrap();
        assert_eq!(stored.decision_note.map(|n| n.chars().count()), Some(500));
        assert_no_violations(&h);
    }
);

on_each_database!(
    a_key_request_reason_longer_than_the_form_allows_is_refused_saying_the_limit,
    |db| async move {
        let h = Harness::start(db).await;
        let refused = h
            .requests_key(MIA, Some("mia"), &five_thousand_characters())
            .await;
        assert!(refused.ephemeral());
        assert_eq!(refused.text(), REASON_TOO_LONG);
        assert!(h.discord.messages_in(APPROVALS).is_empty(), "no card");

        let sent = h.requests_key(MIA, Some("mia"), &"x".repeat(500)).await;
        assert!(sent.text().contains("Key request #"), "{}", sent.text());
        assert_no_violations(&h);
    }
);

on_each_database!(
    a_top_up_reason_longer_than_the_form_allows_is_refused_saying_the_limit,
    |db| async move {
        let h = Harness::start(db).await;
        h.member_gets_key(MIA, "mia").await;
        let key = h.openrouter.keys()[0].hash.clone();
        let spent = Usd::from_dollars(9);
        h.openrouter.set_usage(
            &key,
            Usage {
                total: spent,
                daily: spent,
                weekly: spent,
                monthly: spent,
            },
        );
        h.advance(Duration::minutes(5));
        h.tick().await;
        let dm = h
            .discord
            .wait_for_dm(MIA, |m| m.button("Request top-up").is_some())
            .await;

        let form = h.clicks(MIA, &dm, "Request top-up");
        let reason = five_thousand_characters();
        let sent = h
            .discord
            .answer_modal(form, &[("amount", "5"), ("reason", reason.as_str())])
            .await;
        let refused = h.discord.reply_to(sent).await;
        assert!(refused.ephemeral());
        assert_eq!(refused.text(), REASON_TOO_LONG);
        assert!(
            h.store()
                .open_top_up_for(key.as_str())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !h.discord
                .messages_in(APPROVALS)
                .iter()
                .any(|m| m.embed_text().contains("Top-up request")),
            "no top-up card"
        );
        assert_no_violations(&h);
    }
);

on_each_database!(
    look_alike_member_names_are_refused_saying_what_is_allowed,
    |db| async move {
        let h = Harness::start(db).await;
        let allowed = "is not a valid member name: use 1 to 32 characters from a-z, A-Z, 0-9, '.', '-' and '_'";
        for name in ["аlice", "ａｌｉｃｅ", "josé"] {
            let refused = h.requests_key(MIA, Some(name), "evals").await;
            assert!(refused.ephemeral());
            assert!(
                refused.text().contains(allowed),
                "{name}: {}",
                refused.text()
            );

            let refused = h
                .runs(
                    SlashCommand::new(DANA, "team")
                        .subcommand("link")
                        .user("user", OLU)
                        .string("name", name),
                )
                .await;
            assert!(
                refused.text().contains(allowed),
                "{name}: {}",
                refused.text()
            );
        }
        assert!(h.discord.messages_in(APPROVALS).is_empty(), "no card");
        assert!(h.store().members().await.unwrap().is_empty());

        let sent = h.requests_key(MIA, Some("Alice"), "evals").await;
        assert!(sent.text().contains("Key request #1"), "{}", sent.text());
        assert!(h.card(1).await.embed_text().contains("alice"));
        assert_no_violations(&h);
    }
);

#[tokio::test]
async fn the_tier_options_of_team_offer_the_configured_tiers() {
    let h = Harness::start(support::db::sqlite().await).await;
    let commands = h.discord.guild_commands().expect("commands registered");
    let team = commands
        .iter()
        .find(|c| c["name"] == "team")
        .expect("/team is registered");
    for sub in ["link", "tier"] {
        let options = team["options"]
            .as_array()
            .and_then(|subs| subs.iter().find(|s| s["name"] == sub))
            .and_then(|s| s["options"].as_array())
            .unwrap_or_else(|| panic!("/team {sub} has options"));
        let tier = options
            .iter()
            .find(|o| o["name"] == "tier")
            .unwrap_or_else(|| panic!("/team {sub} has a tier option"));
        assert_eq!(tier["autocomplete"], true, "/team {sub} tier: {tier}");
    }
}
