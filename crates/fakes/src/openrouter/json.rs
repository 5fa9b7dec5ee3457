//! The JSON the fake answers with, field for field as the official spec
//! (`openrouter-openapi.yaml`) writes each response. These are the fake's own structs, never the
//! bot client's: a field the client names wrongly finds nothing here, and the tests against the
//! fake fail. Money is a number of dollars and times are RFC 3339 strings, as on the wire.

use serde::Serialize;

/// `{"data": ...}`, the envelope of most answers.
#[derive(Debug, Serialize)]
pub(crate) struct Data<T> {
    pub data: T,
}

/// A listing with its total, as the guardrail endpoints answer.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    pub data: Vec<T>,
    pub total_count: u64,
}

/// An API key as `GET /keys`, `GET /keys/{hash}`, `POST /keys` and `PATCH /keys/{hash}` describe
/// it: every field the spec requires, and `expires_at`, which it allows.
#[derive(Debug, Serialize)]
pub(crate) struct Key {
    pub hash: String,
    pub name: String,
    pub label: String,
    pub disabled: bool,
    pub limit: Option<f64>,
    pub limit_remaining: Option<f64>,
    pub limit_reset: Option<&'static str>,
    pub include_byok_in_limit: bool,
    pub usage: f64,
    pub usage_daily: f64,
    pub usage_weekly: f64,
    pub usage_monthly: f64,
    pub byok_usage: f64,
    pub byok_usage_daily: f64,
    pub byok_usage_weekly: f64,
    pub byok_usage_monthly: f64,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub expires_at: Option<String>,
    pub creator_user_id: Option<String>,
    pub workspace_id: String,
}

/// The 201 of `POST /keys`: the key's description and, once, its plaintext.
#[derive(Debug, Serialize)]
pub(crate) struct CreatedKey {
    pub data: Key,
    pub key: String,
}

/// The 200 of `DELETE /keys/{hash}`.
#[derive(Debug, Serialize)]
pub(crate) struct Deleted {
    pub deleted: bool,
}

/// The key a request authenticated with, as `GET /key` describes it.
#[derive(Debug, Serialize)]
pub(crate) struct CurrentKey {
    pub label: String,
    pub limit: Option<f64>,
    pub limit_remaining: Option<f64>,
    pub limit_reset: Option<&'static str>,
    pub include_byok_in_limit: bool,
    pub usage: f64,
    pub usage_daily: f64,
    pub usage_weekly: f64,
    pub usage_monthly: f64,
    pub byok_usage: f64,
    pub byok_usage_daily: f64,
    pub byok_usage_weekly: f64,
    pub byok_usage_monthly: f64,
    pub is_free_tier: bool,
    pub is_management_key: bool,
    /// The management key's former name; the spec still requires it.
    pub is_provisioning_key: bool,
    pub creator_user_id: Option<String>,
    pub expires_at: Option<String>,
    pub rate_limit: RateLimit,
}

/// The deprecated `rate_limit` object of `GET /key`, which always says -1.
#[derive(Debug, Serialize)]
pub(crate) struct RateLimit {
    pub requests: i64,
    pub interval: &'static str,
    pub note: &'static str,
}

impl RateLimit {
    /// What OpenRouter sends now that the field is retired.
    pub fn retired() -> RateLimit {
        RateLimit {
            requests: -1,
            interval: "10s",
            note: "This field is deprecated and safe to ignore.",
        }
    }
}

/// `GET /credits`.
#[derive(Debug, Serialize)]
pub(crate) struct Credits {
    pub total_credits: f64,
    pub total_usage: f64,
}

/// One row of `GET /activity`.
#[derive(Debug, Serialize)]
pub(crate) struct ActivityItem {
    pub date: String,
    pub model: String,
    pub model_permaslug: String,
    pub endpoint_id: String,
    pub provider_name: String,
    pub usage: f64,
    pub byok_usage_inference: f64,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub reasoning_tokens: i64,
}

/// A guardrail as the guardrail endpoints describe it: the required fields and the budget and
/// model fields the fake keeps (the spec's other policy fields are optional and left out).
#[derive(Debug, Serialize)]
pub(crate) struct Guardrail {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub allowed_models: Option<Vec<String>>,
    pub limit_usd: Option<f64>,
    pub reset_interval: Option<String>,
    pub include_byok_in_budgets: bool,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub workspace_id: String,
}

/// One key's assignment, as `GET /guardrails/{id}/assignments/keys` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct KeyAssignment {
    pub id: String,
    pub key_hash: String,
    pub guardrail_id: String,
    pub key_name: String,
    pub key_label: String,
    pub assigned_by: Option<String>,
    pub created_at: String,
}

/// The 200 of `POST /guardrails/{id}/assignments/keys`.
#[derive(Debug, Serialize)]
pub(crate) struct Assigned {
    pub assigned_count: u64,
}

/// The 200 of `POST /guardrails/{id}/assignments/keys/remove`.
#[derive(Debug, Serialize)]
pub(crate) struct Unassigned {
    pub unassigned_count: u64,
}
