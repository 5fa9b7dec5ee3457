//! Model governance: one OpenRouter guardrail per tier with an allowlist, kept equal to the
//! config, and every key of that tier assigned to it.

use std::collections::{BTreeSet, HashMap};

use super::{MemberStatus, Team, TeamError, TeamKey, Tier};
use crate::domain::KeyHash;
use crate::openrouter::{Guardrail, GuardrailSpec};

fn same_models(a: &[String], b: &[String]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

impl Team {
    /// The guardrail name for a tier: `{prefix}:tier:{tier}`.
    pub fn guardrail_name(&self, tier: &Tier) -> String {
        format!("{}:tier:{}", self.rules.key_name_prefix, tier.name)
    }

    /// The tier's guardrail at OpenRouter: the one recorded for it, else one with its name.
    fn find_guardrail<'a>(
        &self,
        tier: &Tier,
        recorded: Option<&str>,
        existing: &'a [Guardrail],
    ) -> Option<&'a Guardrail> {
        let name = self.guardrail_name(tier);
        recorded
            .and_then(|id| existing.iter().find(|g| g.id == id))
            .or_else(|| existing.iter().find(|g| g.name == name))
    }

    /// Creates or updates each tier's guardrail to match the config, then assigns every active
    /// member's keys to their tier's guardrail (or none). Returns what changed, in words.
    pub async fn sync_guardrails(&self) -> Result<Vec<String>, TeamError> {
        let existing = self.api.list_guardrails().await?;
        let mut changes = Vec::new();
        for tier in self.rules.tiers.all() {
            let Some(models) = &tier.allowed_models else {
                continue;
            };
            let recorded = self.store.tier_guardrail(tier.name.as_str()).await?;
            let spec = GuardrailSpec {
                name: self.guardrail_name(tier),
                allowed_models: models.clone(),
            };
            let id = match self.find_guardrail(
                tier,
                recorded.as_ref().map(|(id, _)| id.as_str()),
                &existing,
            ) {
                Some(guardrail) => {
                    let current = guardrail.allowed_models.clone().unwrap_or_default();
                    if !same_models(&current, models) || guardrail.name != spec.name {
                        self.api.update_guardrail(&guardrail.id, &spec).await?;
                        changes.push(format!("updated the allowlist of tier {}", tier.name));
                    }
                    guardrail.id.clone()
                }
                None => {
                    let created = self.api.create_guardrail(&spec).await?;
                    changes.push(format!(
                        "created guardrail {} for tier {}",
                        spec.name, tier.name
                    ));
                    created.id
                }
            };
            self.store
                .save_tier_guardrail(tier.name.as_str(), &id, models, self.now())
                .await?;
        }
        // Each tier's guardrail as just saved, and every member's keys, read once for the team.
        let mut expected_by_tier = HashMap::new();
        for tier in self.rules.tiers.all() {
            expected_by_tier.insert(tier.name.as_str(), self.expected_guardrail(tier).await?);
        }
        let mut keys_by_member = self.keys_by_member().await?;
        for member in self.store.members().await? {
            if member.status != MemberStatus::Active {
                continue;
            }
            let tier = self.member_tier(&member);
            let expected = expected_by_tier
                .get(tier.name.as_str())
                .cloned()
                .unwrap_or_default();
            for key in keys_by_member.remove(&member.id).unwrap_or_default() {
                if self.put_under_guardrail(&key, expected.as_deref()).await? {
                    changes.push(format!(
                        "assigned {} to tier {}'s rules",
                        key.name, tier.name
                    ));
                }
            }
        }
        Ok(changes)
    }

    /// The tier whose rules a member's keys follow (as last applied, else admin-set or default).
    pub fn member_tier(&self, member: &super::Member) -> &Tier {
        member
            .effective_tier
            .as_deref()
            .and_then(|t| self.rules.tiers.get(t))
            .unwrap_or_else(|| self.rules.tiers.effective(member.tier.as_deref(), &[]))
    }

    /// Puts a key under its tier's guardrail, or under none for a tier without an allowlist.
    /// Returns whether anything changed.
    pub(crate) async fn assign_guardrail(
        &self,
        key: &TeamKey,
        tier: &Tier,
    ) -> Result<bool, TeamError> {
        let expected = self.expected_guardrail(tier).await?;
        self.put_under_guardrail(key, expected.as_deref()).await
    }

    /// The guardrail a tier's keys belong under: the one recorded for it when it has an
    /// allowlist, none otherwise.
    async fn expected_guardrail(&self, tier: &Tier) -> Result<Option<String>, TeamError> {
        Ok(match &tier.allowed_models {
            Some(_) => self
                .store
                .tier_guardrail(tier.name.as_str())
                .await?
                .map(|(id, _)| id),
            None => None,
        })
    }

    /// Moves a key under `expected` (or under none). Returns whether anything changed.
    async fn put_under_guardrail(
        &self,
        key: &TeamKey,
        expected: Option<&str>,
    ) -> Result<bool, TeamError> {
        if key.guardrail_id.as_deref() == expected {
            return Ok(false);
        }
        let hash = [KeyHash(key.hash.clone())];
        match (expected, &key.guardrail_id) {
            (Some(id), _) => {
                self.api.assign_keys(id, &hash).await?;
            }
            (None, Some(old)) => match self.api.unassign_keys(old, &hash).await {
                Ok(_) | Err(crate::openrouter::ApiError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            },
            (None, None) => {}
        }
        self.store.set_key_guardrail(&key.hash, expected).await?;
        Ok(true)
    }

    /// Where the guardrails at OpenRouter differ from the config, in words (for `check`).
    pub async fn guardrail_drift(&self) -> Result<Vec<String>, TeamError> {
        let existing = self.api.list_guardrails().await?;
        let mut drift = Vec::new();
        for tier in self.rules.tiers.all() {
            let Some(models) = &tier.allowed_models else {
                continue;
            };
            let recorded = self.store.tier_guardrail(tier.name.as_str()).await?;
            match self.find_guardrail(
                tier,
                recorded.as_ref().map(|(id, _)| id.as_str()),
                &existing,
            ) {
                None => drift.push(format!(
                    "tier {} has no guardrail yet ({} is created at start-up)",
                    tier.name,
                    self.guardrail_name(tier)
                )),
                Some(g) if !same_models(&g.allowed_models.clone().unwrap_or_default(), models) => {
                    drift.push(format!(
                        "the allowlist of tier {} differs from the config (updated at start-up)",
                        tier.name
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(drift)
    }
}
