//! Domain results as Discord embeds, buttons and forms. No rules live here, only presentation.
//! One file per flow; this one holds the colours and the small pieces they all use.

mod budget;
mod forms;
mod keys;
mod mykey;
mod requests;
mod topups;

pub use budget::{budget, progress_bar};
pub use forms::{FIELD_AMOUNT, FIELD_NAME, FIELD_REASON, deny_form, request_form, top_up_form};
pub use keys::{replaced_key_pending, replaced_words, revealed, revoke_confirmation};
pub use mykey::{MyKeyView, mykey};
pub use requests::{
    approval_card, auto_approved, decision_dm, denial_reason, request_sent, withdrawn,
};
pub use topups::{top_up_card, top_up_decision_dm};

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateButton};

use super::custom_id::Action;
use crate::money::Usd;
use crate::team::Tier;

/// The colour of what went well or is active.
pub const GREEN: u32 = 0x2ecc71;
/// The colour of what waits for someone, or nears a limit.
pub const YELLOW: u32 = 0xf1c40f;
/// The colour of what was refused or failed, is over a limit, or cannot be undone.
pub const RED: u32 = 0xe74c3c;
/// The colour of information.
pub const BLUE: u32 = 0x3498db;
/// The colour of what is over or empty: withdrawn, expired, ended, nothing waiting.
pub const GREY: u32 = 0x95a5a6;

/// Discord's limit on an embed title, in characters.
pub const TITLE_MAX: usize = 256;
/// The most of a key's name an embed shows.
const KEY_NAME_MAX: usize = 100;

/// Discord's rendering of a time, such as "27 November 2026 10:00" in the reader's zone.
pub fn when(at: DateTime<Utc>) -> String {
    format!("<t:{}:f>", at.timestamp())
}

/// A moment as Discord shows it relative to the reader's now ("in 5 hours").
pub fn relative(at: DateTime<Utc>) -> String {
    format!("<t:{}:R>", at.timestamp())
}

/// `embed` with its timestamp (shown by Discord in the reader's time zone beside the footer).
pub fn stamped(embed: serenity::CreateEmbed, at: DateTime<Utc>) -> serenity::CreateEmbed {
    match serenity::Timestamp::from_unix_timestamp(at.timestamp()) {
        Ok(at) => embed.timestamp(at),
        Err(_) => embed,
    }
}

/// A button that carries `action`.
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
    use crate::team::reason::REASON_MAX_CHARS;
    use crate::team::{KeyRequest, RequestStatus, TeamKey, TopUp, TopUpStatus};
    use poise::serenity_prelude::CreateEmbed;

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
            access: crate::domain::Access::Key,
            fallback_model: None,
            max_output_tokens: None,
            max_in_flight: None,
            requests_per_minute: None,
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
            usage: crate::domain::Usage::default(),
            guardrail_id: None,
            created_at: at,
            expires_at: None,
            synced_at: Some(at),
            deleted_at: None,
            access: crate::domain::Access::Key,
        };
        let tier = tier();
        let (embed, _) = mykey(MyKeyView::Key {
            key: &key,
            tier: &tier,
        });
        assert_eq!(refused(&[embed]), "");
    }

    #[test]
    fn a_top_up_card_with_an_overlong_stored_reason_and_key_name_still_fits_discord() {
        let top_up = TopUp {
            id: 1,
            key_hash: "ab".repeat(32),
            member_id: Some(1),
            requested_by: crate::team::DiscordId(20),
            amount: Usd::from_dollars(5),
            reason: "demo tomorrow ".repeat(400),
            status: TopUpStatus::Pending,
            decided_by: None,
            original_limit: None,
            window_end: None,
            approval_message: None,
            created_at: DateTime::UNIX_EPOCH,
        };
        let (embed, _) = top_up_card(&top_up, "mia", &"laptop-".repeat(800));
        assert_eq!(refused(&[embed]), "");
    }
}
