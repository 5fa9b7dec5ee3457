//! The gateway's ledger, its budget leases and its instances' heartbeats.
//!
//! The ledger is written in batches by one writer: each batch is one transaction of upserts, and
//! a settled row is never turned back into a held one, so a row written twice (by a batch retried
//! after a crash, or by recovery) is settled once.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::rows::{get, get_bool, get_opt_time, get_time, secs};
use super::{Doing, Store, StoreError};
use crate::domain::{CostSource, GatewayRequest, Outcome, Usage};
use crate::money::{NanoUsd, Usd};
use crate::reset::LimitReset;

/// Rows per multi-row upsert (19 values each). SQLite looks a parameter up by a linear scan, so
/// a statement's binding cost grows with the square of its size: it takes few rows at a time.
/// PostgreSQL pays a round trip per statement instead, so it takes many.
const SQLITE_BATCH: usize = 8;
const POSTGRES_BATCH: usize = 100;

const COLUMNS: &str = "id, key_hash, member_id, tier, requested_model, served_model, outcome, \
     status, hold_nanos, cost_nanos, cost_source, prompt_tokens, completion_tokens, generation_id, \
     http_status, streamed, instance, started_at, settled_at";

/// A token's spend in a window, as the ledger has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedgerSpend {
    /// Settled costs.
    pub settled: NanoUsd,
    /// Holds of requests still running (or orphaned by a stopped gateway).
    pub held: NanoUsd,
}

/// One day and model of a token's settled spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerActivity {
    /// The UTC day's midnight.
    pub day: DateTime<Utc>,
    pub model: String,
    pub spent: NanoUsd,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// What [`Store::grab_lease`] granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// What this instance may spend of the window now, in all.
    pub amount: NanoUsd,
    /// What the other instances' leases take of it.
    pub others: NanoUsd,
}

fn ledger_row(row: &AnyRow) -> Result<GatewayRequest, StoreError> {
    let outcome: String = get(row, "outcome")?;
    let source: Option<String> = get(row, "cost_source")?;
    let status: String = get(row, "status")?;
    let cost: Option<i64> = get(row, "cost_nanos")?;
    Ok(GatewayRequest {
        id: get(row, "id")?,
        key_hash: get(row, "key_hash")?,
        member_id: get(row, "member_id")?,
        tier: get(row, "tier")?,
        requested_model: get(row, "requested_model")?,
        served_model: get(row, "served_model")?,
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("outcome {outcome:?}")))?,
        hold: NanoUsd::from_nanos(get(row, "hold_nanos")?),
        cost: cost
            .filter(|_| status == "settled")
            .map(NanoUsd::from_nanos),
        cost_source: source.as_deref().and_then(CostSource::parse),
        prompt_tokens: get::<Option<i64>>(row, "prompt_tokens")?.map(|t| t.max(0) as u64),
        completion_tokens: get::<Option<i64>>(row, "completion_tokens")?.map(|t| t.max(0) as u64),
        generation_id: get(row, "generation_id")?,
        http_status: get::<Option<i32>>(row, "http_status")?.map(|s| s.clamp(0, 999) as u16),
        streamed: get_bool(row, "streamed")?,
        instance: get(row, "instance")?,
        started_at: get_time(row, "started_at")?,
        settled_at: get_opt_time(row, "settled_at")?,
    })
}

fn tokens(count: Option<u64>) -> Option<i64> {
    count.map(|t| i64::try_from(t).unwrap_or(i64::MAX))
}

impl Store {
    fn ledger_batch(&self) -> usize {
        match self.backend() {
            super::Backend::Sqlite => SQLITE_BATCH,
            super::Backend::Postgres => POSTGRES_BATCH,
        }
    }

    /// Writes a batch of ledger rows in one transaction: new rows are inserted, held rows take
    /// their newer state, settled rows stay as they are. Each id must appear once.
    pub async fn write_ledger(&self, rows: &[GatewayRequest]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.doing("starting a ledger batch")?;
        for chunk in rows.chunks(self.ledger_batch()) {
            let sql = format!(
                "INSERT INTO gateway_requests ({COLUMNS}) VALUES {} \
                 ON CONFLICT (id) DO UPDATE SET served_model = excluded.served_model, \
                 outcome = excluded.outcome, status = excluded.status, \
                 hold_nanos = excluded.hold_nanos, cost_nanos = excluded.cost_nanos, \
                 cost_source = excluded.cost_source, prompt_tokens = excluded.prompt_tokens, \
                 completion_tokens = excluded.completion_tokens, \
                 generation_id = COALESCE(excluded.generation_id, gateway_requests.generation_id), \
                 http_status = excluded.http_status, settled_at = excluded.settled_at \
                 WHERE gateway_requests.status = 'held'",
                super::usage::placeholders(chunk.len(), 19)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                query = query
                    .bind(row.id.as_str())
                    .bind(row.key_hash.as_str())
                    .bind(row.member_id)
                    .bind(row.tier.as_str())
                    .bind(row.requested_model.as_str())
                    .bind(row.served_model.as_str())
                    .bind(row.outcome.as_str())
                    .bind(if row.is_settled() { "settled" } else { "held" })
                    .bind(row.hold.nanos())
                    .bind(row.cost.map(NanoUsd::nanos))
                    .bind(row.cost_source.map(CostSource::as_str))
                    .bind(tokens(row.prompt_tokens))
                    .bind(tokens(row.completion_tokens))
                    .bind(row.generation_id.as_deref())
                    .bind(row.http_status.map(i32::from))
                    .bind(row.streamed)
                    .bind(row.instance.as_str())
                    .bind(secs(row.started_at))
                    .bind(row.settled_at.map(secs));
            }
            query.execute(&mut *tx).await.doing("writing ledger rows")?;
        }
        tx.commit().await.doing("committing a ledger batch")
    }

    /// A ledger row by the gateway's request id.
    pub async fn ledger_row(&self, id: &str) -> Result<Option<GatewayRequest>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM gateway_requests WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .doing("reading a ledger row")?;
        row.as_ref().map(ledger_row).transpose()
    }

    /// A token's ledger rows since `since`, oldest first.
    pub async fn ledger_of_key(
        &self,
        key_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<GatewayRequest>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM gateway_requests WHERE key_hash = $1 AND started_at >= $2 \
             ORDER BY started_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key_hash)
            .bind(secs(since))
            .fetch_all(self.pool())
            .await
            .doing("reading a token's ledger")?;
        rows.iter().map(ledger_row).collect()
    }

    /// A token's settled and held spend since `since`.
    pub async fn ledger_spend(
        &self,
        key_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<LedgerSpend, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'settled' THEN cost_nanos ELSE 0 END), 0) AS BIGINT) AS settled, \
             CAST(COALESCE(SUM(CASE WHEN status = 'held' THEN hold_nanos ELSE 0 END), 0) AS BIGINT) AS held \
             FROM gateway_requests WHERE key_hash = $1 AND started_at >= $2",
        )
        .bind(key_hash)
        .bind(secs(since))
        .fetch_one(self.pool())
        .await
        .doing("summing a token's spend")?;
        Ok(LedgerSpend {
            settled: NanoUsd::from_nanos(get(&row, "settled")?),
            held: NanoUsd::from_nanos(get(&row, "held")?),
        })
    }

    /// A token's spend as OpenRouter reports a key's: in all, and since UTC midnight, Monday and
    /// the 1st, each rounded up to the micro-dollar.
    pub async fn ledger_usage(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Usage, StoreError> {
        let since = |reset: LimitReset| secs(reset.window_at(now).start);
        let micros = |from: &str| {
            format!(
                "CAST((COALESCE(SUM(CASE WHEN started_at >= {from} THEN cost_nanos ELSE 0 END), 0) + 999) / 1000 AS BIGINT)"
            )
        };
        let sql = format!(
            "SELECT {} AS total, {} AS daily, {} AS weekly, {} AS monthly FROM gateway_requests \
             WHERE key_hash = $4 AND status = 'settled'",
            micros("0"),
            micros("$1"),
            micros("$2"),
            micros("$3")
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since(LimitReset::Daily))
            .bind(since(LimitReset::Weekly))
            .bind(since(LimitReset::Monthly))
            .bind(key_hash)
            .fetch_one(self.pool())
            .await
            .doing("summing a token's usage")?;
        Ok(Usage {
            total: Usd::from_micros(get(&row, "total")?),
            daily: Usd::from_micros(get(&row, "daily")?),
            weekly: Usd::from_micros(get(&row, "weekly")?),
            monthly: Usd::from_micros(get(&row, "monthly")?),
        })
    }

    /// A token's settled spend per UTC day and served model since `since`, as OpenRouter's
    /// activity reports a key's: (day `YYYY-MM-DD`, model, cost, requests, input and output tokens).
    pub async fn ledger_activity(
        &self,
        key_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<LedgerActivity>, StoreError> {
        let rows = sqlx::query(
            "SELECT started_at - (started_at % 86400) AS day, served_model, \
             CAST(SUM(cost_nanos) AS BIGINT) AS spent, CAST(COUNT(*) AS BIGINT) AS requests, \
             CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT) AS prompt, \
             CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT) AS completion \
             FROM gateway_requests WHERE key_hash = $1 AND started_at >= $2 AND status = 'settled' \
             AND cost_nanos > 0 GROUP BY started_at - (started_at % 86400), served_model \
             ORDER BY day, served_model",
        )
        .bind(key_hash)
        .bind(secs(since))
        .fetch_all(self.pool())
        .await
        .doing("reading a token's activity")?;
        rows.iter()
            .map(|row| {
                Ok(LedgerActivity {
                    day: super::rows::time(get(row, "day")?),
                    model: get(row, "served_model")?,
                    spent: NanoUsd::from_nanos(get(row, "spent")?),
                    requests: get(row, "requests")?,
                    prompt_tokens: get(row, "prompt")?,
                    completion_tokens: get(row, "completion")?,
                })
            })
            .collect()
    }

    /// Settled spend per served model of a token since `since`, largest first.
    pub async fn ledger_models(
        &self,
        key_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, NanoUsd)>, StoreError> {
        let rows = sqlx::query(
            "SELECT served_model, CAST(SUM(cost_nanos) AS BIGINT) AS spent FROM gateway_requests \
             WHERE key_hash = $1 AND started_at >= $2 AND status = 'settled' AND cost_nanos > 0 \
             GROUP BY served_model ORDER BY spent DESC, served_model",
        )
        .bind(key_hash)
        .bind(secs(since))
        .fetch_all(self.pool())
        .await
        .doing("reading a token's models")?;
        rows.iter()
            .map(|row| {
                Ok((
                    get(row, "served_model")?,
                    NanoUsd::from_nanos(get(row, "spent")?),
                ))
            })
            .collect()
    }

    /// Held rows of gateway instances other than `instance` that last beat before
    /// `stale_before` (or never): holds a stopped gateway left, to be settled by another.
    pub async fn orphaned_holds(
        &self,
        instance: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<Vec<GatewayRequest>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM gateway_requests r WHERE status = 'held' AND instance <> $1 \
             AND NOT EXISTS (SELECT 1 FROM gateway_instances i WHERE i.instance = r.instance \
             AND i.beat_at >= $2) ORDER BY started_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(instance)
            .bind(secs(stale_before))
            .fetch_all(self.pool())
            .await
            .doing("reading orphaned holds")?;
        rows.iter().map(ledger_row).collect()
    }

    /// This instance's own held rows that started before `before`: requests past the sweeper's
    /// deadline.
    pub async fn overdue_holds(
        &self,
        instance: &str,
        before: DateTime<Utc>,
    ) -> Result<Vec<GatewayRequest>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM gateway_requests WHERE status = 'held' AND instance = $1 \
             AND started_at < $2 ORDER BY started_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(instance)
            .bind(secs(before))
            .fetch_all(self.pool())
            .await
            .doing("reading overdue holds")?;
        rows.iter().map(ledger_row).collect()
    }

    /// Records that `instance` is running, as of `now`.
    pub async fn gateway_beat(
        &self,
        instance: &str,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO gateway_instances (instance, started_at, beat_at) VALUES ($1, $2, $3) \
             ON CONFLICT (instance) DO UPDATE SET beat_at = excluded.beat_at",
        )
        .bind(instance)
        .bind(secs(started_at))
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("recording the gateway's heartbeat")?;
        Ok(())
    }

    /// Settles the books of instances that stopped without a clean stop, and forgets them;
    /// `instance` is the caller, never touched. Their leases are not given back: a request
    /// they forwarded in their last moment may have a row that never reached the database, and
    /// its cost must still count against the budget. A lease is only raised, to what the
    /// instance's rows account for, and ends with its window.
    pub async fn release_stopped_instances(
        &self,
        instance: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self
            .pool()
            .begin()
            .await
            .doing("starting a lease release")?;
        let stopped: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT l.instance FROM gateway_leases l WHERE l.instance <> $1 \
             AND NOT EXISTS (SELECT 1 FROM gateway_instances i WHERE i.instance = l.instance \
             AND i.beat_at >= $2) \
             AND NOT EXISTS (SELECT 1 FROM gateway_requests r WHERE r.instance = l.instance \
             AND r.status = 'held')",
        )
        .bind(instance)
        .bind(secs(stale_before))
        .fetch_all(&mut *tx)
        .await
        .doing("finding stopped gateways")?;
        for gone in &stopped {
            settle_leases(&mut tx, gone, Release::KeepReserved).await?;
            sqlx::query("DELETE FROM gateway_instances WHERE instance = $1")
                .bind(gone.as_str())
                .execute(&mut *tx)
                .await
                .doing("forgetting a stopped gateway")?;
        }
        tx.commit().await.doing("committing a lease release")?;
        Ok(stopped.len() as u64)
    }

    /// On a clean stop: this instance's leases shrink to what its requests spent.
    pub async fn release_leases_of(&self, instance: &str) -> Result<(), StoreError> {
        let mut tx = self
            .pool()
            .begin()
            .await
            .doing("starting a lease release")?;
        settle_leases(&mut tx, instance, Release::GiveBack).await?;
        sqlx::query("DELETE FROM gateway_instances WHERE instance = $1")
            .bind(instance)
            .execute(&mut *tx)
            .await
            .doing("forgetting a stopped gateway")?;
        tx.commit().await.doing("committing a lease release")
    }

    /// Takes up to `want` more of a token's window for `instance`, never letting the instances'
    /// leases together pass `limit`. The lease rows of the token are locked while it decides, so
    /// two gateways never both take the last of a budget.
    pub async fn grab_lease(
        &self,
        key_hash: &str,
        window_start: DateTime<Utc>,
        instance: &str,
        limit: NanoUsd,
        want: NanoUsd,
        now: DateTime<Utc>,
    ) -> Result<Lease, StoreError> {
        let mut tx = self.pool().begin().await.doing("starting a lease")?;
        // Every grab for a token first locks the same row, so two gateways never decide at once:
        // PostgreSQL locks the token's row, SQLite's first write takes its one writer's lock.
        match self.backend() {
            super::Backend::Postgres => {
                sqlx::query("SELECT hash FROM keys WHERE hash = $1 FOR UPDATE")
                    .bind(key_hash)
                    .fetch_optional(&mut *tx)
                    .await
                    .doing("locking a token for its lease")?;
            }
            super::Backend::Sqlite => {
                sqlx::query("UPDATE keys SET hash = hash WHERE hash = $1")
                    .bind(key_hash)
                    .execute(&mut *tx)
                    .await
                    .doing("locking a token for its lease")?;
            }
        }
        let rows = sqlx::query(
            "SELECT instance, amount_nanos FROM gateway_leases WHERE key_hash = $1 \
             AND window_start = $2",
        )
        .bind(key_hash)
        .bind(secs(window_start))
        .fetch_all(&mut *tx)
        .await
        .doing("reading a token's leases")?;
        let mut mine = 0i64;
        let mut others = 0i64;
        for row in &rows {
            let owner: String = get(row, "instance")?;
            let amount: i64 = get(row, "amount_nanos")?;
            if owner == instance {
                mine = amount;
            } else {
                others = others.saturating_add(amount);
            }
        }
        let free = limit.nanos().saturating_sub(others).saturating_sub(mine);
        let granted = want.nanos().min(free).max(0);
        let amount = mine.saturating_add(granted);
        sqlx::query(
            "INSERT INTO gateway_leases (key_hash, window_start, instance, amount_nanos, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_hash, window_start, instance) \
             DO UPDATE SET amount_nanos = excluded.amount_nanos, updated_at = excluded.updated_at",
        )
        .bind(key_hash)
        .bind(secs(window_start))
        .bind(instance)
        .bind(amount)
        .bind(secs(now))
        .execute(&mut *tx)
        .await
        .doing("taking a lease")?;
        tx.commit().await.doing("committing a lease")?;
        Ok(Lease {
            amount: NanoUsd::from_nanos(amount),
            others: NanoUsd::from_nanos(others),
        })
    }

    /// Sets this instance's lease of a window to `amount`: down to what it spent and holds when
    /// it gives the rest back, up when a request cost more than its hold.
    pub async fn set_lease(
        &self,
        key_hash: &str,
        window_start: DateTime<Utc>,
        instance: &str,
        amount: NanoUsd,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO gateway_leases (key_hash, window_start, instance, amount_nanos, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_hash, window_start, instance) \
             DO UPDATE SET amount_nanos = excluded.amount_nanos, updated_at = excluded.updated_at",
        )
        .bind(key_hash)
        .bind(secs(window_start))
        .bind(instance)
        .bind(amount.nanos())
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("setting a lease")?;
        Ok(())
    }

    /// Forgets leases of windows that ended before `before`.
    pub async fn prune_leases(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM gateway_leases WHERE window_start < $1")
            .bind(secs(before))
            .execute(self.pool())
            .await
            .doing("pruning old leases")?;
        Ok(result.rows_affected())
    }
}

/// Shrinks every lease of `instance` to what its ledger rows in that window cost (holds still
/// open count at their hold).
/// What happens to an instance's leases beyond what its rows account for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Release {
    /// A clean stop: every row is written, so the rest goes back to the window.
    GiveBack,
    /// A crash: rows may be missing, so the rest stays reserved until the window ends.
    KeepReserved,
}

async fn settle_leases(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    instance: &str,
    release: Release,
) -> Result<(), StoreError> {
    const ACCOUNTED: &str = "(SELECT CAST(COALESCE(SUM(CASE WHEN r.status = 'settled' \
         THEN r.cost_nanos ELSE r.hold_nanos END), 0) AS BIGINT) FROM gateway_requests r \
         WHERE r.key_hash = gateway_leases.key_hash AND r.instance = gateway_leases.instance \
         AND r.started_at >= gateway_leases.window_start)";
    let sql = match release {
        Release::GiveBack => {
            format!("UPDATE gateway_leases SET amount_nanos = {ACCOUNTED} WHERE instance = $1")
        }
        Release::KeepReserved => format!(
            "UPDATE gateway_leases SET amount_nanos = {ACCOUNTED} WHERE instance = $1 \
             AND amount_nanos < {ACCOUNTED}"
        ),
    };
    // Both statements are built from the constants above only.
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(instance)
        .execute(&mut **tx)
        .await
        .doing("releasing a gateway's leases")?;
    Ok(())
}
