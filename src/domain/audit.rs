//! The audit trail's record: who did what to whom, and when.

use chrono::{DateTime, Utc};

use super::DiscordId;

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
