//! Top-ups: a temporary raise of a key's limit, asked for from a budget alert, approved by an
//! admin, and put back when the key's budget window resets.

use chrono::{DateTime, Utc};

use super::DiscordId;
use crate::money::Usd;

/// Where a top-up stands: `pending -> approved -> applied -> reverted`, or `pending -> denied`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopUpStatus {
    Pending,
    Approved,
    Denied,
    Applied,
    Reverted,
    Expired,
}

impl TopUpStatus {
    /// The status as stored (`pending`, `approved`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TopUpStatus::Pending => "pending",
            TopUpStatus::Approved => "approved",
            TopUpStatus::Denied => "denied",
            TopUpStatus::Applied => "applied",
            TopUpStatus::Reverted => "reverted",
            TopUpStatus::Expired => "expired",
        }
    }

    /// The status a stored value names, if any.
    pub fn parse(s: &str) -> Option<TopUpStatus> {
        Some(match s {
            "pending" => TopUpStatus::Pending,
            "approved" => TopUpStatus::Approved,
            "denied" => TopUpStatus::Denied,
            "applied" => TopUpStatus::Applied,
            "reverted" => TopUpStatus::Reverted,
            "expired" => TopUpStatus::Expired,
            _ => return None,
        })
    }
}

/// A top-up as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TopUp {
    pub id: i64,
    pub key_hash: String,
    pub member_id: Option<i64>,
    pub requested_by: DiscordId,
    pub amount: Usd,
    pub reason: String,
    pub status: TopUpStatus,
    pub decided_by: Option<DiscordId>,
    /// The limit before the raise, to put back.
    pub original_limit: Option<Usd>,
    /// When the raise ends (the key's window reset); `None` for lifetime limits.
    pub window_end: Option<DateTime<Utc>>,
    pub approval_message: Option<(DiscordId, DiscordId)>,
    pub created_at: DateTime<Utc>,
}
