//! Every answer the gateway gives itself instead of forwarding, in OpenAI's error shape
//! (`{"error": {"message", "type", "code", "param"}}`) so that any client shows the message, with
//! words a member can act on.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::body::BodyError;
use super::fair_use::Throttled;
use crate::domain::count_of;
use crate::money::NanoUsd;

/// Why the gateway answered a request itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// No `Authorization: Bearer ortb_…` header, or not a token's shape.
    NoToken,
    /// A token the bot never made, or one rotated away.
    UnknownToken,
    /// The token was revoked, or its member left the team or was disabled.
    TokenRevoked { why: &'static str },
    /// The body could not be read (400, naming the field).
    BadBody(BodyError),
    /// The body is larger than `gateway.max_body_bytes` (413).
    TooLarge { max_bytes: u64 },
    /// A model the tier does not allow, and the team refuses such requests (403).
    ModelNotAllowed {
        model: String,
        tier: String,
        allowed: Vec<String>,
    },
    /// The budget window has too little left for this request (429).
    OverBudget {
        remaining: NanoUsd,
        window: &'static str,
        resets_at: Option<DateTime<Utc>>,
    },
    /// The member's fair-use caps (429).
    Throttled(Throttled),
    /// A model OpenRouter's list does not have (or prices per request), so no hold can be
    /// reckoned for it (400).
    UnknownModel { model: String },
    /// A path the gateway does not serve (404).
    NoRoute { path: String },
    /// OpenRouter could not be reached (502).
    Unreachable,
    /// The gateway has no upstream key or token secret yet (503).
    NotConfigured { what: &'static str },
}

impl Refusal {
    /// A short name for metrics and the log.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NoToken => "no_token",
            Refusal::UnknownToken => "unknown_token",
            Refusal::TokenRevoked { .. } => "token_revoked",
            Refusal::BadBody(_) => "bad_body",
            Refusal::TooLarge { .. } => "too_large",
            Refusal::ModelNotAllowed { .. } => "model_not_allowed",
            Refusal::OverBudget { .. } => "over_budget",
            Refusal::Throttled(_) => "throttled",
            Refusal::UnknownModel { .. } => "unknown_model",
            Refusal::NoRoute { .. } => "no_route",
            Refusal::Unreachable => "unreachable",
            Refusal::NotConfigured { .. } => "not_configured",
        }
    }

    /// The words for a budget window in a refusal ("today's budget").
    pub fn window_words(reset: crate::reset::LimitReset) -> &'static str {
        match reset {
            crate::reset::LimitReset::Daily => "today's budget",
            crate::reset::LimitReset::Weekly => "this week's budget",
            crate::reset::LimitReset::Monthly => "this month's budget",
            crate::reset::LimitReset::Never => "your budget",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NoToken | Refusal::UnknownToken | Refusal::TokenRevoked { .. } => 401,
            Refusal::BadBody(_) => 400,
            Refusal::TooLarge { .. } => 413,
            Refusal::ModelNotAllowed { .. } => 403,
            Refusal::OverBudget { .. } | Refusal::Throttled(_) => 429,
            Refusal::UnknownModel { .. } => 400,
            Refusal::NoRoute { .. } => 404,
            Refusal::Unreachable => 502,
            Refusal::NotConfigured { .. } => 503,
        }
    }

    /// OpenAI's `type` and `code` for it.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Refusal::NoToken | Refusal::UnknownToken => {
                ("invalid_request_error", "invalid_api_key")
            }
            Refusal::TokenRevoked { .. } => ("invalid_request_error", "token_revoked"),
            Refusal::BadBody(_) => ("invalid_request_error", "invalid_request"),
            Refusal::TooLarge { .. } => ("invalid_request_error", "request_too_large"),
            Refusal::ModelNotAllowed { .. } => ("invalid_request_error", "model_not_allowed"),
            Refusal::OverBudget { .. } => ("insufficient_quota", "budget_exceeded"),
            Refusal::Throttled(_) => ("rate_limit_error", "rate_limit_exceeded"),
            Refusal::UnknownModel { .. } => ("invalid_request_error", "model_not_found"),
            Refusal::NoRoute { .. } => ("invalid_request_error", "not_found"),
            Refusal::Unreachable => ("api_error", "upstream_unreachable"),
            Refusal::NotConfigured { .. } => ("api_error", "gateway_not_configured"),
        }
    }

    /// The words the member reads.
    pub fn message(&self) -> String {
        match self {
            Refusal::NoToken => "No gateway token: send `Authorization: Bearer ortb_…` with the token /mykey showed you.".to_string(),
            Refusal::UnknownToken => "This gateway token is not known (it may have been rotated): run /mykey in Discord to see your current token or ask for one.".to_string(),
            Refusal::TokenRevoked { why } => format!("This gateway token no longer works: {why}. Run /mykey in Discord to ask for a new one, or ask an admin."),
            Refusal::BadBody(error) => format!("The request was not sent: {error}."),
            Refusal::TooLarge { max_bytes } => format!(
                "The request body is larger than this gateway takes ({} MiB at most).",
                max_bytes.div_ceil(1024 * 1024)
            ),
            Refusal::ModelNotAllowed { model, tier, allowed } => format!(
                "The {tier} tier may not use {model}. It may use: {}.",
                allowed.join(", ")
            ),
            Refusal::OverBudget { remaining, window, resets_at } => {
                let reset = match resets_at {
                    Some(at) => format!("{window} resets at {} UTC", at.format("%Y-%m-%d %H:%M")),
                    None => "it does not reset; ask an admin for a top-up".to_string(),
                };
                format!(
                    "Your budget has {remaining} left, too little for this request; {reset}. Run /budget in Discord to see your spend."
                )
            }
            Refusal::Throttled(Throttled::InFlight { max }) => format!(
                "You already have {} running, the most one member may run at once on the team's key; wait for one to finish.",
                count_of(*max, "request")
            ),
            Refusal::Throttled(Throttled::PerMinute { max, retry_after }) => format!(
                "You started {} in the last minute, the most one member may on the team's key; try again in {} s.",
                count_of(*max, "request"),
                retry_after.as_secs().max(1)
            ),
            Refusal::UnknownModel { model } => format!(
                "The gateway does not know the model {model} or its price, so it cannot hold your budget for it. GET /api/v1/models lists the models you may use."
            ),
            Refusal::NoRoute { path } => format!(
                "The gateway does not serve {path}. It serves POST /api/v1/chat/completions, POST /api/v1/responses and GET /api/v1/models."
            ),
            Refusal::Unreachable => "The gateway could not reach OpenRouter; nothing was charged. Try again shortly.".to_string(),
            Refusal::NotConfigured { what } => format!("The gateway is not ready: {what} is not set. Tell an admin."),
        }
    }

    /// The `Retry-After` to send at `now`, if any.
    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<Duration> {
        match self {
            Refusal::Throttled(Throttled::PerMinute { retry_after, .. }) => {
                Some((*retry_after).max(Duration::from_secs(1)))
            }
            Refusal::Throttled(Throttled::InFlight { .. }) => Some(Duration::from_secs(1)),
            Refusal::OverBudget {
                resets_at: Some(at),
                ..
            } => (*at - now).to_std().ok(),
            _ => None,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let (kind, code) = self.kind();
        let param = match self {
            Refusal::BadBody(error) => error.field().map(serde_json::Value::from),
            Refusal::ModelNotAllowed { .. } | Refusal::UnknownModel { .. } => Some("model".into()),
            _ => None,
        };
        serde_json::json!({
            "error": {
                "message": self.message(),
                "type": kind,
                "code": code,
                "param": param,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn each_refusal_has_its_status_and_words() {
        let reset = Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
        let cases = [
            (Refusal::NoToken, 401, "Authorization: Bearer ortb_"),
            (Refusal::UnknownToken, 401, "run /mykey"),
            (
                Refusal::TokenRevoked {
                    why: "you left the team",
                },
                401,
                "no longer works: you left the team",
            ),
            (
                Refusal::BadBody(BodyError::Missing("messages")),
                400,
                "`messages` is required",
            ),
            (
                Refusal::TooLarge {
                    max_bytes: 10 * 1024 * 1024,
                },
                413,
                "10 MiB at most",
            ),
            (
                Refusal::ModelNotAllowed {
                    model: "openai/o1-pro".into(),
                    tier: "basic".into(),
                    allowed: vec!["openai/gpt-4o-mini".into(), "x/y".into()],
                },
                403,
                "The basic tier may not use openai/o1-pro. It may use: openai/gpt-4o-mini, x/y.",
            ),
            (
                Refusal::OverBudget {
                    remaining: NanoUsd::from_nanos(1_000_000),
                    window: "today's budget",
                    resets_at: Some(reset),
                },
                429,
                "$0.001 left, too little for this request; today's budget resets at 2026-12-03 00:00 UTC",
            ),
            (
                Refusal::Throttled(Throttled::PerMinute {
                    max: 60,
                    retry_after: Duration::from_secs(3),
                }),
                429,
                "try again in 3 s",
            ),
            (Refusal::Unreachable, 502, "nothing was charged"),
        ];
        for (refusal, status, words) in cases {
            assert_eq!(refusal.status(), status, "{refusal:?}");
            let body = refusal.body();
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(words), "{message}");
            assert!(body["error"]["type"].is_string() && body["error"]["code"].is_string());
        }
    }

    #[test]
    fn a_bad_body_names_its_field_and_throttling_says_when_to_come_back() {
        let body = Refusal::BadBody(BodyError::Missing("model")).body();
        assert_eq!(body["error"]["param"], "model");
        let throttled = Refusal::Throttled(Throttled::PerMinute {
            max: 1,
            retry_after: Duration::from_millis(200),
        });
        assert_eq!(
            throttled.retry_after(Utc::now()),
            Some(Duration::from_secs(1))
        );
        let message = throttled.body()["error"]["message"].clone();
        assert!(
            message
                .as_str()
                .unwrap()
                .starts_with("You started 1 request in the last minute"),
            "{message}"
        );
    }
}
