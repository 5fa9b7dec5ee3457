//! Key requests: a member asks, an admin decides, the member reveals the key once.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::DiscordId;

/// Where a key request stands. The only moves are
/// `pending -> approved | denied | expired | cancelled`, `approved -> provisioning | expired`,
/// `provisioning -> fulfilled | approved` (the latter when creating the key failed for sure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    Provisioning,
    Fulfilled,
    Expired,
    Cancelled,
}

impl RequestStatus {
    /// The status as stored and shown (`pending`, `approved`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
            RequestStatus::Provisioning => "provisioning",
            RequestStatus::Fulfilled => "fulfilled",
            RequestStatus::Expired => "expired",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the request is still in flight (at most one per user).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestStatus::Pending | RequestStatus::Approved | RequestStatus::Provisioning
        )
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => RequestStatus::Pending,
            "approved" => RequestStatus::Approved,
            "denied" => RequestStatus::Denied,
            "provisioning" => RequestStatus::Provisioning,
            "fulfilled" => RequestStatus::Fulfilled,
            "expired" => RequestStatus::Expired,
            "cancelled" => RequestStatus::Cancelled,
            other => return Err(format!("unknown request status {other:?}")),
        })
    }
}

/// Whether a request is for a first key or to replace an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    New,
    Rotate,
}

impl RequestKind {
    /// The kind as stored (`new` or `rotate`).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::New => "new",
            RequestKind::Rotate => "rotate",
        }
    }

    /// The kind a stored value names, if any.
    pub fn parse(s: &str) -> Option<RequestKind> {
        match s {
            "new" => Some(RequestKind::New),
            "rotate" => Some(RequestKind::Rotate),
            _ => None,
        }
    }
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRequest {
    pub id: i64,
    pub requester: DiscordId,
    pub member_id: Option<i64>,
    /// The member name the key will carry (asked of unlinked users, confirmed by admins).
    pub member_name: String,
    pub tier: String,
    pub kind: RequestKind,
    pub reason: String,
    pub status: RequestStatus,
    pub decided_by: Option<DiscordId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub approval_message: Option<(DiscordId, DiscordId)>,
    pub dm_failed: bool,
    /// The name used for the key at OpenRouter, fixed when provisioning starts.
    pub key_name: Option<String>,
    pub key_hash: Option<String>,
    pub replaces_key_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a new request carries.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKeyRequest {
    pub requester: DiscordId,
    pub member_id: Option<i64>,
    pub member_name: String,
    pub tier: String,
    pub kind: RequestKind,
    pub reason: String,
    pub replaces_key_hash: Option<String>,
    pub expires_at: DateTime<Utc>,
}
