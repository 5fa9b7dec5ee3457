//! A member's budget as they see it in /budget: limit, window, spend, what is left.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::digest::{ModelSpend, top_models_since};
use super::{Caller, DiscordId, Member, Team, TeamError, TeamKey, Tier};
use crate::domain::{KeyHash, Usage};
use crate::money::Usd;
use crate::reset::{BudgetWindow, LimitReset};

/// How fresh the figures are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Read from OpenRouter just now.
    Live,
    /// A gateway token's spend, summed from the gateway's ledger just now.
    Ledger,
    /// OpenRouter did not answer in time: the last stored figures, taken at this time.
    Stored(DateTime<Utc>),
}

/// One member's budget.
#[derive(Debug, Clone)]
pub struct BudgetStatus {
    pub member: Member,
    pub tier: Tier,
    pub key: TeamKey,
    pub limit: Option<Usd>,
    pub reset: LimitReset,
    pub window: BudgetWindow,
    pub usage: Usage,
    pub freshness: Freshness,
    /// The models of the window, biggest spend first (at most [`TOP_MODELS`]); `None` when
    /// their source (OpenRouter's activity, or the ledger) did not answer in time.
    pub top_models: Option<Vec<ModelSpend>>,
}

/// How many models `/budget` lists.
pub const TOP_MODELS: usize = 3;

impl BudgetStatus {
    /// Spend counted against the limit in the current window.
    pub fn spent(&self) -> Usd {
        self.usage.in_window(self.reset)
    }

    /// What is left before the limit, if there is one.
    pub fn remaining(&self) -> Option<Usd> {
        self.limit.map(|l| l.saturating_sub(self.spent()))
    }

    /// Share of the limit used, in whole percent.
    pub fn percent_used(&self) -> Option<i64> {
        self.limit.and_then(|l| self.spent().percent_of(l))
    }
}

impl Team {
    /// Fails unless the caller may see the budget of `user`: their own, or anyone's for admins.
    pub fn may_see_budget_of(&self, caller: &Caller, user: DiscordId) -> Result<(), TeamError> {
        if user == caller.id {
            return Ok(());
        }
        self.require_admin(caller)
            .map_err(|_| TeamError::user("Only team admins can see other members' budgets."))
    }

    /// The budget of the member linked to `user` (who holds `role_ids`), as `caller` may see it.
    /// Live figures are asked of OpenRouter for at most `live_timeout`; after that the last
    /// stored figures are shown with their time.
    pub async fn budget(
        &self,
        caller: &Caller,
        user: DiscordId,
        role_ids: &[u64],
        live_timeout: Duration,
    ) -> Result<BudgetStatus, TeamError> {
        self.may_see_budget_of(caller, user)?;
        let member = self.linked_member(user).await.map_err(|_| {
            TeamError::user(
                "You have no key yet, so there is no budget to show. Run /mykey to request one.",
            )
        })?;
        let key = self
            .store
            .keys_of_member(member.id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                TeamError::user(format!(
                    "{} has no key yet, so there is no budget to show. /mykey requests one.",
                    member.name
                ))
            })?;
        let tier = self
            .rules
            .tiers
            .effective(member.tier.as_deref(), role_ids)
            .clone();
        let hash = KeyHash(key.hash.clone());
        let (live, activity) = tokio::join!(
            tokio::time::timeout(live_timeout, self.api.get_key(&hash)),
            tokio::time::timeout(live_timeout, self.api.activity(Some(&hash))),
        );
        let (limit, reset, usage, freshness) = match live {
            Ok(Ok(api_key)) => (
                api_key.limit,
                api_key.limit_reset,
                api_key.usage,
                if key.is_gateway_token() {
                    Freshness::Ledger
                } else {
                    Freshness::Live
                },
            ),
            other => {
                if let Ok(Err(e)) = other {
                    tracing::warn!(error = %e, "live budget unavailable; showing stored figures");
                }
                (
                    key.limit,
                    key.reset,
                    key.usage,
                    Freshness::Stored(key.synced_at.unwrap_or(key.created_at)),
                )
            }
        };
        let window = reset.window_at(self.now());
        let top_models = match activity {
            Ok(Ok(rows)) => Some(top_models_since(
                &rows,
                window.start.date_naive(),
                TOP_MODELS,
            )),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the window's models are unavailable");
                None
            }
            Err(_) => None,
        };
        Ok(BudgetStatus {
            window,
            top_models,
            member,
            tier,
            key,
            limit,
            reset,
            usage,
            freshness,
        })
    }
}
