//! OpenRouter's JSON, field for field as the official spec names it, and the conversions between
//! it and the bot's model types.
//!
//! Responses are read leniently: unknown fields are ignored, missing optional fields take their
//! defaults, money may be a number, a numeric string or `null`, and timestamps may come in any of
//! the usual ISO 8601 shapes. The fake OpenRouter (`crates/fakes`) writes its answers with structs
//! of its own, so a field named wrongly here fails the tests against it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{
    ActivityRow, ApiKey, CreatedKey, Credits, CurrentKey, Guardrail, GuardrailSpec, KeyAssignment,
    KeyHash, KeyUpdate, LimitChange, NewKey, Usage,
};
use crate::money::Usd;
use crate::reset::LimitReset;

/// `{"data": ...}`, the envelope of most answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Data<T> {
    pub data: T,
}

/// An API key as `GET /keys`, `GET /keys/{hash}`, `PATCH` and `POST /keys` describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Key {
    pub hash: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, with = "usd::nullable")]
    pub limit: Option<Usd>,
    #[serde(default, with = "usd::nullable")]
    pub limit_remaining: Option<Usd>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub limit_reset: Option<String>,
    #[serde(default)]
    pub include_byok_in_limit: bool,
    #[serde(default, with = "usd::number")]
    pub usage: Usd,
    #[serde(default, with = "usd::number")]
    pub usage_daily: Usd,
    #[serde(default, with = "usd::number")]
    pub usage_weekly: Usd,
    #[serde(default, with = "usd::number")]
    pub usage_monthly: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage_daily: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage_weekly: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage_monthly: Usd,
    #[serde(with = "timestamp::required")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "timestamp::nullable")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, with = "timestamp::nullable")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub creator_user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub workspace_id: Option<String>,
}

impl From<Key> for ApiKey {
    fn from(key: Key) -> ApiKey {
        ApiKey {
            hash: KeyHash(key.hash),
            name: key.name,
            label: key.label,
            disabled: key.disabled,
            limit: key.limit,
            limit_remaining: key.limit_remaining,
            limit_reset: LimitReset::from_api(key.limit_reset.as_deref()),
            include_byok_in_limit: key.include_byok_in_limit,
            usage: Usage {
                total: key.usage,
                daily: key.usage_daily,
                weekly: key.usage_weekly,
                monthly: key.usage_monthly,
            },
            created_at: key.created_at,
            updated_at: key.updated_at,
            expires_at: key.expires_at,
            workspace_id: key.workspace_id,
        }
    }
}

/// `POST /keys` answers 201 with the key's description and, at the top level, its plaintext.
/// No `Debug`: the plaintext must not end up in a log line by accident.
#[derive(Serialize, Deserialize)]
pub(crate) struct CreatedKeyBody {
    pub data: Key,
    pub key: String,
}

impl From<CreatedKeyBody> for CreatedKey {
    fn from(body: CreatedKeyBody) -> CreatedKey {
        CreatedKey {
            key: body.data.into(),
            secret: SecretString::from(body.key),
        }
    }
}

/// The body of `POST /keys`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CreateKeyRequest {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", with = "usd::nullable")]
    pub limit: Option<Usd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_reset: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none", with = "timestamp::nullable")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_byok_in_limit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

impl From<&NewKey> for CreateKeyRequest {
    fn from(new_key: &NewKey) -> CreateKeyRequest {
        CreateKeyRequest {
            name: new_key.name.clone(),
            limit: new_key.limit,
            limit_reset: new_key.limit_reset.to_api(),
            expires_at: new_key.expires_at,
            include_byok_in_limit: new_key.include_byok_in_limit,
            workspace_id: new_key.workspace_id.clone(),
        }
    }
}

/// The body of `PATCH /keys/{hash}`: absent fields stay as they are, and a `null` limit or
/// reset is sent on purpose (it removes the limit, or makes it a lifetime limit).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct UpdateKeyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", with = "usd::present")]
    pub limit: Option<Option<Usd>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_reset: Option<Option<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_byok_in_limit: Option<bool>,
}

impl From<&KeyUpdate> for UpdateKeyRequest {
    fn from(update: &KeyUpdate) -> UpdateKeyRequest {
        UpdateKeyRequest {
            name: update.name.clone(),
            disabled: update.disabled,
            limit: update.limit.map(|change| match change {
                LimitChange::Set(amount) => Some(amount),
                LimitChange::Remove => None,
            }),
            limit_reset: update.limit_reset.map(LimitReset::to_api),
            include_byok_in_limit: update.include_byok_in_limit,
        }
    }
}

/// The authenticating key, as `GET /key` describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CurrentKeyInfo {
    #[serde(default)]
    pub label: String,
    #[serde(default, with = "usd::nullable")]
    pub limit: Option<Usd>,
    #[serde(default, with = "usd::nullable")]
    pub limit_remaining: Option<Usd>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub limit_reset: Option<String>,
    #[serde(default)]
    pub include_byok_in_limit: bool,
    #[serde(default, with = "usd::number")]
    pub usage: Usd,
    #[serde(default, with = "usd::number")]
    pub usage_daily: Usd,
    #[serde(default, with = "usd::number")]
    pub usage_weekly: Usd,
    #[serde(default, with = "usd::number")]
    pub usage_monthly: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage_daily: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage_weekly: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage_monthly: Usd,
    #[serde(default)]
    pub is_free_tier: bool,
    /// Older answers only carry `is_provisioning_key`, the management key's former name.
    #[serde(default)]
    pub is_management_key: Option<bool>,
    #[serde(default)]
    pub is_provisioning_key: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub creator_user_id: Option<String>,
    #[serde(default, with = "timestamp::nullable")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub rate_limit: RateLimit,
}

/// The deprecated `rate_limit` object of `GET /key`; kept only because the spec requires it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RateLimit {
    #[serde(default)]
    pub requests: i64,
    #[serde(default)]
    pub interval: String,
    #[serde(default)]
    pub note: String,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit {
            requests: -1,
            interval: "10s".to_string(),
            note: "This field is deprecated and safe to ignore.".to_string(),
        }
    }
}

impl From<CurrentKeyInfo> for CurrentKey {
    fn from(info: CurrentKeyInfo) -> CurrentKey {
        CurrentKey {
            label: info.label,
            is_management_key: info
                .is_management_key
                .or(info.is_provisioning_key)
                .unwrap_or(false),
            limit: info.limit,
            usage: info.usage,
        }
    }
}

/// `GET /credits`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CreditsBody {
    #[serde(default, with = "usd::number")]
    pub total_credits: Usd,
    #[serde(default, with = "usd::number")]
    pub total_usage: Usd,
}

impl From<CreditsBody> for Credits {
    fn from(body: CreditsBody) -> Credits {
        Credits {
            total_credits: body.total_credits,
            total_usage: body.total_usage,
        }
    }
}

/// One row of `GET /activity`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ActivityItem {
    pub date: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub model_permaslug: String,
    #[serde(default)]
    pub endpoint_id: String,
    #[serde(default)]
    pub provider_name: String,
    #[serde(default, with = "usd::number")]
    pub usage: Usd,
    #[serde(default, with = "usd::number")]
    pub byok_usage_inference: Usd,
    #[serde(default)]
    pub requests: i64,
    #[serde(default)]
    pub prompt_tokens: i64,
    #[serde(default)]
    pub completion_tokens: i64,
    #[serde(default)]
    pub reasoning_tokens: i64,
}

impl From<ActivityItem> for ActivityRow {
    fn from(item: ActivityItem) -> ActivityRow {
        ActivityRow {
            date: day_of(&item.date),
            model: item.model,
            usage: item.usage,
            requests: item.requests,
            prompt_tokens: item.prompt_tokens,
            completion_tokens: item.completion_tokens,
        }
    }
}

/// `YYYY-MM-DD` from a date that may also carry a time (`2025-08-24 00:00:00`).
fn day_of(date: &str) -> String {
    match date.get(..10) {
        Some(day) if NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok() => day.to_string(),
        _ => date.to_string(),
    }
}

/// A guardrail as `GET /guardrails`, `POST` and `PATCH` describe it (the fields the bot uses and
/// the ones the spec requires; the rest is ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GuardrailBody {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub description: Option<String>,
    #[serde(default)]
    pub allowed_models: Option<Vec<String>>,
    #[serde(default, with = "usd::nullable")]
    pub limit_usd: Option<Usd>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub reset_interval: Option<String>,
    #[serde(default)]
    pub include_byok_in_budgets: bool,
    #[serde(default, with = "timestamp::nullable")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, with = "timestamp::nullable")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub workspace_id: Option<String>,
}

impl From<GuardrailBody> for Guardrail {
    fn from(body: GuardrailBody) -> Guardrail {
        Guardrail {
            id: body.id,
            name: body.name,
            allowed_models: body.allowed_models,
        }
    }
}

/// A paginated list with a total, as the guardrail endpoints answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// The body of `POST /guardrails` and `PATCH /guardrails/{id}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GuardrailRequest {
    pub name: String,
    /// `None` leaves the field out; `Some(None)` sends `null` (every model allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_models: Option<Option<Vec<String>>>,
}

impl GuardrailRequest {
    /// The body that creates `spec`: an empty allowlist is simply not sent.
    pub fn create(spec: &GuardrailSpec) -> GuardrailRequest {
        GuardrailRequest {
            name: spec.name.clone(),
            allowed_models: (!spec.allowed_models.is_empty())
                .then(|| Some(spec.allowed_models.clone())),
        }
    }

    /// The body that makes an existing guardrail match `spec`: an empty allowlist clears it.
    pub fn update(spec: &GuardrailSpec) -> GuardrailRequest {
        GuardrailRequest {
            name: spec.name.clone(),
            allowed_models: Some(
                (!spec.allowed_models.is_empty()).then(|| spec.allowed_models.clone()),
            ),
        }
    }
}

/// One key's assignment, as `GET /guardrails/{id}/assignments/keys` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyAssignmentBody {
    #[serde(default)]
    pub id: String,
    pub key_hash: String,
    #[serde(default)]
    pub guardrail_id: String,
    #[serde(default)]
    pub key_name: String,
    #[serde(default)]
    pub key_label: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub assigned_by: Option<String>,
    #[serde(default, with = "timestamp::nullable")]
    pub created_at: Option<DateTime<Utc>>,
}

impl From<KeyAssignmentBody> for KeyAssignment {
    fn from(body: KeyAssignmentBody) -> KeyAssignment {
        KeyAssignment {
            guardrail_id: body.guardrail_id,
            key_hash: KeyHash(body.key_hash),
            key_name: body.key_name,
        }
    }
}

/// The body of both bulk assignment calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyHashes {
    pub key_hashes: Vec<String>,
}

/// The answer to `POST /guardrails/{id}/assignments/keys`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Assigned {
    #[serde(default)]
    pub assigned_count: u64,
}

/// The answer to `POST /guardrails/{id}/assignments/keys/remove`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Unassigned {
    #[serde(default)]
    pub unassigned_count: u64,
}

/// `{"error": {"code", "message", "metadata"?}}`, the shape of every error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`]. `code` is usually the HTTP status but is read as any JSON value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub code: Value,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// A string field that tolerates `null` and numbers (some ids arrive as numbers in old answers).
fn lenient_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Formats a time the way OpenRouter writes them: `2025-08-24T10:30:00Z`.
pub(crate) fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads the time shapes OpenRouter has been seen to use: RFC 3339 with or without fractions,
/// a space instead of the `T`, no zone (taken as UTC), a bare date, or unix seconds.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day.and_hms_opt(0, 0, 0).map(|n| Utc.from_utc_datetime(&n));
    }
    text.parse::<i64>()
        .ok()
        .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
}

fn time_from_value(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(s) => parse_time(s),
        Value::Number(n) => n.as_i64().and_then(|s| Utc.timestamp_opt(s, 0).single()),
        _ => None,
    }
}

/// Serde helpers for timestamps.
mod timestamp {
    use super::*;

    /// A timestamp that must be there and readable.
    pub mod required {
        use super::*;

        pub fn serialize<S: serde::Serializer>(
            at: &DateTime<Utc>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(&format_time(*at))
        }

        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> Result<DateTime<Utc>, D::Error> {
            let value = Value::deserialize(deserializer)?;
            time_from_value(&value).ok_or_else(|| {
                serde::de::Error::custom(format!("{value} is not a timestamp the bot can read"))
            })
        }
    }

    /// An optional timestamp: `null`, absent or unreadable all become `None`, so one odd value
    /// cannot make a whole key listing unreadable.
    pub mod nullable {
        use super::*;

        pub fn serialize<S: serde::Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_str(&format_time(*at)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Ok(time_from_value(&Value::deserialize(deserializer)?))
        }
    }
}

/// Serde helpers for money: JSON numbers in dollars on the wire, [`Usd`] everywhere else.
mod usd {
    use super::*;

    fn from_value<E: serde::de::Error>(value: &Value) -> Result<Option<Usd>, E> {
        match value {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_f64()
                .map(|d| Some(Usd::from_api(d)))
                .ok_or_else(|| E::custom(format!("{n} is not a dollar amount"))),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(|d| Some(Usd::from_api(d)))
                .map_err(|_| E::custom(format!("{s:?} is not a dollar amount"))),
            other => Err(E::custom(format!("{other} is not a dollar amount"))),
        }
    }

    fn serialize_amount<S: serde::Serializer>(
        amount: Usd,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(amount.to_api())
    }

    /// An amount the spec says is always there; `null` or absent reads as zero.
    pub mod number {
        use super::*;

        pub fn serialize<S: serde::Serializer>(
            amount: &Usd,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            serialize_amount(*amount, serializer)
        }

        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Usd, D::Error> {
            Ok(from_value(&Value::deserialize(deserializer)?)?.unwrap_or(Usd::ZERO))
        }
    }

    /// An amount that may be `null` (no limit).
    pub mod nullable {
        use super::*;

        pub fn serialize<S: serde::Serializer>(
            amount: &Option<Usd>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match amount {
                Some(amount) => serialize_amount(*amount, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Usd>, D::Error> {
            from_value(&Value::deserialize(deserializer)?)
        }
    }

    /// A request field that is either left out (`None`), `null` (`Some(None)`) or an amount.
    pub mod present {
        use super::*;

        pub fn serialize<S: serde::Serializer>(
            amount: &Option<Option<Usd>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match amount {
                Some(Some(amount)) => serialize_amount(*amount, serializer),
                _ => serializer.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_key() -> Value {
        json!({
            "hash": "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
            "name": "team:alice:r1",
            "label": "sk-or-v1-0e6...1c9",
            "disabled": false,
            "limit": 10,
            "limit_remaining": 7.5,
            "limit_reset": "daily",
            "include_byok_in_limit": false,
            "usage": 25.5,
            "usage_daily": 2.5,
            "usage_weekly": 5,
            "usage_monthly": 12.25,
            "byok_usage": 0,
            "byok_usage_daily": 0,
            "byok_usage_weekly": 0,
            "byok_usage_monthly": 0,
            "created_at": "2025-08-24T10:30:00Z",
            "updated_at": null,
            "expires_at": "2027-12-31T23:59:59Z",
            "creator_user_id": null,
            "workspace_id": "0df9e665-d932-5740-b2c7-b52af166bc11",
            "a_field_added_later": {"nested": true}
        })
    }

    #[test]
    fn reads_a_key_as_the_spec_describes_it() {
        let key: ApiKey = serde_json::from_value::<Key>(spec_key()).unwrap().into();
        assert_eq!(key.hash.as_str().len(), 64);
        assert_eq!(key.limit, Some(Usd::from_dollars(10)));
        assert_eq!(key.limit_remaining, Some(Usd::from_micros(7_500_000)));
        assert_eq!(key.limit_reset, LimitReset::Daily);
        assert_eq!(key.usage.daily, Usd::from_micros(2_500_000));
        assert_eq!(key.usage.monthly, Usd::from_micros(12_250_000));
        assert_eq!(key.updated_at, None);
        assert_eq!(
            key.expires_at,
            Some(Utc.with_ymd_and_hms(2027, 12, 31, 23, 59, 59).unwrap())
        );
    }

    #[test]
    fn null_limits_and_odd_timestamps_are_read_leniently() {
        let mut raw = spec_key();
        raw["limit"] = Value::Null;
        raw["limit_remaining"] = Value::Null;
        raw["limit_reset"] = Value::Null;
        raw["created_at"] = json!("2025-08-24 10:30:00.123456+00");
        raw["updated_at"] = json!("2025-08-24T10:30:00.5");
        raw["expires_at"] = json!("whenever");
        raw["usage"] = json!("1.25");
        let key: ApiKey = serde_json::from_value::<Key>(raw).unwrap().into();
        assert_eq!(key.limit, None);
        assert_eq!(key.limit_reset, LimitReset::Never);
        assert_eq!(
            key.created_at.timestamp(),
            Utc.with_ymd_and_hms(2025, 8, 24, 10, 30, 0)
                .unwrap()
                .timestamp()
        );
        assert!(key.updated_at.is_some());
        assert_eq!(key.expires_at, None);
        assert_eq!(key.usage.total, Usd::from_micros(1_250_000));
    }

    #[test]
    fn an_unreadable_creation_time_is_an_error() {
        let mut raw = spec_key();
        raw["created_at"] = json!("yesterday");
        assert!(serde_json::from_value::<Key>(raw).is_err());
    }

    #[test]
    fn the_created_key_plaintext_is_read_from_the_top_level() {
        use secrecy::ExposeSecret;
        let body = json!({"data": spec_key(), "key": "sk-or-v1-abc"});
        let created: CreatedKey = serde_json::from_value::<CreatedKeyBody>(body)
            .unwrap()
            .into();
        assert_eq!(created.secret.expose_secret(), "sk-or-v1-abc");
        assert!(!format!("{created:?}").contains("sk-or-v1-abc"));
    }

    #[test]
    fn an_update_sends_only_what_changes() {
        let update = KeyUpdate {
            disabled: Some(true),
            ..KeyUpdate::default()
        };
        let body = serde_json::to_value(UpdateKeyRequest::from(&update)).unwrap();
        assert_eq!(body, json!({"disabled": true}));

        let update = KeyUpdate {
            limit: Some(LimitChange::Remove),
            limit_reset: Some(LimitReset::Never),
            ..KeyUpdate::default()
        };
        let body = serde_json::to_value(UpdateKeyRequest::from(&update)).unwrap();
        assert_eq!(body, json!({"limit": null, "limit_reset": null}));

        let update = KeyUpdate {
            name: Some("renamed".into()),
            limit: Some(LimitChange::Set(Usd::from_micros(12_500_000))),
            limit_reset: Some(LimitReset::Weekly),
            include_byok_in_limit: Some(false),
            ..KeyUpdate::default()
        };
        let body = serde_json::to_value(UpdateKeyRequest::from(&update)).unwrap();
        assert_eq!(
            body,
            json!({"name": "renamed", "limit": 12.5, "limit_reset": "weekly", "include_byok_in_limit": false})
        );
    }

    #[test]
    fn a_new_key_leaves_out_what_is_not_set() {
        let new_key = NewKey {
            name: "team:bob:r2".into(),
            limit: None,
            limit_reset: LimitReset::Never,
            expires_at: None,
            include_byok_in_limit: None,
            workspace_id: None,
        };
        let body = serde_json::to_value(CreateKeyRequest::from(&new_key)).unwrap();
        assert_eq!(body, json!({"name": "team:bob:r2"}));

        let new_key = NewKey {
            limit: Some(Usd::from_dollars(10)),
            limit_reset: LimitReset::Monthly,
            expires_at: Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
            ..new_key
        };
        let body = serde_json::to_value(CreateKeyRequest::from(&new_key)).unwrap();
        assert_eq!(
            body,
            json!({"name": "team:bob:r2", "limit": 10.0, "limit_reset": "monthly", "expires_at": "2027-01-01T00:00:00Z"})
        );
    }

    #[test]
    fn the_management_flag_falls_back_to_its_former_name() {
        let info: CurrentKeyInfo =
            serde_json::from_value(json!({"label": "sk-or-v1-abc...xyz", "limit": null, "usage": 0, "is_provisioning_key": true}))
                .unwrap();
        assert!(CurrentKey::from(info).is_management_key);
    }

    #[test]
    fn activity_days_drop_a_time_part() {
        let item: ActivityItem = serde_json::from_value(json!({
            "date": "2025-08-24 00:00:00", "model": "openai/gpt-4o-mini", "usage": 0.012,
            "requests": 3, "prompt_tokens": 10, "completion_tokens": 20
        }))
        .unwrap();
        let row = ActivityRow::from(item);
        assert_eq!(row.date, "2025-08-24");
        assert_eq!(row.usage, Usd::from_micros(12_000));
    }

    #[test]
    fn guardrail_allowlists_are_left_out_on_create_and_cleared_on_update() {
        let spec = GuardrailSpec {
            name: "tier:basic".into(),
            allowed_models: vec![],
        };
        assert_eq!(
            serde_json::to_value(GuardrailRequest::create(&spec)).unwrap(),
            json!({"name": "tier:basic"})
        );
        assert_eq!(
            serde_json::to_value(GuardrailRequest::update(&spec)).unwrap(),
            json!({"name": "tier:basic", "allowed_models": null})
        );
    }
}
