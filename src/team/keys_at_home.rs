//! Where each of the team's keys lives: an OpenRouter key at OpenRouter, a gateway token in the
//! bot's own database. The team's flows (reveal, rotate, revoke, disable, limits, top-ups,
//! departures, `/budget`, the digest) call one [`ManagementApi`]; this one sends each call about
//! a gateway token to the database and the ledger, and everything else on to OpenRouter.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{TimeDelta, Utc};

use crate::clock::Clock;
use crate::domain::{ApiKey, KeyHash, TeamKey, is_token_hash};
use crate::money::Usd;
use crate::openrouter::{
    ActivityRow, ApiError, CreatedKey, Credits, CurrentKey, Guardrail, GuardrailSpec,
    KeyAssignment, KeyUpdate, LimitChange, ManagementApi, NewKey,
};
use crate::store::{Store, StoreError};

/// OpenRouter for keys, the database for gateway tokens.
pub struct KeysAtHome {
    openrouter: Arc<dyn ManagementApi>,
    store: Store,
    clock: Arc<dyn Clock>,
}

impl KeysAtHome {
    pub fn new(openrouter: Arc<dyn ManagementApi>, store: Store, clock: Arc<dyn Clock>) -> Self {
        KeysAtHome {
            openrouter,
            store,
            clock,
        }
    }

    async fn token(&self, hash: &KeyHash) -> Result<TeamKey, ApiError> {
        match self.store.key(hash.as_str()).await.map_err(unrecorded)? {
            Some(key) if key.is_live() => Ok(key),
            _ => Err(ApiError::NotFound {
                message: "the bot has no such gateway token".into(),
            }),
        }
    }

    /// A token as OpenRouter would describe a key: its limit, and its spend live from the ledger.
    async fn token_as_key(&self, key: TeamKey) -> Result<ApiKey, ApiError> {
        let usage = self
            .store
            .ledger_usage(&key.hash, self.clock.now())
            .await
            .map_err(unrecorded)?;
        let spent = match key.reset {
            crate::reset::LimitReset::Daily => usage.daily,
            crate::reset::LimitReset::Weekly => usage.weekly,
            crate::reset::LimitReset::Monthly => usage.monthly,
            crate::reset::LimitReset::Never => usage.total,
        };
        Ok(ApiKey {
            hash: KeyHash(key.hash),
            name: key.name,
            label: key.label,
            disabled: key.disabled,
            limit: key.limit,
            limit_remaining: key.limit.map(|l| l.saturating_sub(spent)),
            limit_reset: key.reset,
            include_byok_in_limit: false,
            usage,
            created_at: key.created_at,
            updated_at: None,
            expires_at: key.expires_at,
            workspace_id: None,
        })
    }
}

/// A database failure behind a token's change, in the error type the flows handle.
fn unrecorded(error: StoreError) -> ApiError {
    ApiError::Server {
        status: 500,
        message: format!("the bot's database failed for a gateway token: {error}"),
    }
}

#[async_trait]
impl ManagementApi for KeysAtHome {
    async fn current_key(&self) -> Result<CurrentKey, ApiError> {
        self.openrouter.current_key().await
    }

    async fn list_keys_page(
        &self,
        workspace_id: Option<&str>,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Vec<ApiKey>, ApiError> {
        self.openrouter
            .list_keys_page(workspace_id, offset, include_disabled)
            .await
    }

    async fn get_key(&self, hash: &KeyHash) -> Result<ApiKey, ApiError> {
        if !is_token_hash(hash.as_str()) {
            return self.openrouter.get_key(hash).await;
        }
        let key = self.token(hash).await?;
        self.token_as_key(key).await
    }

    async fn create_key(&self, new_key: &NewKey) -> Result<CreatedKey, ApiError> {
        self.openrouter.create_key(new_key).await
    }

    async fn update_key(&self, hash: &KeyHash, update: &KeyUpdate) -> Result<ApiKey, ApiError> {
        if !is_token_hash(hash.as_str()) {
            return self.openrouter.update_key(hash, update).await;
        }
        let key = self.token(hash).await?;
        if let Some(disabled) = update.disabled {
            self.store
                .set_key_disabled(&key.hash, disabled)
                .await
                .map_err(unrecorded)?;
        }
        if update.limit.is_some() || update.limit_reset.is_some() {
            let limit = match update.limit {
                Some(LimitChange::Set(limit)) => Some(limit),
                Some(LimitChange::Remove) => None,
                None => key.limit,
            };
            let reset = update.limit_reset.unwrap_or(key.reset);
            self.store
                .set_key_limit(&key.hash, limit, reset)
                .await
                .map_err(unrecorded)?;
        }
        let key = self.token(hash).await?;
        self.token_as_key(key).await
    }

    async fn delete_key(&self, hash: &KeyHash) -> Result<(), ApiError> {
        if !is_token_hash(hash.as_str()) {
            return self.openrouter.delete_key(hash).await;
        }
        self.store
            .mark_key_deleted(hash.as_str(), self.clock.now())
            .await
            .map_err(unrecorded)?;
        Ok(())
    }

    async fn credits(&self) -> Result<Credits, ApiError> {
        self.openrouter.credits().await
    }

    async fn activity(&self, key: Option<&KeyHash>) -> Result<Vec<ActivityRow>, ApiError> {
        let Some(hash) = key.filter(|h| is_token_hash(h.as_str())) else {
            return self.openrouter.activity(key).await;
        };
        // OpenRouter's activity covers the last 30 completed UTC days; so does the ledger's.
        let since = self.clock.now() - TimeDelta::days(31);
        let rows = self
            .store
            .ledger_activity(hash.as_str(), since)
            .await
            .map_err(unrecorded)?;
        Ok(rows
            .into_iter()
            .map(|row| ActivityRow {
                date: row.day.with_timezone(&Utc).format("%Y-%m-%d").to_string(),
                model: row.model,
                usage: Usd::from_micros(row.spent.to_usd_rounded_up().micros()),
                requests: row.requests,
                prompt_tokens: row.prompt_tokens,
                completion_tokens: row.completion_tokens,
            })
            .collect())
    }

    async fn list_guardrails(&self) -> Result<Vec<Guardrail>, ApiError> {
        self.openrouter.list_guardrails().await
    }

    async fn create_guardrail(&self, spec: &GuardrailSpec) -> Result<Guardrail, ApiError> {
        self.openrouter.create_guardrail(spec).await
    }

    async fn update_guardrail(
        &self,
        id: &str,
        spec: &GuardrailSpec,
    ) -> Result<Guardrail, ApiError> {
        self.openrouter.update_guardrail(id, spec).await
    }

    async fn guardrail_key_assignments(&self, id: &str) -> Result<Vec<KeyAssignment>, ApiError> {
        self.openrouter.guardrail_key_assignments(id).await
    }

    /// A gateway token follows its tier's models in the gateway itself, so it is never sent.
    async fn assign_keys(&self, guardrail_id: &str, keys: &[KeyHash]) -> Result<u64, ApiError> {
        let keys: Vec<KeyHash> = keys
            .iter()
            .filter(|k| !is_token_hash(k.as_str()))
            .cloned()
            .collect();
        if keys.is_empty() {
            return Ok(0);
        }
        self.openrouter.assign_keys(guardrail_id, &keys).await
    }

    async fn unassign_keys(&self, guardrail_id: &str, keys: &[KeyHash]) -> Result<u64, ApiError> {
        let keys: Vec<KeyHash> = keys
            .iter()
            .filter(|k| !is_token_hash(k.as_str()))
            .cloned()
            .collect();
        if keys.is_empty() {
            return Ok(0);
        }
        self.openrouter.unassign_keys(guardrail_id, &keys).await
    }
}
