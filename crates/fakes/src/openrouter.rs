//! A fake OpenRouter on 127.0.0.1: the management API (stateful keys, guardrails, credits and
//! activity) and the inference API (`/chat/completions` as JSON or a stream, `/responses`,
//! `/models` with prices, `/generation`) with the official spec's JSON, plus controls to seed
//! data, plan answers, read what reached it and inject faults. Everything it does is deterministic: ids come from a counter, never from chance.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fakes::openrouter::{Endpoint, Fault, FakeOpenRouter};
//! let fake = FakeOpenRouter::start().await?;
//! fake.seed_keys(250, "team:member");
//! fake.fail_next(Endpoint::ListKeys, 1, Fault::status(503));
//! // point a client at fake.base_url() with fake.management_key()
//! # Ok(()) }
//! ```

mod behaviour;
mod completions;
mod inference;
mod json;
mod server;
mod values;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use behaviour::State;
use inference::Inference;
pub use inference::{
    CompletionPlan, CompletionRequest, DEFAULT_GENERATION_DELAY, FakeGeneration, FakeModel,
    default_models,
};
pub use values::{ActivityRow, Credits, LimitReset, Usage, Usd};

/// How many keys one `GET /keys` page holds, as at OpenRouter.
pub const KEYS_PAGE_SIZE: usize = 100;

/// The workspace keys land in when a request names none (a real account's default workspace).
pub const DEFAULT_WORKSPACE_ID: &str = "0df9e665-d932-5740-b2c7-b52af166bc11";

/// The user id the fake gives the account owner (`creator_user_id`, `assigned_by`).
pub const OWNER_USER_ID: &str = "user_2fakeTeamOwner0000000000";

/// The management key a fake accepts unless configured otherwise.
pub const DEFAULT_MANAGEMENT_KEY: &str =
    "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";

/// The regular key a fake knows unless configured otherwise.
pub const DEFAULT_REGULAR_KEY: &str =
    "sk-or-v1-726567756c6172726567756c6172726567756c6172726567756c617200000001";

/// What the fake is started with.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The management key every management call must carry as `Authorization: Bearer ...`.
    pub management_key: String,
    /// A regular (inference) key of the same account: `GET /key` works with it and says
    /// `is_management_key: false`; every management call with it gets 403.
    pub regular_key: String,
    /// The account's credits (`GET /credits`).
    pub credits: Credits,
}

impl Default for FakeConfig {
    fn default() -> FakeConfig {
        FakeConfig {
            management_key: DEFAULT_MANAGEMENT_KEY.to_string(),
            regular_key: DEFAULT_REGULAR_KEY.to_string(),
            credits: Credits {
                total_credits: Usd::from_dollars(100),
                total_usage: Usd::ZERO,
            },
        }
    }
}

/// The operations the fake serves, for faults and request counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /key`
    CurrentKey,
    /// `GET /keys`
    ListKeys,
    /// `POST /keys`
    CreateKey,
    /// `GET /keys/{hash}`
    GetKey,
    /// `PATCH /keys/{hash}`
    UpdateKey,
    /// `DELETE /keys/{hash}`
    DeleteKey,
    /// `GET /credits`
    Credits,
    /// `GET /activity`
    Activity,
    /// `GET /guardrails`
    ListGuardrails,
    /// `POST /guardrails`
    CreateGuardrail,
    /// `PATCH /guardrails/{id}`
    UpdateGuardrail,
    /// `GET /guardrails/{id}/assignments/keys`
    ListKeyAssignments,
    /// `POST /guardrails/{id}/assignments/keys`
    AssignKeys,
    /// `POST /guardrails/{id}/assignments/keys/remove`
    UnassignKeys,
}

/// A way for the fake to misbehave on purpose.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and OpenRouter's error body, without doing anything. `retry_after`
    /// is sent verbatim as the `Retry-After` header.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// Do the work, then hold the answer back this long (long enough, the client times out).
    Delay(Duration),
    /// Answer with this status and a body that is not JSON, without doing anything.
    Malformed { status: u16 },
    /// Answer with this status and exactly this body (sent as JSON), without doing anything.
    Body { status: u16, body: String },
    /// Read the whole request, do the work (or not), then close the connection without answering.
    DropConnection { perform: bool },
}

impl Fault {
    /// An error status with no `Retry-After`.
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            retry_after: None,
        }
    }

    /// A 429, with `Retry-After: {seconds}` when given.
    pub fn rate_limited(retry_after_secs: Option<u64>) -> Fault {
        Fault::Status {
            status: 429,
            retry_after: retry_after_secs.map(|s| s.to_string()),
        }
    }
}

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The management key the fake was started with.
    Management,
    /// The configured regular key.
    Regular,
    /// The plaintext of a key the fake created (a regular key too); this is its hash.
    IssuedKey(String),
    /// A bearer token the fake does not know.
    Unknown,
    /// No `Authorization: Bearer` header.
    Missing,
}

/// One request as it reached the fake.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `None` for paths the fake does not serve (answered 404).
    pub endpoint: Option<Endpoint>,
    pub method: String,
    /// The path below the API root, such as `/keys/abc`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The body, when it was JSON.
    pub body: Option<Value>,
    pub caller: Caller,
    pub received_at: Instant,
}

impl RecordedRequest {
    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
            &format!("/?{query}").parse().ok()?,
        )
        .ok()?
        .0
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
    }
}

/// A key as the fake holds it (its plaintext is not part of it).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeKey {
    pub hash: String,
    pub name: String,
    pub label: String,
    pub disabled: bool,
    pub limit: Option<Usd>,
    pub limit_reset: LimitReset,
    pub include_byok_in_limit: bool,
    pub usage: Usage,
    pub byok_usage: Usage,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub creator_user_id: Option<String>,
    pub workspace_id: String,
}

impl FakeKey {
    /// What is left of the limit in the current window (never below zero); `None` without a limit.
    pub fn limit_remaining(&self) -> Option<Usd> {
        let mut spent = self.usage.in_window(self.limit_reset);
        if self.include_byok_in_limit {
            spent = spent + self.byok_usage.in_window(self.limit_reset);
        }
        self.limit.map(|limit| limit.saturating_sub(spent))
    }
}

/// A key to put into the fake directly, as if it had been created earlier.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySeed {
    pub name: String,
    pub disabled: bool,
    pub limit: Option<Usd>,
    pub limit_reset: LimitReset,
    pub usage: Usage,
    /// `None`: the default workspace.
    pub workspace_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl KeySeed {
    /// An enabled key without a limit or usage, in the default workspace.
    pub fn named(name: impl Into<String>) -> KeySeed {
        KeySeed {
            name: name.into(),
            disabled: false,
            limit: None,
            limit_reset: LimitReset::Never,
            usage: Usage::default(),
            workspace_id: None,
            expires_at: None,
        }
    }
}

/// A guardrail as the fake holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeGuardrail {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub allowed_models: Option<Vec<String>>,
    pub limit_usd: Option<Usd>,
    pub reset_interval: Option<String>,
    pub include_byok_in_budgets: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub workspace_id: String,
}

/// A key's assignment to a guardrail; a key has at most one.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeAssignment {
    pub id: String,
    pub guardrail_id: String,
    pub key_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A running fake OpenRouter; it stops when dropped.
pub struct FakeOpenRouter {
    shared: Arc<Shared>,
    base_url: String,
    server: tokio::task::JoinHandle<()>,
}

/// What the server and the test share.
pub(crate) struct Shared {
    state: Mutex<State>,
    inference: Mutex<Inference>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn inference(&self) -> MutexGuard<'_, Inference> {
        self.inference
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl FakeOpenRouter {
    /// Starts a fake with the default keys and $100 of credits on a free local port.
    pub async fn start() -> std::io::Result<FakeOpenRouter> {
        FakeOpenRouter::start_with(FakeConfig::default()).await
    }

    /// Starts a fake with `config` on a free local port.
    pub async fn start_with(config: FakeConfig) -> std::io::Result<FakeOpenRouter> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(config)),
            inference: Mutex::new(Inference::new()),
        });
        let (address, server) = server::serve(shared.clone()).await?;
        Ok(FakeOpenRouter {
            shared,
            base_url: format!("http://{address}{}", server::API_ROOT),
            server,
        })
    }

    /// The API root to point a client at, such as `http://127.0.0.1:40123/api/v1`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The management key the fake accepts.
    pub fn management_key(&self) -> String {
        self.shared.lock().config.management_key.clone()
    }

    /// The regular key the fake knows (`GET /key` only).
    pub fn regular_key(&self) -> String {
        self.shared.lock().config.regular_key.clone()
    }

    /// Fixes the fake's clock (creation and update times); by default it reads the system clock.
    pub fn set_now(&self, now: DateTime<Utc>) {
        self.shared.lock().now = Some(now);
    }

    /// The time on the fake's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.lock().now()
    }

    /// Adds a key as if it had been created earlier and returns its hash.
    pub fn add_key(&self, seed: KeySeed) -> String {
        self.shared.lock().add_key(seed).hash.clone()
    }

    /// Adds `count` enabled keys named `{name_prefix}{i}` (i from 1) and returns their hashes.
    pub fn seed_keys(&self, count: usize, name_prefix: &str) -> Vec<String> {
        let mut state = self.shared.lock();
        (1..=count)
            .map(|i| {
                state
                    .add_key(KeySeed::named(format!("{name_prefix}{i}")))
                    .hash
                    .clone()
            })
            .collect()
    }

    /// Sets a key's spend counters; false when there is no such key.
    pub fn set_usage(&self, hash: &str, usage: Usage) -> bool {
        self.edit_key(hash, |key| key.usage = usage)
    }

    /// Changes a key in place (usage, disabled, expiry, ...); false when there is no such key.
    pub fn edit_key(&self, hash: &str, edit: impl FnOnce(&mut FakeKey)) -> bool {
        match self.shared.lock().key_mut(hash) {
            Some(key) => {
                edit(key);
                true
            }
            None => false,
        }
    }

    /// Every key, in every workspace, disabled ones included, in creation order.
    pub fn keys(&self) -> Vec<FakeKey> {
        self.shared.lock().keys()
    }

    /// One key.
    pub fn key(&self, hash: &str) -> Option<FakeKey> {
        self.shared
            .lock()
            .keys()
            .into_iter()
            .find(|k| k.hash == hash)
    }

    /// The keys with exactly this name.
    pub fn keys_named(&self, name: &str) -> Vec<FakeKey> {
        self.shared
            .lock()
            .keys()
            .into_iter()
            .filter(|k| k.name == name)
            .collect()
    }

    /// Adds a guardrail in the default workspace and returns its id.
    pub fn add_guardrail(&self, name: &str, allowed_models: Option<Vec<String>>) -> String {
        self.shared.lock().add_guardrail(name, allowed_models)
    }

    /// Every guardrail, in creation order.
    pub fn guardrails(&self) -> Vec<FakeGuardrail> {
        self.shared.lock().guardrails.clone()
    }

    /// Every key assignment, in the order they were made.
    pub fn assignments(&self) -> Vec<FakeAssignment> {
        self.shared.lock().assignments.clone()
    }

    /// The guardrail a key is assigned to.
    pub fn guardrail_of(&self, hash: &str) -> Option<String> {
        self.shared
            .lock()
            .assignments
            .iter()
            .find(|a| a.key_hash == hash)
            .map(|a| a.guardrail_id.clone())
    }

    /// Adds a `GET /activity` row for a key. Rows of the same day and model are summed when
    /// listed, newest day first. Unlike OpenRouter, which keeps the last 30 completed UTC days,
    /// the fake lists every row it was given, whatever its date.
    pub fn add_activity(&self, key: &str, row: ActivityRow) {
        self.shared.lock().activity.push((key.to_string(), row));
    }

    /// Sets what `GET /credits` answers.
    pub fn set_credits(&self, credits: Credits) {
        self.shared.lock().config.credits = credits;
    }

    /// Makes the next `times` requests to `endpoint` misbehave. Faults queue up in order.
    pub fn fail_next(&self, endpoint: Endpoint, times: usize, fault: Fault) {
        if times > 0 {
            self.shared.lock().faults.push(behaviour::PlannedFault::new(
                endpoint,
                Some(times),
                fault,
            ));
        }
    }

    /// Makes every request to `endpoint` misbehave, after any faults queued before this one.
    pub fn fail_always(&self, endpoint: Endpoint, fault: Fault) {
        self.shared
            .lock()
            .faults
            .push(behaviour::PlannedFault::new(endpoint, None, fault));
    }

    /// Removes every planned fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every request that reached the fake, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The requests to one endpoint, in arrival order.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.endpoint == Some(endpoint))
            .cloned()
            .collect()
    }

    /// How many requests reached one endpoint.
    pub fn request_count(&self, endpoint: Endpoint) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.endpoint == Some(endpoint))
            .count()
    }

    /// Forgets the recorded requests (seeding through the API can then be left out of counts).
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// The inference key to call `/chat/completions` with: the account's regular key.
    pub fn inference_key(&self) -> String {
        self.regular_key()
    }

    /// Replaces the models `/models` lists and completions accept.
    pub fn set_models(&self, models: Vec<FakeModel>) {
        self.shared.inference().models = models;
    }

    /// What every completion does from now on, unless one is planned with
    /// [`plan_next_completion`](Self::plan_next_completion).
    pub fn plan_completions(&self, plan: CompletionPlan) {
        self.shared.inference().default_plan = plan;
    }

    /// What the next completion does; plans queue up in order.
    pub fn plan_next_completion(&self, plan: CompletionPlan) {
        self.shared.inference().plans.push_back(plan);
    }

    /// How long after an answer ends `/generation` starts to report it (200 ms by default).
    pub fn set_generation_delay(&self, delay: Duration) {
        self.shared.inference().generation_delay = delay;
    }

    /// Stops (or resumes) keeping completion requests, for long benchmark runs.
    pub fn record_completion_requests(&self, on: bool) {
        self.shared.inference().record_requests = on;
    }

    /// Every completion request that reached the fake, in arrival order.
    pub fn completion_requests(&self) -> Vec<CompletionRequest> {
        self.shared.inference().requests.clone()
    }

    /// Every generation the fake served, in the order they ended.
    pub fn generations(&self) -> Vec<FakeGeneration> {
        self.shared.inference().generations.clone()
    }

    /// One generation, whether or not `/generation` shows it yet.
    pub fn generation(&self, id: &str) -> Option<FakeGeneration> {
        self.shared
            .inference()
            .generations
            .iter()
            .find(|g| g.id == id)
            .cloned()
    }
}

impl Drop for FakeOpenRouter {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for FakeOpenRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOpenRouter")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
