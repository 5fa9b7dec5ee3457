//! OpenRouter's management objects as the bot uses them, converted from the API's JSON at the edge:
//! money becomes [`Usd`], times become `DateTime<Utc>`, and a created key's plaintext stays secret.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

pub use crate::domain::{ApiKey, KeyHash, Usage};
use crate::money::Usd;
use crate::reset::LimitReset;

/// The key the bot itself authenticates with (`GET /key`).
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentKey {
    pub label: String,
    pub is_management_key: bool,
    pub limit: Option<Usd>,
    pub usage: Usd,
}

/// What to create with `POST /keys`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub name: String,
    pub limit: Option<Usd>,
    pub limit_reset: LimitReset,
    pub expires_at: Option<DateTime<Utc>>,
    pub include_byok_in_limit: Option<bool>,
    pub workspace_id: Option<String>,
}

/// A freshly created key: its description and, once only, its plaintext.
#[derive(Debug)]
pub struct CreatedKey {
    pub key: ApiKey,
    /// The plaintext `sk-or-v1-...`; shown to its owner once, never stored or logged.
    pub secret: SecretString,
}

/// A partial update for `PATCH /keys/{hash}`: `None` fields are left out of the request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyUpdate {
    pub name: Option<String>,
    pub disabled: Option<bool>,
    /// `Some(LimitChange::Remove)` sends `"limit": null`; `None` leaves the limit alone.
    pub limit: Option<LimitChange>,
    pub limit_reset: Option<LimitReset>,
    pub include_byok_in_limit: Option<bool>,
}

/// A change to a key's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitChange {
    Set(Usd),
    Remove,
}

/// The account's credits (`GET /credits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credits {
    pub total_credits: Usd,
    pub total_usage: Usd,
}

impl Credits {
    /// What is left to spend.
    pub fn balance(&self) -> Usd {
        self.total_credits - self.total_usage
    }
}

/// One row of `GET /activity`: a day's usage of one model (by one key when filtered).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
    pub model: String,
    pub usage: Usd,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// A guardrail, as far as the bot uses them: a named model allowlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Guardrail {
    pub id: String,
    pub name: String,
    /// `None`: every model is allowed.
    pub allowed_models: Option<Vec<String>>,
}

/// What to create or change on a guardrail (`POST /guardrails`, `PATCH /guardrails/{id}`).
#[derive(Debug, Clone, PartialEq)]
pub struct GuardrailSpec {
    pub name: String,
    /// The models the guardrail allows. Empty means every model: OpenRouter has no "no model"
    /// allowlist, so an empty list is left out on create and cleared (`null`) on update.
    pub allowed_models: Vec<String>,
}

/// One key's assignment to a guardrail.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyAssignment {
    pub guardrail_id: String,
    pub key_hash: KeyHash,
    pub key_name: String,
}
