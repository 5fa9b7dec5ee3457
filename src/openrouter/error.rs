//! Errors from the management API, typed by what the caller can do about them.

use std::time::Duration;

/// A failed call to OpenRouter. Messages are OpenRouter's own, with anything that looks like a
/// key redacted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 401: the management key is missing, wrong or revoked.
    #[error("OpenRouter refused the management key (401): {message}")]
    Unauthorized { message: String },
    /// 403: the key works but is not a management key, or a guardrail blocked the action.
    #[error(
        "OpenRouter refused this action for the configured key (403): {message}. Key management needs a management key (OpenRouter settings > Management keys)"
    )]
    WrongKeyType { message: String },
    /// 404: no such key or guardrail.
    #[error("OpenRouter has no such object (404): {message}")]
    NotFound { message: String },
    /// 402: the account has no credits left.
    #[error("the OpenRouter account is out of credits (402): {message}")]
    OutOfCredits { message: String },
    /// 429 after every retry.
    #[error("OpenRouter is rate limiting the bot (429): {message}")]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    /// 400: OpenRouter did not accept the request.
    #[error("OpenRouter rejected the request (400): {message}")]
    BadRequest { message: String },
    /// 5xx after every retry.
    #[error("OpenRouter had a server error ({status}): {message}")]
    Server { status: u16, message: String },
    /// The network failed or timed out after every retry, on a call that is safe to repeat.
    #[error("could not reach OpenRouter: {message}")]
    Unreachable { message: String },
    /// A create (`POST /keys`, `POST /guardrails`) whose result is unknown: the request may have
    /// reached OpenRouter, so the object may or may not exist now. Never retried blindly; the
    /// caller looks for the object by name before creating it again.
    #[error("OpenRouter did not confirm whether the object was created: {message}")]
    OutcomeUnknown { message: String },
    /// A response that does not match the API's documented shape.
    #[error("OpenRouter sent a response the bot could not read: {message}")]
    Malformed { message: String },
    /// The client could not be set up from its settings (for example a base URL that is not a URL).
    #[error("the OpenRouter client settings are invalid: {message}")]
    InvalidSettings { message: String },
}

impl ApiError {
    /// Whether trying again later could help (the bot's own settings or data are not at fault).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Server { .. }
                | ApiError::Unreachable { .. }
                | ApiError::OutcomeUnknown { .. }
        )
    }
}
