//! The real [`ManagementApi`]: OpenRouter over HTTPS with reqwest, with timeouts, retries and
//! typed errors, and with the management key kept out of every message.
//!
//! Retry policy:
//! - Calls that are safe to repeat (every `GET`, `PATCH`, `DELETE`, and the guardrail assignment
//!   calls, which set a state rather than add one) are retried on 429, 500, 502, 503, 504,
//!   connection failures and timeouts, up to [`ClientSettings::max_attempts`] requests in all.
//!   500 is retried too: repeating such a call cannot do harm, and OpenRouter's 500s are mostly
//!   passing trouble.
//! - Creates (`POST /keys`, `POST /guardrails`) are retried only when the earlier attempt
//!   certainly did nothing: a failed connection (nothing was sent) or a 429. A timeout, a
//!   connection dropped after sending, a 5xx or an unreadable success answer leave the outcome
//!   unknown: the call stops with [`ApiError::OutcomeUnknown`] and the caller reconciles by name.
//! - Waits grow exponentially from `initial_backoff` to `max_backoff` with full jitter. A
//!   `Retry-After` (on a 429, or on a retried 5xx) is waited exactly; when it asks for more than
//!   `max_retry_after` the call stops at once with the error it came with, which for a 429
//!   ([`ApiError::RateLimited`]) carries the wait so the caller can come back.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::retry::{Outcome, Patience, Repeat, Step, Stop, Wait, next_step};
use super::wire;
use super::{
    ActivityRow, ApiError, ApiKey, CreatedKey, Credits, CurrentKey, Guardrail, GuardrailSpec,
    KeyAssignment, KeyHash, KeyUpdate, ManagementApi, NewKey,
};
use crate::secret::{redact_keys, redact_value};

/// OpenRouter's own API address.
pub const DEFAULT_BASE_URL: &str = "https://openrouter.ai/api/v1";

/// How many guardrails or assignments to ask for per page (the API's maximum).
const GUARDRAIL_PAGE_SIZE: usize = 100;

/// How much of an unreadable body to quote in an error.
const BODY_EXCERPT_CHARS: usize = 200;

/// How the client reaches OpenRouter and how patient it is.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The API root, such as `https://openrouter.ai/api/v1`.
    pub base_url: String,
    pub management_key: SecretString,
    /// The limit for one request, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// Requests per call, the first one included (0 counts as 1).
    pub max_attempts: u32,
    /// The ceiling of the first retry's random wait; it doubles with each retry.
    pub initial_backoff: Duration,
    /// The highest ceiling a retry's random wait can grow to.
    pub max_backoff: Duration,
    /// The longest `Retry-After` the client waits out; a longer one ends the call.
    pub max_retry_after: Duration,
}

impl ClientSettings {
    /// Settings for `base_url` with the defaults: 15 s per request, 4 attempts, waits from
    /// 500 ms up to 8 s, and `Retry-After` honoured up to 30 s.
    pub fn new(base_url: impl Into<String>, management_key: SecretString) -> ClientSettings {
        ClientSettings {
            base_url: base_url.into(),
            management_key,
            timeout: Duration::from_secs(15),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// The management API over HTTP. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct HttpManagementApi {
    http: reqwest::Client,
    base_url: Url,
    settings: ClientSettings,
}

impl fmt::Debug for HttpManagementApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpManagementApi")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// One API call, before it is sent.
struct Call {
    method: Method,
    segments: Vec<String>,
    query: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
    repeat: Repeat,
}

impl Call {
    fn new(method: Method, segments: &[&str]) -> Call {
        let repeat = if method == Method::POST {
            Repeat::OnlyIfNothingHappened
        } else {
            Repeat::Safe
        };
        Call {
            method,
            segments: segments.iter().map(|s| s.to_string()).collect(),
            query: Vec::new(),
            body: None,
            repeat,
        }
    }

    fn query(mut self, name: &'static str, value: impl ToString) -> Call {
        self.query.push((name, value.to_string()));
        self
    }

    fn json(mut self, body: &impl Serialize) -> Result<Call, ApiError> {
        let body = serde_json::to_value(body).map_err(|e| ApiError::Malformed {
            message: format!("could not write the request body: {e}"),
        })?;
        self.body = Some(body);
        Ok(self)
    }

    /// Marks a `POST` that sets a state (so repeating it is harmless).
    fn repeatable(mut self) -> Call {
        self.repeat = Repeat::Safe;
        self
    }

    fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

/// A call that failed, and whether an earlier attempt of it may have taken effect.
struct Failure {
    error: ApiError,
    earlier_attempt_may_have_applied: bool,
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Failure {
        Failure {
            error,
            earlier_attempt_may_have_applied: false,
        }
    }
}

/// What one attempt came to.
enum Attempt {
    /// A 2xx answer and its body.
    Answered(StatusCode, Vec<u8>),
    /// An error status, already mapped, with any `Retry-After`.
    Refused(StatusCode, ApiError, Option<Duration>),
    /// No usable answer. `sent` is false only when the connection itself failed.
    NoAnswer { sent: bool, message: String },
}

impl Attempt {
    /// What the retry policy needs to know of it.
    fn outcome(&self) -> Outcome {
        match self {
            Attempt::Answered(..) => Outcome::Answered,
            Attempt::Refused(status, _, retry_after) => Outcome::Refused {
                status: status.as_u16(),
                retry_after: *retry_after,
            },
            Attempt::NoAnswer { sent, .. } => Outcome::NoAnswer { sent: *sent },
        }
    }

    /// The warning that the call is sent again after `wait`.
    fn log_retry(&self, call: &Call, attempt: u32, wait: Duration) {
        let delay_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        match self {
            Attempt::NoAnswer { message, .. } => tracing::warn!(
                method = %call.method, path = %call.path(), attempt, delay_ms, error = %message,
                "could not reach OpenRouter; retrying"
            ),
            Attempt::Refused(status, ..) | Attempt::Answered(status, _) => tracing::warn!(
                method = %call.method, path = %call.path(), status = status.as_u16(), attempt,
                delay_ms, "OpenRouter call failed; retrying"
            ),
        }
    }
}

impl HttpManagementApi {
    /// A client for `settings`; fails only when the base URL is not an http(s) URL or the
    /// TLS backend cannot start.
    pub fn new(settings: ClientSettings) -> Result<HttpManagementApi, ApiError> {
        let base_url = Url::parse(settings.base_url.trim_end_matches('/'))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base())
            .ok_or_else(|| ApiError::InvalidSettings {
                message: format!(
                    "the OpenRouter base URL {:?} is not an http(s) URL",
                    redact_keys(&settings.base_url)
                ),
            })?;
        let timeout = settings.timeout.max(Duration::from_millis(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout((timeout / 2).min(Duration::from_secs(5)))
            .user_agent(concat!("openrouter-team-bot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::InvalidSettings {
                message: format!("could not start the HTTP client: {e}"),
            })?;
        Ok(HttpManagementApi {
            http,
            base_url,
            settings,
        })
    }

    /// `text` with anything key-shaped and the management key itself masked.
    fn redact(&self, text: &str) -> String {
        redact_value(
            &redact_keys(text),
            self.settings.management_key.expose_secret(),
        )
    }

    fn url(&self, call: &Call) -> Result<Url, ApiError> {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map_err(|()| ApiError::InvalidSettings {
                message: "the OpenRouter base URL cannot take a path".to_string(),
            })?
            .pop_if_empty()
            .extend(&call.segments);
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        Ok(url)
    }

    /// Sends `call` until it succeeds, fails for good, or runs out of attempts (as
    /// [`next_step`] decides), and reads the answer as `T`.
    async fn send<T: DeserializeOwned>(&self, call: Call) -> Result<T, Failure> {
        let url = self.url(&call)?;
        let patience = self.patience();
        let mut earlier_attempt_may_have_applied = false;
        let mut attempt = 1;
        loop {
            tracing::debug!(method = %call.method, path = %call.path(), attempt, "calling OpenRouter");
            let answer = self.attempt(&call, &url).await;
            let outcome = answer.outcome();
            let wait = match next_step(call.repeat, attempt, outcome, &patience) {
                Step::Retry(wait) => wait,
                Step::Stop(stop) => {
                    return self.stop(&call, answer, stop, earlier_attempt_may_have_applied);
                }
            };
            let wait = match wait {
                Wait::Exactly(wait) => wait,
                Wait::UpTo(ceiling) => jitter(ceiling),
            };
            answer.log_retry(&call, attempt, wait);
            earlier_attempt_may_have_applied |= outcome.may_have_applied();
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The policy's settings, from the client's.
    fn patience(&self) -> Patience {
        Patience {
            max_attempts: self.settings.max_attempts.max(1),
            initial_backoff: self.settings.initial_backoff,
            max_backoff: self.settings.max_backoff,
            max_retry_after: self.settings.max_retry_after,
        }
    }

    /// What a call that stops with `answer` returns.
    fn stop<T: DeserializeOwned>(
        &self,
        call: &Call,
        answer: Attempt,
        stop: Stop,
        earlier: bool,
    ) -> Result<T, Failure> {
        let fail = |error: ApiError, earlier_attempt_may_have_applied: bool| Failure {
            error,
            earlier_attempt_may_have_applied,
        };
        let (method, path) = (&call.method, call.path());
        match (stop, answer) {
            (_, Attempt::Answered(status, body)) => self
                .decode(call, status, &body)
                .map_err(|error| fail(error, earlier)),
            (Stop::OutcomeUnknown, Attempt::Refused(_, error, _)) => Err(fail(
                ApiError::OutcomeUnknown {
                    message: format!("{method} {path}: {error}"),
                },
                true,
            )),
            (Stop::OutcomeUnknown, Attempt::NoAnswer { message, .. }) => Err(fail(
                ApiError::OutcomeUnknown {
                    message: format!("{method} {path}: {message}"),
                },
                true,
            )),
            (Stop::AskedToWaitTooLong(asked), Attempt::Refused(status, error, _)) => {
                tracing::warn!(
                    method = %method, path = %path, status = status.as_u16(),
                    retry_after_secs = asked.as_secs(),
                    "OpenRouter asked to wait longer than the bot waits; giving up"
                );
                Err(fail(error, earlier))
            }
            (_, Attempt::Refused(_, error, _)) => Err(fail(error, earlier)),
            (_, Attempt::NoAnswer { sent, message }) => Err(fail(
                ApiError::Unreachable {
                    message: format!(
                        "{method} {path} failed after {} attempts: {message}",
                        self.patience().max_attempts
                    ),
                },
                earlier || sent,
            )),
        }
    }

    /// One request and its answer, classified.
    async fn attempt(&self, call: &Call, url: &Url) -> Attempt {
        let mut request = self
            .http
            .request(call.method.clone(), url.clone())
            .bearer_auth(self.settings.management_key.expose_secret());
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                return Attempt::NoAnswer {
                    sent: !e.is_connect(),
                    message: self.describe_transport_error(&e),
                };
            }
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(e) => {
                return Attempt::NoAnswer {
                    sent: true,
                    message: format!(
                        "the answer ({status}) broke off: {}",
                        self.describe_transport_error(&e)
                    ),
                };
            }
        };
        if status.is_success() {
            Attempt::Answered(status, body)
        } else {
            let error = self.error_for(call, status, &body, retry_after);
            Attempt::Refused(status, error, retry_after)
        }
    }

    fn describe_transport_error(&self, error: &reqwest::Error) -> String {
        let kind = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "could not connect"
        } else {
            "the connection failed"
        };
        // reqwest's own text is only "error sending request for url"; the detail is in the chain.
        let mut detail = Vec::new();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            detail.push(inner.to_string());
            source = inner.source();
        }
        if detail.is_empty() {
            detail.push(error.to_string());
        }
        self.redact(&format!("{kind} ({})", detail.join(": ")))
    }

    /// The typed error for an error status, with OpenRouter's message when the body has one.
    fn error_for(
        &self,
        call: &Call,
        status: StatusCode,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> ApiError {
        let message = match serde_json::from_slice::<wire::ErrorBody>(body) {
            Ok(parsed) if !parsed.error.message.is_empty() => self.redact(&parsed.error.message),
            _ => format!(
                "{} {} answered {} with a body that is not an OpenRouter error: {}",
                call.method,
                call.path(),
                status.as_u16(),
                self.excerpt(body)
            ),
        };
        match status.as_u16() {
            400 => ApiError::BadRequest { message },
            401 => ApiError::Unauthorized { message },
            402 => ApiError::OutOfCredits { message },
            403 => ApiError::WrongKeyType { message },
            404 => ApiError::NotFound { message },
            429 => ApiError::RateLimited {
                message,
                retry_after,
            },
            code @ 500..=599 => ApiError::Server {
                status: code,
                message,
            },
            code @ 400..=499 => ApiError::BadRequest {
                message: format!("{code}: {message}"),
            },
            code => ApiError::Malformed {
                message: format!("unexpected status {code}: {message}"),
            },
        }
    }

    /// Reads a 2xx body (an empty one reads as `null`). An unreadable answer to a create leaves
    /// its outcome unknown.
    fn decode<T: DeserializeOwned>(
        &self,
        call: &Call,
        status: StatusCode,
        body: &[u8],
    ) -> Result<T, ApiError> {
        let json: &[u8] = if body.trim_ascii().is_empty() {
            b"null"
        } else {
            body
        };
        serde_json::from_slice(json).map_err(|e| {
            let message = format!(
                "{} {} answered {} with a body the bot could not read ({}): {}",
                call.method,
                call.path(),
                status.as_u16(),
                self.redact(&e.to_string()),
                self.excerpt(body)
            );
            match call.repeat {
                Repeat::OnlyIfNothingHappened => ApiError::OutcomeUnknown { message },
                Repeat::Safe => ApiError::Malformed { message },
            }
        })
    }

    /// The start of a body, redacted before it is cut so no key survives in pieces.
    fn excerpt(&self, body: &[u8]) -> String {
        let text = self.redact(&String::from_utf8_lossy(body));
        let mut excerpt: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
        if excerpt.len() < text.len() {
            excerpt.push('…');
        }
        if excerpt.trim().is_empty() {
            "(empty)".to_string()
        } else {
            excerpt
        }
    }

    /// Every item of a guardrail listing, page by page, until the total is reached (or, should
    /// an answer lack its total, until a short page).
    async fn get_all_pages<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<Vec<T>, ApiError> {
        // Far beyond any real account; it only stops a server that ignores `offset`.
        const MAX_PAGES: usize = 10_000;
        let mut items: Vec<T> = Vec::new();
        for _ in 0..MAX_PAGES {
            let call = Call::new(Method::GET, segments)
                .query("offset", items.len())
                .query("limit", GUARDRAIL_PAGE_SIZE);
            let page: wire::Page<T> = self.send(call).await.map_err(|f| f.error)?;
            let received = page.data.len();
            items.extend(page.data);
            let done = match page.total_count {
                Some(total) => items.len() as u64 >= total,
                None => received < GUARDRAIL_PAGE_SIZE,
            };
            if received == 0 || done {
                return Ok(items);
            }
        }
        Err(ApiError::Malformed {
            message: format!(
                "GET /{} kept answering pages past {MAX_PAGES}",
                segments.join("/")
            ),
        })
    }
}

/// A random duration from zero up to `ceiling` ("full jitter", so that clients retrying at once
/// spread out).
fn jitter(ceiling: Duration) -> Duration {
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(0..=nanos))
}

/// `Retry-After` in seconds (fractions allowed) or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[async_trait]
impl ManagementApi for HttpManagementApi {
    async fn current_key(&self) -> Result<CurrentKey, ApiError> {
        let body: wire::Data<wire::CurrentKeyInfo> = self
            .send(Call::new(Method::GET, &["key"]))
            .await
            .map_err(|f| f.error)?;
        Ok(body.data.into())
    }

    async fn list_keys_page(
        &self,
        workspace_id: Option<&str>,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Vec<ApiKey>, ApiError> {
        let mut call = Call::new(Method::GET, &["keys"])
            .query("offset", offset)
            .query("include_disabled", include_disabled);
        if let Some(workspace) = workspace_id {
            call = call.query("workspace_id", workspace);
        }
        let body: wire::Data<Vec<wire::Key>> = self.send(call).await.map_err(|f| f.error)?;
        Ok(body.data.into_iter().map(ApiKey::from).collect())
    }

    async fn get_key(&self, hash: &KeyHash) -> Result<ApiKey, ApiError> {
        let body: wire::Data<wire::Key> = self
            .send(Call::new(Method::GET, &["keys", hash.as_str()]))
            .await
            .map_err(|f| f.error)?;
        Ok(body.data.into())
    }

    async fn create_key(&self, new_key: &NewKey) -> Result<CreatedKey, ApiError> {
        let call =
            Call::new(Method::POST, &["keys"]).json(&wire::CreateKeyRequest::from(new_key))?;
        let body: wire::CreatedKeyBody = self.send(call).await.map_err(|f| f.error)?;
        Ok(body.into())
    }

    async fn update_key(&self, hash: &KeyHash, update: &KeyUpdate) -> Result<ApiKey, ApiError> {
        let call = Call::new(Method::PATCH, &["keys", hash.as_str()])
            .json(&wire::UpdateKeyRequest::from(update))?;
        let body: wire::Data<wire::Key> = self.send(call).await.map_err(|f| f.error)?;
        Ok(body.data.into())
    }

    /// Any 2xx answer means the key is gone (the body, `{"deleted": true}`, is not needed). A
    /// retry that finds the key gone after an attempt whose outcome was unknown counts as done:
    /// the earlier attempt deleted it.
    async fn delete_key(&self, hash: &KeyHash) -> Result<(), ApiError> {
        match self
            .send::<serde::de::IgnoredAny>(Call::new(Method::DELETE, &["keys", hash.as_str()]))
            .await
        {
            Ok(_) => Ok(()),
            Err(Failure {
                error: ApiError::NotFound { .. },
                earlier_attempt_may_have_applied: true,
            }) => Ok(()),
            Err(failure) => Err(failure.error),
        }
    }

    async fn credits(&self) -> Result<Credits, ApiError> {
        let body: wire::Data<wire::CreditsBody> = self
            .send(Call::new(Method::GET, &["credits"]))
            .await
            .map_err(|f| f.error)?;
        Ok(body.data.into())
    }

    async fn activity(&self, key: Option<&KeyHash>) -> Result<Vec<ActivityRow>, ApiError> {
        let mut call = Call::new(Method::GET, &["activity"]);
        if let Some(key) = key {
            call = call.query("api_key_hash", key.as_str());
        }
        let body: wire::Data<Vec<wire::ActivityItem>> =
            self.send(call).await.map_err(|f| f.error)?;
        Ok(body.data.into_iter().map(ActivityRow::from).collect())
    }

    async fn list_guardrails(&self) -> Result<Vec<Guardrail>, ApiError> {
        let guardrails: Vec<wire::GuardrailBody> = self.get_all_pages(&["guardrails"]).await?;
        Ok(guardrails.into_iter().map(Guardrail::from).collect())
    }

    async fn create_guardrail(&self, spec: &GuardrailSpec) -> Result<Guardrail, ApiError> {
        let call =
            Call::new(Method::POST, &["guardrails"]).json(&wire::GuardrailRequest::create(spec))?;
        let body: wire::Data<wire::GuardrailBody> = self.send(call).await.map_err(|f| f.error)?;
        Ok(body.data.into())
    }

    async fn update_guardrail(
        &self,
        id: &str,
        spec: &GuardrailSpec,
    ) -> Result<Guardrail, ApiError> {
        let call = Call::new(Method::PATCH, &["guardrails", id])
            .json(&wire::GuardrailRequest::update(spec))?;
        let body: wire::Data<wire::GuardrailBody> = self.send(call).await.map_err(|f| f.error)?;
        Ok(body.data.into())
    }

    async fn guardrail_key_assignments(&self, id: &str) -> Result<Vec<KeyAssignment>, ApiError> {
        let assignments: Vec<wire::KeyAssignmentBody> = self
            .get_all_pages(&["guardrails", id, "assignments", "keys"])
            .await?;
        Ok(assignments.into_iter().map(KeyAssignment::from).collect())
    }

    /// Assigning replaces a key's earlier guardrail, so repeating the call is harmless; after a
    /// repeat the count may be lower than the number of keys that were assigned.
    async fn assign_keys(&self, guardrail_id: &str, keys: &[KeyHash]) -> Result<u64, ApiError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let call = Call::new(
            Method::POST,
            &["guardrails", guardrail_id, "assignments", "keys"],
        )
        .json(&key_hashes(keys))?
        .repeatable();
        let body: wire::Assigned = self.send(call).await.map_err(|f| f.error)?;
        Ok(body.assigned_count)
    }

    async fn unassign_keys(&self, guardrail_id: &str, keys: &[KeyHash]) -> Result<u64, ApiError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let call = Call::new(
            Method::POST,
            &["guardrails", guardrail_id, "assignments", "keys", "remove"],
        )
        .json(&key_hashes(keys))?
        .repeatable();
        let body: wire::Unassigned = self.send(call).await.map_err(|f| f.error)?;
        Ok(body.unassigned_count)
    }
}

fn key_hashes(keys: &[KeyHash]) -> wire::KeyHashes {
    wire::KeyHashes {
        key_hashes: keys.iter().map(|k| k.as_str().to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(key: &str) -> HttpManagementApi {
        let mut settings = ClientSettings::new(DEFAULT_BASE_URL, SecretString::from(key));
        settings.initial_backoff = Duration::from_millis(100);
        settings.max_backoff = Duration::from_millis(350);
        HttpManagementApi::new(settings).unwrap()
    }

    #[test]
    fn jitter_stays_under_its_ceiling() {
        for _ in 0..200 {
            assert!(jitter(Duration::from_millis(100)) <= Duration::from_millis(100));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn excerpts_hide_the_management_key_even_when_it_is_not_key_shaped() {
        let api = api("plain-management-secret");
        let body = format!(
            "oops plain-management-secret sk-or-v1-{} {}",
            "a".repeat(64),
            "x".repeat(500)
        );
        let excerpt = api.excerpt(body.as_bytes());
        assert!(!excerpt.contains("plain-management-secret"));
        assert!(!excerpt.contains(&"a".repeat(64)));
        assert!(excerpt.chars().count() <= BODY_EXCERPT_CHARS + 1);
    }

    #[test]
    fn base_urls_must_be_http() {
        let settings = ClientSettings::new("openrouter.ai", SecretString::from("sk-or-v1-x"));
        assert!(matches!(
            HttpManagementApi::new(settings),
            Err(ApiError::InvalidSettings { .. })
        ));
    }

    #[test]
    fn urls_keep_the_base_path_and_escape_segments() {
        let api = api("sk-or-v1-test");
        let call = Call::new(Method::GET, &["guardrails", "a/b", "assignments", "keys"])
            .query("offset", 0);
        assert_eq!(
            api.url(&call).unwrap().as_str(),
            "https://openrouter.ai/api/v1/guardrails/a%2Fb/assignments/keys?offset=0"
        );
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
