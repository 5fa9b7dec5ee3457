//! Usage snapshots: what every key had spent at each sync, written in one transaction per sync.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::rows::{get, get_time, secs};
use super::{Doing, Store, StoreError};
use crate::domain::{ApiKey, DaySpend, SnapshotRow, Usage};
use crate::money::Usd;
use crate::reset::LimitReset;

/// Rows per multi-row INSERT: SQLite looks bound parameters up by name one by one, so a statement
/// of thousands of them costs more to bind than to run; 50 rows (700 parameters) keep that small.
const BATCH: usize = 50;

/// What one sync wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSummary {
    pub keys: usize,
    /// Keys the bot knew that OpenRouter no longer lists.
    pub vanished: u64,
}

/// Reads a row of `usage_snapshots` (its key, time, counters and limit columns).
pub(super) fn snapshot_row(row: &sqlx::any::AnyRow) -> Result<SnapshotRow, StoreError> {
    Ok(SnapshotRow {
        key_hash: get(row, "key_hash")?,
        taken_at: get_time(row, "taken_at")?,
        usage: Usage {
            total: Usd::from_micros(get(row, "usage_micros")?),
            daily: Usd::from_micros(get(row, "usage_daily_micros")?),
            weekly: Usd::from_micros(get(row, "usage_weekly_micros")?),
            monthly: Usd::from_micros(get(row, "usage_monthly_micros")?),
        },
        limit: get::<Option<i64>>(row, "limit_micros")?.map(Usd::from_micros),
    })
}

/// `($1, $2, ...), ($n, ...)` for `rows` rows of `columns` values.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let values: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Gives every live gateway token its spend from the ledger, as OpenRouter gives a key its usage
/// (total, and since UTC midnight, Monday and the 1st), and a snapshot of it, so budget alerts,
/// spikes and the digest read both kinds alike. A settled cost in nano-dollars is rounded up to
/// the micro-dollar, so a cheap request never counts as free.
async fn record_gateway_usage(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let taken_at = secs(now);
    let since = |reset: LimitReset| secs(reset.window_at(now).start);
    let micros = |column: &str| {
        format!(
            "CAST((COALESCE(SUM(CASE WHEN {column} THEN r.cost_nanos ELSE 0 END), 0) + 999) / 1000 AS BIGINT)"
        )
    };
    let sql = format!(
        "SELECT k.hash, k.limit_micros, {} AS total, {} AS daily, {} AS weekly, {} AS monthly \
         FROM keys k LEFT JOIN gateway_requests r ON r.key_hash = k.hash AND r.status = 'settled' \
         WHERE k.access = 'gateway' AND k.deleted_at IS NULL GROUP BY k.hash, k.limit_micros",
        micros("r.started_at IS NOT NULL"),
        micros("r.started_at >= $1"),
        micros("r.started_at >= $2"),
        micros("r.started_at >= $3"),
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(since(LimitReset::Daily))
        .bind(since(LimitReset::Weekly))
        .bind(since(LimitReset::Monthly))
        .fetch_all(&mut **tx)
        .await
        .doing("summing gateway spend")?;
    for row in &rows {
        let hash: String = get(row, "hash")?;
        let limit: Option<i64> = get(row, "limit_micros")?;
        let [total, daily, weekly, monthly]: [i64; 4] = [
            get(row, "total")?,
            get(row, "daily")?,
            get(row, "weekly")?,
            get(row, "monthly")?,
        ];
        sqlx::query(
            "UPDATE keys SET usage_micros = $1, usage_daily_micros = $2, usage_weekly_micros = $3, \
             usage_monthly_micros = $4, synced_at = $5 WHERE hash = $6",
        )
        .bind(total)
        .bind(daily)
        .bind(weekly)
        .bind(monthly)
        .bind(taken_at)
        .bind(hash.as_str())
        .execute(&mut **tx)
        .await
        .doing("storing gateway spend")?;
        sqlx::query(
            "INSERT INTO usage_snapshots (key_hash, taken_at, usage_micros, usage_daily_micros, \
             usage_weekly_micros, usage_monthly_micros, limit_micros) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash.as_str())
        .bind(taken_at)
        .bind(total)
        .bind(daily)
        .bind(weekly)
        .bind(monthly)
        .bind(limit)
        .execute(&mut **tx)
        .await
        .doing("storing gateway snapshots")?;
    }
    Ok(())
}

impl Store {
    /// Stores one sync: every listed key is upserted and gets a snapshot, and known keys that
    /// OpenRouter no longer lists are marked deleted, all in one transaction, so a failure
    /// leaves the previous sync intact.
    pub async fn record_sync(
        &self,
        keys: &[ApiKey],
        now: DateTime<Utc>,
    ) -> Result<SyncSummary, StoreError> {
        let mut tx = self
            .pool()
            .begin()
            .await
            .doing("starting a sync transaction")?;
        let taken_at = secs(now);
        let known: Vec<String> =
            sqlx::query_scalar("SELECT hash FROM keys WHERE deleted_at IS NULL AND access = 'key'")
                .fetch_all(&mut *tx)
                .await
                .doing("reading the known keys")?;
        for chunk in keys.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO keys (hash, name, label, workspace_id, disabled, limit_micros, limit_reset, \
                 usage_micros, usage_daily_micros, usage_weekly_micros, usage_monthly_micros, \
                 created_at, expires_at, synced_at) VALUES {} \
                 ON CONFLICT (hash) DO UPDATE SET name = excluded.name, label = excluded.label, \
                 workspace_id = excluded.workspace_id, disabled = excluded.disabled, \
                 limit_micros = excluded.limit_micros, limit_reset = excluded.limit_reset, \
                 usage_micros = excluded.usage_micros, usage_daily_micros = excluded.usage_daily_micros, \
                 usage_weekly_micros = excluded.usage_weekly_micros, \
                 usage_monthly_micros = excluded.usage_monthly_micros, expires_at = excluded.expires_at, \
                 synced_at = excluded.synced_at, deleted_at = NULL",
                placeholders(chunk.len(), 14)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for key in chunk {
                query = query
                    .bind(key.hash.as_str())
                    .bind(key.name.as_str())
                    .bind(key.label.as_str())
                    .bind(key.workspace_id.as_deref())
                    .bind(key.disabled)
                    .bind(key.limit.map(Usd::micros))
                    .bind(key.limit_reset.as_str())
                    .bind(key.usage.total.micros())
                    .bind(key.usage.daily.micros())
                    .bind(key.usage.weekly.micros())
                    .bind(key.usage.monthly.micros())
                    .bind(secs(key.created_at))
                    .bind(key.expires_at.map(secs))
                    .bind(taken_at);
            }
            query.execute(&mut *tx).await.doing("storing synced keys")?;

            let sql = format!(
                "INSERT INTO usage_snapshots (key_hash, taken_at, usage_micros, usage_daily_micros, \
                 usage_weekly_micros, usage_monthly_micros, limit_micros) VALUES {}",
                placeholders(chunk.len(), 7)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for key in chunk {
                query = query
                    .bind(key.hash.as_str())
                    .bind(taken_at)
                    .bind(key.usage.total.micros())
                    .bind(key.usage.daily.micros())
                    .bind(key.usage.weekly.micros())
                    .bind(key.usage.monthly.micros())
                    .bind(key.limit.map(Usd::micros));
            }
            query
                .execute(&mut *tx)
                .await
                .doing("storing usage snapshots")?;
        }
        // Known keys that were not listed are gone at OpenRouter. Told apart by hash, not by
        // sync time, which has whole seconds: two syncs within a second must see a key vanish.
        let listed: HashSet<&str> = keys.iter().map(|k| k.hash.as_str()).collect();
        let gone: Vec<&str> = known
            .iter()
            .map(String::as_str)
            .filter(|hash| !listed.contains(hash))
            .collect();
        let mut vanished = 0;
        for chunk in gone.chunks(BATCH) {
            let hashes: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!(
                "UPDATE keys SET deleted_at = $1 WHERE deleted_at IS NULL AND hash IN ({})",
                hashes.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(taken_at);
            for hash in chunk {
                query = query.bind(*hash);
            }
            vanished += query
                .execute(&mut *tx)
                .await
                .doing("marking vanished keys")?
                .rows_affected();
        }
        record_gateway_usage(&mut tx, now).await?;
        tx.commit().await.doing("committing a sync")?;
        Ok(SyncSummary {
            keys: keys.len(),
            vanished,
        })
    }

    /// Thins snapshots older than `cutoff` to the last one per key per UTC day.
    pub async fn prune_snapshots(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "DELETE FROM usage_snapshots WHERE taken_at < $1 AND id NOT IN ( \
             SELECT MAX(id) FROM usage_snapshots WHERE taken_at < $1 \
             GROUP BY key_hash, taken_at / 86400)",
        )
        .bind(secs(cutoff))
        .execute(self.pool())
        .await
        .doing("pruning usage snapshots")?;
        Ok(result.rows_affected())
    }

    /// Snapshots taken in `[from, to)`, by key then time.
    pub async fn snapshots_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SnapshotRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT key_hash, taken_at, usage_micros, usage_daily_micros, usage_weekly_micros, \
             usage_monthly_micros, limit_micros FROM usage_snapshots \
             WHERE taken_at >= $1 AND taken_at < $2 ORDER BY key_hash, taken_at",
        )
        .bind(secs(from))
        .bind(secs(to))
        .fetch_all(self.pool())
        .await
        .doing("reading usage snapshots")?;
        rows.iter().map(snapshot_row).collect()
    }

    /// The snapshots of the last sync before `sync`: each key's reading one sync back.
    pub async fn snapshots_of_previous_sync(
        &self,
        sync: DateTime<Utc>,
    ) -> Result<Vec<SnapshotRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT key_hash, taken_at, usage_micros, usage_daily_micros, usage_weekly_micros, \
             usage_monthly_micros, limit_micros FROM usage_snapshots \
             WHERE taken_at = (SELECT MAX(taken_at) FROM usage_snapshots WHERE taken_at < $1)",
        )
        .bind(secs(sync))
        .fetch_all(self.pool())
        .await
        .doing("reading the previous sync's snapshots")?;
        rows.iter().map(snapshot_row).collect()
    }

    /// How many snapshots are stored.
    pub async fn snapshot_count(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM usage_snapshots")
            .fetch_one(self.pool())
            .await
            .doing("counting usage snapshots")
    }
}

impl Store {
    /// Each key's spend per UTC day from the day containing `from` on.
    pub async fn daily_spend_since(
        &self,
        from: DateTime<Utc>,
    ) -> Result<Vec<DaySpend>, StoreError> {
        let day_start = secs(from).div_euclid(86_400) * 86_400;
        let rows = sqlx::query(
            "SELECT key_hash, taken_at / 86400 AS day, MAX(usage_daily_micros) AS spent \
             FROM usage_snapshots WHERE taken_at >= $1 GROUP BY key_hash, taken_at / 86400",
        )
        .bind(day_start)
        .fetch_all(self.pool())
        .await
        .doing("reading daily spend")?;
        rows.iter()
            .map(|row| {
                Ok(DaySpend {
                    key_hash: get(row, "key_hash")?,
                    day: get(row, "day")?,
                    spent: Usd::from_micros(get(row, "spent")?),
                })
            })
            .collect()
    }

    /// Forgets runs of frequent jobs older than `cutoff` (weekly runs are kept).
    pub async fn prune_job_runs(
        &self,
        jobs: &[&str],
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut removed = 0;
        for job in jobs {
            removed += sqlx::query("DELETE FROM job_runs WHERE job = $1 AND claimed_at < $2")
                .bind(*job)
                .bind(secs(cutoff))
                .execute(self.pool())
                .await
                .doing("pruning job runs")?
                .rows_affected();
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_every_value() {
        assert_eq!(super::placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
