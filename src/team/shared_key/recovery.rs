//! No hold is left unsettled: a request whose answer never said what it cost is settled from
//! OpenRouter's `/generation` (retried, since a generation's record is not ready at once); a
//! hold that outlived its request (a task that died) is swept; and the holds of a gateway that
//! stopped without settling them (a crash, `kill -9`) are settled by the next one to start.

use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;

use super::{Hold, SharedKey};
use crate::domain::{CostSource, GatewayRequest};
use crate::money::NanoUsd;
use crate::store::StoreError;

/// What OpenRouter says a generation cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostLookup {
    Found {
        cost: NanoUsd,
        prompt_tokens: Option<u64>,
        completion_tokens: Option<u64>,
    },
    /// Not recorded yet (404 for a while after the request), or OpenRouter did not answer.
    NotYet,
}

/// OpenRouter's record of generations (`GET /generation?id=`).
#[async_trait]
pub trait GenerationCosts: Send + Sync {
    async fn cost_of(&self, generation_id: &str) -> CostLookup;
}

/// The waits between lookups of one generation: quick at first, as a record is usually ready
/// within seconds, then further apart; about two minutes in all.
const LOOKUP_WAITS_MS: [u64; 10] = [
    200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_000, 30_000, 40_000,
];

/// How often a running gateway says so; one silent for [`STALE_AFTER`] has stopped.
pub const BEAT_EVERY: Duration = Duration::from_secs(10);
pub const STALE_AFTER: TimeDelta = TimeDelta::seconds(45);

impl SharedKey {
    /// Settles `row` from `/generation`, waiting as long as the record takes to appear; a
    /// record that never appears charges the hold, an upper bound of the real cost.
    pub async fn settle_from_generation(
        &self,
        hold: Option<&Hold>,
        mut row: GatewayRequest,
        costs: &dyn GenerationCosts,
        waits: &[Duration],
    ) {
        let found = match row.generation_id.clone() {
            Some(id) => look_up(costs, &id, waits).await,
            None => None,
        };
        row.settled_at = Some(self.now());
        match found {
            Some(CostLookup::Found {
                cost,
                prompt_tokens,
                completion_tokens,
            }) => {
                row.cost = Some(cost);
                row.cost_source = Some(CostSource::Generation);
                row.prompt_tokens = row.prompt_tokens.or(prompt_tokens);
                row.completion_tokens = row.completion_tokens.or(completion_tokens);
            }
            _ => {
                tracing::warn!(request = %row.id, "OpenRouter never told a request's cost; its hold is charged");
                row.cost = Some(row.hold);
                row.cost_source = Some(CostSource::Hold);
            }
        }
        match hold {
            Some(hold) => self.settle(hold, row).await,
            None => self.record(row),
        }
    }

    /// The waits of a lookup that may take its time (a request's own settlement).
    pub fn patient_waits() -> Vec<Duration> {
        LOOKUP_WAITS_MS
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect()
    }

    /// Says this gateway is running.
    pub async fn beat(&self) -> Result<(), StoreError> {
        self.store
            .gateway_beat(&self.instance, self.started_at, self.now())
            .await
    }

    /// Settles the holds of gateways that stopped beating, then gives back what they leased
    /// beyond their spend. Returns how many holds were settled.
    pub async fn recover_stopped(
        &self,
        costs: &dyn GenerationCosts,
        waits: &[Duration],
    ) -> Result<usize, StoreError> {
        let stale_before = self.now() - STALE_AFTER;
        let orphans = self
            .store
            .orphaned_holds(&self.instance, stale_before)
            .await?;
        let count = orphans.len();
        for row in orphans {
            tracing::info!(request = %row.id, "settling a hold a stopped gateway left");
            self.settle_from_generation(None, row, costs, waits).await;
        }
        self.ledger.flush().await;
        self.store
            .release_stopped_instances(&self.instance, stale_before)
            .await?;
        Ok(count)
    }

    /// Settles this gateway's own holds that no running request owns any more and that began
    /// before `deadline` ago, and gives back idle leases. Returns how many holds were settled.
    pub async fn sweep(
        &self,
        costs: &dyn GenerationCosts,
        deadline: TimeDelta,
        waits: &[Duration],
    ) -> Result<usize, StoreError> {
        let now = self.now();
        self.ledger.flush().await;
        let overdue = self
            .store
            .overdue_holds(&self.instance, now - deadline)
            .await?;
        let mut settled = 0;
        for row in overdue {
            if self.is_running(&row.id) {
                continue;
            }
            self.settle_from_generation(None, row, costs, waits).await;
            settled += 1;
        }
        self.budgets
            .give_back_idle(now - TimeDelta::seconds(60), now)
            .await;
        Ok(settled)
    }

    /// On a clean stop: everything queued is written, and what this gateway leased beyond its
    /// spend is given back.
    pub async fn stop(&self) -> Result<(), StoreError> {
        self.ledger.flush().await;
        self.store.release_leases_of(&self.instance).await
    }
}

async fn look_up(costs: &dyn GenerationCosts, id: &str, waits: &[Duration]) -> Option<CostLookup> {
    match costs.cost_of(id).await {
        found @ CostLookup::Found { .. } => return Some(found),
        CostLookup::NotYet => {}
    }
    for wait in waits {
        tokio::time::sleep(*wait).await;
        match costs.cost_of(id).await {
            found @ CostLookup::Found { .. } => return Some(found),
            CostLookup::NotYet => {}
        }
    }
    None
}
