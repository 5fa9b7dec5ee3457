//! Domain results as Discord embeds and buttons. No rules live here, only presentation.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use secrecy::ExposeSecret;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter};

use super::custom_id::Action;
use crate::money::Usd;
use crate::team::budget::{BudgetStatus, Freshness};
use crate::team::provisioning::{Replaced, ReplacedState, Revealed, limit_words};
use crate::team::reason::REASON_MAX_CHARS;
use crate::team::{KeyRequest, RequestStatus, TeamKey, Tier};

pub const GREEN: u32 = 0x2ecc71;
pub const YELLOW: u32 = 0xf1c40f;
pub const RED: u32 = 0xe74c3c;
pub const BLUE: u32 = 0x3498db;
pub const GREY: u32 = 0x95a5a6;

/// Discord's limit on an embed title, in characters.
pub const TITLE_MAX: usize = 256;
/// The most of a key's name an embed shows.
const KEY_NAME_MAX: usize = 100;

/// Discord's rendering of a time, such as "27 November 2026 10:00" in the reader's zone.
pub fn when(at: DateTime<Utc>) -> String {
    format!("<t:{}:f>", at.timestamp())
}

fn button(action: Action, label: &str, style: ButtonStyle) -> CreateButton {
    CreateButton::new(action.id()).label(label).style(style)
}

/// The allowlist as a short line.
pub fn models_line(tier: &Tier) -> String {
    match &tier.allowed_models {
        None => "all models".into(),
        Some(models) => models
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

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
        .footer(CreateEmbedFooter::new(format!(
            "Requested {} UTC · expires {} UTC",
            request.created_at.format("%Y-%m-%d %H:%M"),
            request.expires_at.format("%Y-%m-%d %H:%M")
        )));
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

/// What `/mykey` shows.
pub enum MyKeyView<'a> {
    NoKey { last: Option<&'a KeyRequest> },
    Request(&'a KeyRequest),
    Key { key: &'a TeamKey, tier: &'a Tier },
}

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
                embed = embed.footer(CreateEmbedFooter::new(format!(
                    "Spend as of {} UTC. The full key was shown once when it was created.",
                    at.format("%H:%M")
                )));
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

/// The one-time reveal: the key and a quick start, for its owner only.
pub fn revealed(revealed: &Revealed, team_title: &str) -> CreateEmbed {
    let secret = revealed.secret.expose_secret();
    let title = format!("{team_title} / {}", revealed.member_name);
    let quick_start = format!(
        "```sh\nexport OPENROUTER_API_KEY={secret}\ncurl https://openrouter.ai/api/v1/chat/completions \\\n  -H \"Authorization: Bearer $OPENROUTER_API_KEY\" \\\n  -H \"HTTP-Referer: https://discord.com\" \\\n  -H \"X-OpenRouter-Title: {title}\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"model\": \"{model}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hello\"}}]}}'\n```",
        model = revealed
            .tier
            .allowed_models
            .as_ref()
            .and_then(|m| m.first().cloned())
            .unwrap_or_else(|| "openai/gpt-4o-mini".into()),
    );
    let mut description = format!(
        "**Your key** (shown only this once; copy it now):\n```\n{secret}\n```\nBase URL: `https://openrouter.ai/api/v1` (OpenAI-compatible). Keep the key in an environment variable such as `OPENROUTER_API_KEY`; never commit it.\n\n**Quick start**\n{quick_start}"
    );
    if let Some(old) = &revealed.replaced {
        description.push_str(&format!("\n{}", replaced_words(old)));
    }
    CreateEmbed::new()
        .title(truncate(
            &format!("Your key {}", revealed.key.name),
            TITLE_MAX,
        ))
        .color(GREEN)
        .description(description)
        .field("Limit", limit_words(&revealed.tier), true)
        .field("Tier", revealed.tier.name.to_string(), true)
        .field(
            "Allowed models",
            truncate(&models_line(&revealed.tier), 1024),
            false,
        )
        .footer(CreateEmbedFooter::new(
            "This message is visible only to you. Lost it? /mykey > Rotate makes a new key.",
        ))
}

/// What became of the key a rotation replaced, for its owner.
pub fn replaced_words(old: &Replaced) -> String {
    let name = &old.name;
    match old.state {
        ReplacedState::Deleted => format!("Your previous key `{name}` has been deleted."),
        ReplacedState::DisabledAwaitingDeletion => format!(
            "Your previous key `{name}` is disabled and no longer works. OpenRouter did not delete it yet; the bot keeps trying until it is gone, and the admins have been told."
        ),
        ReplacedState::LiveAwaitingDeletion => format!(
            "**Your previous key `{name}` still works**: OpenRouter failed to delete or disable it. The bot keeps trying until it is gone, and the admins have been told."
        ),
    }
}

/// The alerts-channel notice of a replaced key that is not gone yet.
pub fn replaced_key_pending(member_name: &str, old: &Replaced) -> CreateEmbed {
    let state = match old.state {
        ReplacedState::Deleted => "deleted",
        ReplacedState::DisabledAwaitingDeletion => "disabled, not yet deleted",
        ReplacedState::LiveAwaitingDeletion => {
            "still live (OpenRouter failed to delete or disable it)"
        }
    };
    CreateEmbed::new()
        .title("Rotated key not deleted yet")
        .color(RED)
        .description(format!(
            "{member_name} rotated their key; the previous key `{}` is {state}. The bot retries the deletion with every sync until it is gone.",
            old.name
        ))
}

/// `/budget`.
pub fn budget(status: &BudgetStatus) -> CreateEmbed {
    let spent = status.spent();
    let (limit_text, remaining_text, bar) =
        match (status.limit, status.remaining(), status.percent_used()) {
            (Some(limit), Some(remaining), Some(percent)) => (
                format!("{limit} {}", status.reset.per_period()),
                remaining.to_string(),
                format!("{} {percent}%", progress_bar(percent)),
            ),
            _ => ("no limit".into(), "unlimited".into(), String::new()),
        };
    let as_of = match status.freshness {
        Freshness::Live => "Figures: live from OpenRouter.".to_string(),
        Freshness::Stored(at) => format!(
            "Figures: as of {} UTC (OpenRouter did not answer in time).",
            at.format("%H:%M")
        ),
    };
    let resets = status
        .window
        .end
        .map(|end| format!("resets {}", when(end)))
        .unwrap_or_else(|| "never resets".into());
    CreateEmbed::new()
        .title(format!("Budget of {}", status.member.name))
        .color(match status.percent_used() {
            Some(p) if p >= 100 => RED,
            Some(p) if p >= 80 => YELLOW,
            _ => GREEN,
        })
        .description(format!("{bar}\n{spent} of {limit_text} · {resets}"))
        .field("Today", status.usage.daily.to_string(), true)
        .field("This week", status.usage.weekly.to_string(), true)
        .field("This month", status.usage.monthly.to_string(), true)
        .field("Remaining", remaining_text, true)
        .field("Tier", status.tier.name.to_string(), true)
        .field("Key", key_name(&status.key.name), true)
        .field(
            "Allowed models",
            truncate(&models_line(&status.tier), 1024),
            false,
        )
        .footer(CreateEmbedFooter::new(as_of))
}

/// `[########------]` for a percentage (capped at full).
pub fn progress_bar(percent: i64) -> String {
    let filled = (percent.clamp(0, 100) / 5) as usize;
    format!("`[{}{}]`", "#".repeat(filled), "-".repeat(20 - filled))
}

/// A key's name as code, shortened: names of keys made outside the bot have no length limit.
pub fn key_name(name: &str) -> String {
    format!("`{}`", truncate(name, KEY_NAME_MAX))
}

/// Shortens text to at most `max` characters, saying so with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Money for table cells.
pub fn usd(amount: Usd) -> String {
    amount.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_fills_with_the_percentage() {
        assert_eq!(progress_bar(0), "`[--------------------]`");
        assert_eq!(progress_bar(55), "`[###########---------]`");
        assert_eq!(progress_bar(150), "`[####################]`");
    }

    #[test]
    fn truncation_marks_what_it_cut() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }

    /// Discord's complaints about a message carrying `embeds`, as the fake Discord makes them.
    fn refused(embeds: &[CreateEmbed]) -> String {
        let body = serde_json::json!({ "embeds": embeds });
        fakes::discord::limits::check_message(&body).summary()
    }

    fn long(what: &str) -> String {
        format!("{what} ").repeat(5000 / (what.len() + 1) + 1)
    }

    fn tier() -> Tier {
        Tier {
            name: crate::team::TierName::parse("basic").unwrap(),
            limit: Some(Usd::from_dollars(10)),
            reset: crate::reset::LimitReset::Daily,
            allowed_models: Some((0..300).map(|i| format!("vendor/model-{i}")).collect()),
            auto_approve: false,
            role_ids: vec![],
        }
    }

    /// A denied request with texts far beyond the forms' bounds, as rows written before them
    /// may hold.
    fn denied_request() -> KeyRequest {
        let at = DateTime::UNIX_EPOCH;
        KeyRequest {
            id: 1,
            requester: crate::team::DiscordId(20),
            member_id: None,
            member_name: "mia".into(),
            tier: "basic".into(),
            kind: crate::team::RequestKind::New,
            reason: long("reason"),
            status: RequestStatus::Denied,
            decided_by: Some(crate::team::DiscordId(10)),
            decided_at: Some(at),
            decision_note: Some(long("note")),
            approval_message: None,
            dm_failed: true,
            key_name: None,
            key_hash: None,
            replaces_key_hash: None,
            created_at: at,
            updated_at: at,
            expires_at: at,
        }
    }

    #[test]
    fn cards_with_overlong_stored_texts_still_fit_discord() {
        let request = denied_request();
        let (card, _) = approval_card(&request, &tier(), false);
        assert_eq!(refused(&[card]), "");
        let (mykey, _) = mykey(MyKeyView::NoKey {
            last: Some(&request),
        });
        assert_eq!(refused(&[mykey]), "");
        assert!(denial_reason(&request).ends_with('…'));
        assert_eq!(denial_reason(&request).chars().count(), REASON_MAX_CHARS);
    }

    #[test]
    fn a_key_made_outside_the_bot_with_a_very_long_name_still_fits_discord() {
        let at = DateTime::UNIX_EPOCH;
        let key = TeamKey {
            hash: "ab".repeat(32),
            member_id: Some(1),
            request_id: None,
            name: long("name"),
            label: "sk-or-v1-abc...xyz".into(),
            workspace_id: None,
            disabled: false,
            limit: Some(Usd::from_dollars(10)),
            reset: crate::reset::LimitReset::Daily,
            usage: crate::openrouter::Usage::default(),
            guardrail_id: None,
            created_at: at,
            expires_at: None,
            synced_at: Some(at),
            deleted_at: None,
        };
        let tier = tier();
        let (embed, _) = mykey(MyKeyView::Key {
            key: &key,
            tier: &tier,
        });
        assert_eq!(refused(&[embed]), "");
    }
}
