//! A key as OpenRouter lists it: what a sync stores and what the team's flows act on.

use chrono::{DateTime, Utc};

use super::Usage;
use crate::money::Usd;
use crate::reset::LimitReset;

/// A key's identifier at OpenRouter (`hash`). Not a secret: it cannot call models.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyHash(pub String);

impl KeyHash {
    /// The hash as OpenRouter writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One API key as OpenRouter describes it (`GET /keys`, `GET /keys/{hash}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub hash: KeyHash,
    pub name: String,
    /// OpenRouter's masked form of the key, such as `sk-or-v1-abc...xyz`.
    pub label: String,
    pub disabled: bool,
    pub limit: Option<Usd>,
    pub limit_remaining: Option<Usd>,
    pub limit_reset: LimitReset,
    pub include_byok_in_limit: bool,
    pub usage: Usage,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub workspace_id: Option<String>,
}
