//! The audit trail: who did what to whom, and when.

use chrono::{DateTime, Utc};

use super::member::DiscordId;

/// One admin or lifecycle action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// `None` when the bot acted on its own (a job or an event).
    pub actor_id: Option<DiscordId>,
    pub actor_name: String,
    /// A short verb such as `approve_request`, `revoke_key`, `member_left`.
    pub action: String,
    /// Who or what the action was about, such as `alice` or a key name.
    pub target: String,
    pub details: String,
}

/// One line for the alerts channel: `🛡️ approve_request · alice · by Dana: tier basic`.
pub fn describe(entry: &AuditEntry) -> String {
    let actor = match entry.actor_id {
        Some(id) => format!("<@{id}>"),
        None => entry.actor_name.clone(),
    };
    let details = if entry.details.is_empty() {
        String::new()
    } else {
        format!(": {}", entry.details)
    };
    format!(
        "Audit · `{}` · {} · by {actor}{details}",
        entry.action, entry.target
    )
}
