//! The forms (modals) the bot opens, and the ids of their fields the answers are read by.

use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateInputText, CreateModal, InputTextStyle};

use crate::discord::custom_id::Action;
use crate::money::Usd;
use crate::team::MemberName;
use crate::team::reason::REASON_MAX_CHARS;

/// The id of the form field for the member's name.
pub const FIELD_NAME: &str = "name";
/// The id of the form field for a reason.
pub const FIELD_REASON: &str = "reason";
/// The id of the form field for an amount of money.
pub const FIELD_AMOUNT: &str = "amount";

/// The key request form; it asks for a member name only from someone not yet on the roster.
pub fn request_form(on_roster: bool) -> CreateModal {
    let mut rows = Vec::new();
    if !on_roster {
        rows.push(CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Short,
                "Your member name (e.g. your first name)",
                FIELD_NAME,
            )
            .required(true)
            .min_length(1)
            .max_length(MemberName::MAX_CHARS as u16),
        ));
    }
    rows.push(CreateActionRow::InputText(
        CreateInputText::new(
            InputTextStyle::Paragraph,
            "What is the key for?",
            FIELD_REASON,
        )
        .required(true)
        .max_length(REASON_MAX_CHARS as u16),
    ));
    CreateModal::new(Action::SubmitRequest.id(), "Request an OpenRouter key").components(rows)
}

/// The form an admin gives the reason for denying a request in.
pub fn deny_form(request_id: i64) -> CreateModal {
    let input = CreateInputText::new(
        InputTextStyle::Paragraph,
        "Reason (the member sees it)",
        FIELD_REASON,
    )
    .required(true)
    .max_length(REASON_MAX_CHARS as u16);
    CreateModal::new(
        Action::SubmitDeny(request_id).id(),
        format!("Deny request #{request_id}"),
    )
    .components(vec![CreateActionRow::InputText(input)])
}

/// The form a member asks for a top-up of the key `key_hash` in, up to `max`.
pub fn top_up_form(key_hash: &str, max: Usd) -> CreateModal {
    let amount = CreateInputText::new(
        InputTextStyle::Short,
        format!("Amount in US dollars (at most {max})"),
        FIELD_AMOUNT,
    )
    .placeholder("10")
    .required(true)
    .max_length(12);
    let reason = CreateInputText::new(InputTextStyle::Paragraph, "Why (optional)", FIELD_REASON)
        .required(false)
        .max_length(REASON_MAX_CHARS as u16);
    CreateModal::new(
        Action::SubmitTopUp(key_hash.to_string()).id(),
        "Request a top-up",
    )
    .components(vec![
        CreateActionRow::InputText(amount),
        CreateActionRow::InputText(reason),
    ])
}
