//! The OpenRouter management API: the one place that knows its endpoints and JSON.
//!
//! The rest of the bot talks to OpenRouter through [`ManagementApi`], so the domain can be tested
//! against a fake; [`HttpManagementApi`] is the real client.

mod client;
mod error;
mod model;
mod paging;
mod retry;
pub(crate) mod wire;

pub use client::{ClientSettings, DEFAULT_BASE_URL, HttpManagementApi};
pub use error::ApiError;
pub use model::*;
pub use paging::{KEYS_PAGE_SIZE, KeyListing, list_all_keys};

use async_trait::async_trait;

/// Everything the bot asks of OpenRouter's management API.
#[async_trait]
pub trait ManagementApi: Send + Sync {
    /// `GET /key`: the key the bot runs with.
    async fn current_key(&self) -> Result<CurrentKey, ApiError>;

    /// `GET /keys`: one page of at most [`KEYS_PAGE_SIZE`] keys starting at `offset`.
    async fn list_keys_page(
        &self,
        workspace_id: Option<&str>,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Vec<ApiKey>, ApiError>;

    /// `GET /keys/{hash}`.
    async fn get_key(&self, hash: &KeyHash) -> Result<ApiKey, ApiError>;

    /// `POST /keys`. Never retried once the request may have reached OpenRouter: when the
    /// outcome is unknown the error is [`ApiError::OutcomeUnknown`] and the caller reconciles by name.
    async fn create_key(&self, new_key: &NewKey) -> Result<CreatedKey, ApiError>;

    /// `PATCH /keys/{hash}` with only the fields that change.
    async fn update_key(&self, hash: &KeyHash, update: &KeyUpdate) -> Result<ApiKey, ApiError>;

    /// `DELETE /keys/{hash}`.
    async fn delete_key(&self, hash: &KeyHash) -> Result<(), ApiError>;

    /// `GET /credits`.
    async fn credits(&self) -> Result<Credits, ApiError>;

    /// `GET /activity`, optionally for one key: the last 30 completed UTC days, per day and model.
    async fn activity(&self, key: Option<&KeyHash>) -> Result<Vec<ActivityRow>, ApiError>;

    /// `GET /guardrails`, every page.
    async fn list_guardrails(&self) -> Result<Vec<Guardrail>, ApiError>;

    /// `POST /guardrails`.
    async fn create_guardrail(&self, spec: &GuardrailSpec) -> Result<Guardrail, ApiError>;

    /// `PATCH /guardrails/{id}`.
    async fn update_guardrail(&self, id: &str, spec: &GuardrailSpec)
    -> Result<Guardrail, ApiError>;

    /// `GET /guardrails/{id}/assignments/keys`, every page.
    async fn guardrail_key_assignments(&self, id: &str) -> Result<Vec<KeyAssignment>, ApiError>;

    /// `POST /guardrails/{id}/assignments/keys`; returns how many were assigned.
    async fn assign_keys(&self, guardrail_id: &str, keys: &[KeyHash]) -> Result<u64, ApiError>;

    /// `POST /guardrails/{id}/assignments/keys/remove`; returns how many were unassigned.
    async fn unassign_keys(&self, guardrail_id: &str, keys: &[KeyHash]) -> Result<u64, ApiError>;
}
