//! The team's keys as the bot knows them: who owns which OpenRouter key, its limit and last usage.

use chrono::{DateTime, Utc};

use super::{Access, Usage};
use crate::money::Usd;
use crate::reset::LimitReset;

/// A key the bot has seen at OpenRouter, owned by a member or not (yet).
#[derive(Debug, Clone, PartialEq)]
pub struct TeamKey {
    pub hash: String,
    pub member_id: Option<i64>,
    pub request_id: Option<i64>,
    pub name: String,
    pub label: String,
    pub workspace_id: Option<String>,
    pub disabled: bool,
    pub limit: Option<Usd>,
    pub reset: LimitReset,
    pub usage: Usage,
    pub guardrail_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When usage was last read from OpenRouter.
    pub synced_at: Option<DateTime<Utc>>,
    /// When the bot deleted the key at OpenRouter (or saw it gone).
    pub deleted_at: Option<DateTime<Utc>>,
    /// A key at OpenRouter, or a gateway token (whose `hash` is the token's keyed digest).
    pub access: Access,
}

impl TeamKey {
    /// Whether the key still exists at OpenRouter as far as the bot knows.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// Whether this is a gateway token, which lives only in the bot's database.
    pub fn is_gateway_token(&self) -> bool {
        self.access == Access::Gateway
    }
}
