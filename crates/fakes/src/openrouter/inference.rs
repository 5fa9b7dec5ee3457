//! The fake's inference side as data: the models it lists with their prices, what the next
//! completions are planned to do, the generations it served (what `/generation` reports) and
//! the completion requests that reached it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Caller;

/// How long a generation takes to show in `GET /generation` unless set otherwise: OpenRouter
/// records it a moment after the answer ends.
pub const DEFAULT_GENERATION_DELAY: Duration = Duration::from_millis(200);

/// A model the fake lists and serves. Prices are OpenRouter's decimal strings, in dollars per
/// token (per request for `request`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeModel {
    pub id: String,
    pub prompt: String,
    pub completion: String,
    pub request: String,
    pub context_length: u64,
    /// The top provider's cap on output tokens; `None` for no cap.
    pub max_completion_tokens: Option<u64>,
}

impl FakeModel {
    /// A model with these per-token prices, no per-request price.
    pub fn new(
        id: &str,
        prompt: &str,
        completion: &str,
        context_length: u64,
        max_completion_tokens: Option<u64>,
    ) -> FakeModel {
        FakeModel {
            id: id.to_string(),
            prompt: prompt.to_string(),
            completion: completion.to_string(),
            request: "0".to_string(),
            context_length,
            max_completion_tokens,
        }
    }

    /// What `prompt_tokens` in and `completion_tokens` out cost, in nano-dollars, rounded up:
    /// a cheap request never costs zero unless the model is free.
    pub fn cost_nanos(&self, prompt_tokens: u64, completion_tokens: u64) -> i64 {
        let atto = u128::from(prompt_tokens) * atto_dollars(&self.prompt)
            + u128::from(completion_tokens) * atto_dollars(&self.completion)
            + atto_dollars(&self.request);
        i64::try_from(atto.div_ceil(ATTO_PER_NANO)).unwrap_or(i64::MAX)
    }
}

/// 10^-18 dollars in a nano-dollar.
const ATTO_PER_NANO: u128 = 1_000_000_000;

/// A decimal dollar string as whole 10^-18 dollars; digits past the eighteenth are dropped and
/// anything unreadable is zero.
fn atto_dollars(price: &str) -> u128 {
    let (whole, fraction) = price.trim().split_once('.').unwrap_or((price.trim(), ""));
    let whole: u128 = whole.parse().unwrap_or(0);
    let mut digits: String = fraction.chars().take(18).collect();
    while digits.len() < 18 {
        digits.push('0');
    }
    whole * 1_000_000_000_000_000_000 + digits.parse::<u128>().unwrap_or(0)
}

/// The models a fake starts with: two cheap and two dear OpenAI and Anthropic models, one very
/// dear one, and a free one, at OpenRouter's list prices.
pub fn default_models() -> Vec<FakeModel> {
    vec![
        FakeModel::new(
            "openai/gpt-4o-mini",
            "0.00000015",
            "0.0000006",
            128_000,
            Some(16_384),
        ),
        FakeModel::new(
            "openai/gpt-4o",
            "0.0000025",
            "0.00001",
            128_000,
            Some(16_384),
        ),
        FakeModel::new(
            "anthropic/claude-sonnet-4",
            "0.000003",
            "0.000015",
            200_000,
            Some(64_000),
        ),
        FakeModel::new("openai/o1-pro", "0.00015", "0.0006", 200_000, Some(100_000)),
        FakeModel::new(
            "meta-llama/llama-3.1-8b-instruct:free",
            "0",
            "0",
            131_072,
            None,
        ),
    ]
}

/// What a completion does: how long an answer it gives, how it streams, and how it fails.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionPlan {
    /// Tokens the model would write when nothing caps it.
    pub completion_tokens: u64,
    /// The pause before each streamed chunk (a slow drip); a JSON answer waits for all of them.
    pub chunk_delay: Duration,
    /// `: OPENROUTER PROCESSING` comments sent before the first chunk of a stream.
    pub keep_alive_comments: usize,
    /// Tokens in each content chunk of a stream.
    pub tokens_per_chunk: u64,
    /// Put `usage` on the last content chunk (which still carries `choices`) instead of a chunk
    /// of its own with `choices: []`.
    pub usage_on_last_content_chunk: bool,
    /// After this many content chunks, send an error chunk and end the stream.
    pub error_after_chunks: Option<usize>,
    /// After this many content chunks, cut the connection.
    pub drop_after_chunks: Option<usize>,
    /// Answer this status (with `Retry-After` when given) without serving anything.
    pub status: Option<(u16, Option<String>)>,
}

impl CompletionPlan {
    /// A plain, quick answer of 20 tokens in chunks of 5, after one keep-alive comment.
    pub fn new() -> CompletionPlan {
        CompletionPlan {
            completion_tokens: 20,
            chunk_delay: Duration::ZERO,
            keep_alive_comments: 1,
            tokens_per_chunk: 5,
            usage_on_last_content_chunk: false,
            error_after_chunks: None,
            drop_after_chunks: None,
            status: None,
        }
    }
}

impl Default for CompletionPlan {
    fn default() -> CompletionPlan {
        CompletionPlan::new()
    }
}

/// A generation the fake served, as `GET /generation` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeGeneration {
    pub id: String,
    pub model: String,
    pub prompt_tokens: u64,
    /// Tokens actually sent (fewer than planned when the stream was cut or abandoned).
    pub completion_tokens: u64,
    pub cost_nanos: i64,
    pub streamed: bool,
    /// The client went away before the answer ended.
    pub cancelled: bool,
    /// The request's `user`.
    pub user: Option<String>,
    pub finish_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the answer ended; `/generation` shows it a delay later.
    pub finished_at: Instant,
}

/// A completion request as it reached the fake.
#[derive(Debug, Clone)]
pub struct CompletionRequest {
    /// `/chat/completions` or `/responses`.
    pub path: String,
    pub caller: Caller,
    /// The `HTTP-Referer` header (OpenRouter's name for it, not `Referer`).
    pub referer: Option<String>,
    /// The `X-OpenRouter-Title` header (or the older `X-Title`).
    pub title: Option<String>,
    /// The body, when it was JSON (`Value::Null` otherwise).
    pub body: Value,
    /// The body byte for byte.
    pub raw_body: Vec<u8>,
    pub received_at: Instant,
}

/// The inference state the server and the test share.
pub(crate) struct Inference {
    pub models: Vec<FakeModel>,
    pub plans: VecDeque<CompletionPlan>,
    pub default_plan: CompletionPlan,
    pub generation_delay: Duration,
    pub generations: Vec<FakeGeneration>,
    pub requests: Vec<CompletionRequest>,
    /// Requests are kept only while this is on (a benchmark turns it off).
    pub record_requests: bool,
    next_generation: u64,
}

impl Inference {
    pub fn new() -> Inference {
        Inference {
            models: default_models(),
            plans: VecDeque::new(),
            default_plan: CompletionPlan::new(),
            generation_delay: DEFAULT_GENERATION_DELAY,
            generations: Vec::new(),
            requests: Vec::new(),
            record_requests: true,
            next_generation: 0,
        }
    }

    /// The plan for the next completion: a queued one, else the standing one.
    pub fn next_plan(&mut self) -> CompletionPlan {
        self.plans
            .pop_front()
            .unwrap_or_else(|| self.default_plan.clone())
    }

    pub fn model(&self, id: &str) -> Option<&FakeModel> {
        self.models.iter().find(|m| m.id == id)
    }

    /// A fresh generation id, from a counter.
    pub fn generation_id(&mut self) -> String {
        self.next_generation += 1;
        format!("gen-{:010}", self.next_generation)
    }

    /// A generation, when it is recorded and its delay has passed.
    pub fn ready_generation(&self, id: &str) -> Option<&FakeGeneration> {
        self.generations
            .iter()
            .find(|g| g.id == id)
            .filter(|g| g.finished_at.elapsed() >= self.generation_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact_and_round_up_to_the_nano_dollar() {
        let mini = &default_models()[0];
        // 10 * 150 + 20 * 600 nano-dollars.
        assert_eq!(mini.cost_nanos(10, 20), 13_500);
        let sub_nano = FakeModel::new("x/y", "0.0000000001", "0", 1000, None);
        assert_eq!(sub_nano.cost_nanos(1, 0), 1);
        assert_eq!(sub_nano.cost_nanos(10, 0), 1);
        assert_eq!(sub_nano.cost_nanos(11, 0), 2);
        let free = &default_models()[4];
        assert_eq!(free.cost_nanos(1000, 1000), 0);
    }
}
