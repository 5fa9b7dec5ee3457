//! `/mykey`: the member's key, or the request that will become it, with the buttons that act on it.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateEmbed, CreateEmbedFooter};

use super::requests::denial_reason;
use super::{
    BLUE, GREEN, GREY, RED, YELLOW, button, key_name, models_line, stamped, truncate, when,
};
use crate::discord::custom_id::Action;
use crate::team::my_key::MyKey;
use crate::team::{KeyRequest, RequestStatus, TeamKey, Tier};

/// What `/mykey` shows.
pub enum MyKeyView<'a> {
    /// No key and no request in progress; `last` is the member's latest request, if any.
    NoKey { last: Option<&'a KeyRequest> },
    /// A request in progress: pending, approved, or its key being created.
    Request(&'a KeyRequest),
    /// The member's key, under its tier.
    Key { key: &'a TeamKey, tier: &'a Tier },
}

impl<'a> From<&'a MyKey> for MyKeyView<'a> {
    fn from(my_key: &'a MyKey) -> MyKeyView<'a> {
        match my_key {
            MyKey::NoKey { last } => MyKeyView::NoKey {
                last: last.as_ref(),
            },
            MyKey::Request(request) => MyKeyView::Request(request),
            MyKey::Key { key, tier } => MyKeyView::Key { key, tier },
        }
    }
}

/// `/mykey`'s embed and the buttons that act on what it shows.
pub fn mykey(view: MyKeyView<'_>) -> (CreateEmbed, Vec<CreateActionRow>) {
    match view {
        MyKeyView::NoKey { last } => {
            let mut text =
                "You have no OpenRouter key yet. Request one and an admin will approve it."
                    .to_string();
            match last.map(|r| (r.status, r)) {
                Some((RequestStatus::Denied, r)) => {
                    text = format!(
                        "Your last request (#{}) was denied: {}\n\nYou can ask again.",
                        r.id,
                        denial_reason(r)
                    )
                }
                Some((RequestStatus::Expired, r)) => {
                    text = format!("Your last request (#{}) expired. You can ask again.", r.id)
                }
                _ => {}
            }
            (
                CreateEmbed::new()
                    .title("Your OpenRouter key")
                    .description(text)
                    .color(GREY),
                vec![CreateActionRow::Buttons(vec![button(
                    Action::OpenRequestForm,
                    "Request a key",
                    ButtonStyle::Primary,
                )])],
            )
        }
        MyKeyView::Request(request) => {
            let embed = CreateEmbed::new().title(format!("Your key request #{}", request.id));
            match request.status {
                RequestStatus::Pending => (
                    embed
                        .color(YELLOW)
                        .description(format!(
                            "Waiting for an admin since {}.",
                            when(request.created_at)
                        )),
                    vec![CreateActionRow::Buttons(vec![button(
                        Action::Cancel(request.id),
                        "Withdraw request",
                        ButtonStyle::Secondary,
                    )])],
                ),
                RequestStatus::Approved => (
                    embed.color(GREEN).description(format!(
                        "Approved. Reveal your key: it is shown **once**, only to you. Reveal before {}.",
                        when(request.expires_at)
                    )),
                    vec![CreateActionRow::Buttons(vec![button(
                        Action::Reveal(request.id),
                        "Reveal my key",
                        ButtonStyle::Success,
                    )])],
                ),
                // A creation a crash interrupted is cleaned up when Reveal is pressed again.
                _ => (
                    embed.color(BLUE).description(
                        "Your key is being created. If it does not show up, press Reveal in a minute.",
                    ),
                    vec![CreateActionRow::Buttons(vec![button(
                        Action::Reveal(request.id),
                        "Reveal my key",
                        ButtonStyle::Success,
                    )])],
                ),
            }
        }
        MyKeyView::Key { key, tier } => {
            let spent = key.usage.in_window(key.reset);
            let mut embed = CreateEmbed::new()
                .title("Your OpenRouter key")
                .color(if key.disabled { RED } else { GREEN })
                .field("Name", key_name(&key.name), true)
                .field("Key", format!("`{}`", key.label), true)
                .field(
                    "State",
                    if key.disabled { "disabled" } else { "active" },
                    true,
                )
                .field(
                    "Limit",
                    match key.limit {
                        Some(l) => format!("{l} {}", key.reset.per_period()),
                        None => "no limit".into(),
                    },
                    true,
                )
                .field(
                    format!("Spent ({})", window_word(key)),
                    spent.to_string(),
                    true,
                )
                .field("Tier", tier.name.to_string(), true)
                .field("Created", when(key.created_at), true)
                .field(
                    "Expires",
                    key.expires_at.map(when).unwrap_or_else(|| "never".into()),
                    true,
                )
                .field("Allowed models", truncate(&models_line(tier), 1024), false);
            if let Some(at) = key.synced_at {
                embed = stamped(
                    embed.footer(CreateEmbedFooter::new(
                        "The full key was shown once, when it was created · spend synced",
                    )),
                    at,
                );
            }
            (
                embed,
                vec![CreateActionRow::Buttons(vec![
                    button(Action::Rotate, "Rotate", ButtonStyle::Primary),
                    button(Action::AskRevoke, "Revoke", ButtonStyle::Danger),
                ])],
            )
        }
    }
}

fn window_word(key: &TeamKey) -> &'static str {
    match key.reset {
        crate::reset::LimitReset::Daily => "today",
        crate::reset::LimitReset::Weekly => "this week",
        crate::reset::LimitReset::Monthly => "this month",
        crate::reset::LimitReset::Never => "in total",
    }
}
