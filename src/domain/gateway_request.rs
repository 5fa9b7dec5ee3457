//! The gateway's ledger: one record per request of a known member, from the hold taken before
//! it was forwarded to the cost OpenRouter charged for it.

use chrono::{DateTime, Utc};

use crate::money::NanoUsd;

/// How a gateway request ended, as far as the team's rules go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Forwarded with the model asked for.
    Served,
    /// Forwarded with the tier's fallback model instead.
    Downgraded,
    /// Refused: a model the tier does not allow.
    RefusedModel,
    /// Refused: too little budget left in the window.
    RefusedBudget,
    /// Refused: the member's fair-use caps.
    Throttled,
    /// Refused: a body the gateway could not read.
    BadRequest,
    /// Forwarded, and OpenRouter answered with an error status.
    UpstreamError,
    /// OpenRouter could not be reached.
    Unreachable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Served => "served",
            Outcome::Downgraded => "downgraded",
            Outcome::RefusedModel => "refused_model",
            Outcome::RefusedBudget => "refused_budget",
            Outcome::Throttled => "throttled",
            Outcome::BadRequest => "bad_request",
            Outcome::UpstreamError => "upstream_error",
            Outcome::Unreachable => "unreachable",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        [
            Outcome::Served,
            Outcome::Downgraded,
            Outcome::RefusedModel,
            Outcome::RefusedBudget,
            Outcome::Throttled,
            Outcome::BadRequest,
            Outcome::UpstreamError,
            Outcome::Unreachable,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }

    /// Whether the request reached OpenRouter (and so may cost something).
    pub fn was_forwarded(self) -> bool {
        matches!(
            self,
            Outcome::Served | Outcome::Downgraded | Outcome::UpstreamError
        )
    }
}

/// Where a settled cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostSource {
    /// `usage.cost` of the answer (the last chunk of a stream).
    Answer,
    /// `GET /generation?id=`, when the answer's usage never came.
    Generation,
    /// Nothing was forwarded, or OpenRouter refused it before generating: free.
    NotCharged,
    /// OpenRouter never told the cost (no generation id, or `/generation` never had it): the
    /// hold is charged, an upper bound, so no budget is overspent.
    Hold,
}

impl CostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Answer => "answer",
            CostSource::Generation => "generation",
            CostSource::NotCharged => "not_charged",
            CostSource::Hold => "hold",
        }
    }

    pub fn parse(text: &str) -> Option<CostSource> {
        [
            CostSource::Answer,
            CostSource::Generation,
            CostSource::NotCharged,
            CostSource::Hold,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRequest {
    /// The gateway's own id for the request.
    pub id: String,
    /// The token it came with (`keys.hash`).
    pub key_hash: String,
    pub member_id: i64,
    pub tier: String,
    pub requested_model: String,
    pub served_model: String,
    pub outcome: Outcome,
    /// What was held against the budget while it ran.
    pub hold: NanoUsd,
    /// The real cost, once settled; `None` while it runs.
    pub cost: Option<NanoUsd>,
    pub cost_source: Option<CostSource>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// OpenRouter's generation id (`X-Generation-Id`), for settling from `/generation`.
    pub generation_id: Option<String>,
    pub http_status: Option<u16>,
    pub streamed: bool,
    /// The gateway process that took the hold.
    pub instance: String,
    pub started_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

impl GatewayRequest {
    /// Whether its cost is known (its hold released).
    pub fn is_settled(&self) -> bool {
        self.cost.is_some()
    }
}
