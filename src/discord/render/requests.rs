//! A key request as Discord shows it: the approval card, the member's answers, the decision DM.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateEmbed};

use super::mykey::{MyKeyView, mykey};
use super::{GREEN, GREY, RED, YELLOW, button, models_line, relative, stamped, truncate, when};
use crate::discord::custom_id::Action;
use crate::domain::Access;
use crate::team::provisioning::limit_words;
use crate::team::reason::REASON_MAX_CHARS;
use crate::team::{KeyRequest, RequestStatus, Tier};

/// The approval card posted to the approvals channel.
pub fn approval_card(
    request: &KeyRequest,
    tier: &Tier,
    linked: bool,
) -> (CreateEmbed, Vec<CreateActionRow>) {
    let mut embed = CreateEmbed::new()
        .title(format!("Key request #{}", request.id))
        .field("Who", format!("<@{}>", request.requester), true)
        .field(
            "Member name",
            if linked {
                request.member_name.clone()
            } else {
                format!(
                    "{} (new to the roster: approving adds them)",
                    request.member_name
                )
            },
            true,
        )
        .field(
            "Tier",
            format!("{} · {}", tier.name, limit_words(tier)),
            true,
        )
        .field("Models", truncate(&models_line(tier), 1024), false)
        .field("Reason", truncate(&request.reason, REASON_MAX_CHARS), false)
        .field("Requested", relative(request.created_at), true)
        .field(
            if request.status == RequestStatus::Pending {
                "Expires"
            } else {
                "Would have expired"
            },
            format!(
                "{} ({})",
                relative(request.expires_at),
                when(request.expires_at)
            ),
            true,
        );
    embed = stamped(embed, request.created_at);
    let mut rows = Vec::new();
    match request.status {
        RequestStatus::Pending => {
            embed = embed.color(YELLOW).description("Waiting for an admin.");
            rows.push(CreateActionRow::Buttons(vec![
                button(Action::Approve(request.id), "Approve", ButtonStyle::Success),
                button(
                    Action::OpenDenyForm(request.id),
                    "Deny",
                    ButtonStyle::Danger,
                ),
            ]));
        }
        status => {
            let by = request
                .decided_by
                .map(|id| format!(" by <@{id}>"))
                .unwrap_or_else(|| " automatically".into());
            let (color, text) = match status {
                RequestStatus::Denied => (RED, format!("Denied{by}: {}", denial_reason(request))),
                RequestStatus::Expired => (
                    GREY,
                    "Expired without a decision or without being revealed.".to_string(),
                ),
                RequestStatus::Cancelled => (GREY, "Withdrawn by the member.".to_string()),
                RequestStatus::Fulfilled => (
                    GREEN,
                    format!("Approved{by}. The member has revealed the key."),
                ),
                _ => (GREEN, format!("Approved{by}.")),
            };
            let mut text = text;
            if request.dm_failed {
                text.push_str("\n⚠️ The member could not be told by DM (their DMs are closed); /mykey shows them the outcome.");
            }
            embed = embed.color(color).description(text);
        }
    }
    (embed, rows)
}

/// Why a request was denied, as short as the forms make it (rows written before that bound
/// are cut here, so no card or DM outgrows Discord's limits).
pub fn denial_reason(request: &KeyRequest) -> String {
    match request.decision_note.as_deref() {
        Some(note) => truncate(note, REASON_MAX_CHARS),
        None => "no reason given".into(),
    }
}

/// The member's answer once their request waits for the admins.
pub fn request_sent(request: &KeyRequest, tier: &Tier) -> CreateEmbed {
    CreateEmbed::new()
        .title(format!("Key request #{} sent", request.id))
        .description(format!(
            "The admins have been asked. You will get a DM when they decide; /mykey shows where it stands.\n\nTier **{}**: {}.",
            tier.name,
            limit_words(tier)
        ))
        .color(YELLOW)
}

/// The member's answer when their tier needs no approval: `/mykey`'s view of the request,
/// saying so.
pub fn auto_approved(request: &KeyRequest, tier: &Tier) -> (CreateEmbed, Vec<CreateActionRow>) {
    let (embed, rows) = mykey(MyKeyView::Request(request));
    (
        embed.description(format!(
            "Your tier **{}** needs no approval. Reveal your key now: it is shown **once**, only to you.",
            tier.name
        )),
        rows,
    )
}

/// `/mykey`'s view of a request the member has just withdrawn.
pub fn withdrawn(request: &KeyRequest) -> CreateEmbed {
    CreateEmbed::new()
        .title(format!("Your key request #{}", request.id))
        .description("Withdrawn. Run /mykey to ask again.")
        .color(GREY)
}

/// The DM that tells a member what the admins decided on their request, for a tier that gives
/// `access`.
pub fn decision_dm(request: &KeyRequest, access: Access) -> (CreateEmbed, Vec<CreateActionRow>) {
    let (what, its) = match access {
        Access::Key => ("Your OpenRouter key", "your key"),
        Access::Gateway => ("Your gateway token", "your token"),
    };
    match request.status {
        RequestStatus::Approved => (
            CreateEmbed::new()
                .title(format!("{what} was approved"))
                .description(format!(
                    "Request #{} was approved. Reveal {its} below: it is shown **once**, only to you. (It is also on /mykey.)",
                    request.id
                ))
                .color(GREEN),
            vec![CreateActionRow::Buttons(vec![button(
                Action::Reveal(request.id),
                "Reveal my key",
                ButtonStyle::Success,
            )])],
        ),
        _ => (
            CreateEmbed::new()
                .title("Your OpenRouter key request was denied")
                .description(format!(
                    "Request #{} was denied: {}\n\nYou can ask again with /mykey.",
                    request.id,
                    denial_reason(request)
                ))
                .color(RED),
            vec![],
        ),
    }
}
