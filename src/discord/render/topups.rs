//! A top-up as Discord shows it: the card in the approvals channel and the decision DM.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateEmbed, CreateEmbedFooter};

use super::{BLUE, GREEN, GREY, RED, YELLOW, button, key_name, stamped, truncate, when};
use crate::discord::custom_id::Action;
use crate::team::reason::REASON_MAX_CHARS;
use crate::team::{TopUp, TopUpStatus};

/// The top-up card in the approvals channel, for `who`'s key named `key`.
pub fn top_up_card(top_up: &TopUp, who: &str, key: &str) -> (CreateEmbed, Vec<CreateActionRow>) {
    let mut embed = CreateEmbed::new()
        .title(format!("Top-up request #{}", top_up.id))
        .field("Who", format!("{who} (<@{}>)", top_up.requested_by), true)
        .field("Key", key_name(key), true)
        .field("Amount", top_up.amount.to_string(), true)
        .field(
            "Reason",
            if top_up.reason.is_empty() {
                "(none given)".to_string()
            } else {
                truncate(&top_up.reason, REASON_MAX_CHARS)
            },
            false,
        )
        .footer(CreateEmbedFooter::new(
            "An approved top-up raises the key's limit until its budget window resets · requested",
        ));
    embed = stamped(embed, top_up.created_at);
    let mut rows = Vec::new();
    let by = top_up
        .decided_by
        .map(|id| format!(" by <@{id}>"))
        .unwrap_or_default();
    match top_up.status {
        TopUpStatus::Pending => {
            embed = embed.color(YELLOW).description("Waiting for an admin.");
            rows.push(CreateActionRow::Buttons(vec![
                button(
                    Action::ApproveTopUp(top_up.id),
                    "Approve top-up",
                    ButtonStyle::Success,
                ),
                button(
                    Action::DenyTopUp(top_up.id),
                    "Deny top-up",
                    ButtonStyle::Danger,
                ),
            ]));
        }
        TopUpStatus::Denied => embed = embed.color(RED).description(format!("Denied{by}.")),
        TopUpStatus::Applied | TopUpStatus::Approved => {
            let until = top_up
                .window_end
                .map(|end| format!(" until {}", when(end)))
                .unwrap_or_default();
            embed = embed
                .color(GREEN)
                .description(format!("Approved{by}: the limit is raised{until}."));
        }
        TopUpStatus::Reverted | TopUpStatus::Expired => {
            embed = embed
                .color(GREY)
                .description(format!("Approved{by}; ended when the window reset."));
        }
    }
    (embed, rows)
}

/// The DM that tells a member what the admins decided on their top-up of the key `key_name`.
pub fn top_up_decision_dm(top_up: &TopUp, key_name: &str, approved: bool) -> CreateEmbed {
    let text = if approved {
        format!(
            "Your top-up of {} for `{key_name}` was approved: the limit is raised{}.",
            top_up.amount,
            top_up
                .window_end
                .map(|end| format!(" until {}", when(end)))
                .unwrap_or_default()
        )
    } else {
        format!(
            "Your top-up of {} for `{key_name}` was denied.",
            top_up.amount
        )
    };
    CreateEmbed::new()
        .title("Top-up")
        .description(text)
        .color(BLUE)
}
