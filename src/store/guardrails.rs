//! Which OpenRouter guardrail holds each tier's model allowlist.

use chrono::{DateTime, Utc};

use super::rows::{get, secs};
use super::{Doing, Store, StoreError};

impl Store {
    /// The guardrail id and allowlist recorded for a tier.
    pub async fn tier_guardrail(
        &self,
        tier: &str,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let row =
            sqlx::query("SELECT guardrail_id, allowed_models FROM tier_guardrails WHERE tier = $1")
                .bind(tier)
                .fetch_optional(self.pool())
                .await
                .doing("reading a tier's guardrail")?;
        let Some(row) = row else { return Ok(None) };
        let models: String = get(&row, "allowed_models")?;
        let models: Vec<String> = serde_json::from_str(&models)
            .map_err(|e| StoreError::Corrupt(format!("tier_guardrails.allowed_models: {e}")))?;
        Ok(Some((get(&row, "guardrail_id")?, models)))
    }

    /// Records the guardrail that holds a tier's allowlist.
    pub async fn save_tier_guardrail(
        &self,
        tier: &str,
        guardrail_id: &str,
        allowed_models: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let models = serde_json::to_string(allowed_models).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO tier_guardrails (tier, guardrail_id, allowed_models, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tier) DO UPDATE SET guardrail_id = excluded.guardrail_id, \
             allowed_models = excluded.allowed_models, updated_at = excluded.updated_at",
        )
        .bind(tier)
        .bind(guardrail_id)
        .bind(models)
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("recording a tier's guardrail")?;
        Ok(())
    }
}
