//! End to end: what the bot does with input it did not make or cannot use as sent (forged button
//! and form ids), through the real bot, the fake Discord (which enforces Discord's limits) and the
//! fake OpenRouter.

mod support;

use openrouter_team_bot::fake::discord::{ComponentClick, ModalSubmit};
use support::bot::*;

const UNKNOWN_BUTTON: &str = "This button is not one I recognise (it may be from an older version of the bot). Run /mykey or /requests again.";
const UNKNOWN_FORM: &str = "This form is not one I recognise (it may be from an older version of the bot). Run /mykey or /requests again.";

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
