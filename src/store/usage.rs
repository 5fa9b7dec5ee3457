//! Usage snapshots: what every key had spent at each sync, written in one transaction per sync.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::bulk::{ROWS_PER_STATEMENT, Sql, json, rows_of, strings_of};
use super::rows::{get, get_time, secs};
use super::{Backend, Doing, Store, StoreError};
use crate::domain::{ApiKey, DaySpend, SnapshotRow, Usage};
use crate::money::Usd;
use crate::reset::LimitReset;

/// A key's columns in `keys`, as [`key_row`] gives them.
const KEY_COLUMNS: &[(&str, Sql)] = &[
    ("hash", Sql::Text),
    ("name", Sql::Text),
    ("label", Sql::Text),
    ("workspace_id", Sql::Text),
    ("disabled", Sql::Bool),
    ("limit_micros", Sql::BigInt),
    ("limit_reset", Sql::Text),
    ("usage_micros", Sql::BigInt),
    ("usage_daily_micros", Sql::BigInt),
    ("usage_weekly_micros", Sql::BigInt),
    ("usage_monthly_micros", Sql::BigInt),
    ("created_at", Sql::BigInt),
    ("expires_at", Sql::BigInt),
    ("synced_at", Sql::BigInt),
];

type KeyRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    bool,
    Option<i64>,
    &'a str,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
);

fn key_row(key: &ApiKey, synced_at: i64) -> KeyRow<'_> {
    let usage = &key.usage;
    (
        key.hash.as_str(),
        key.name.as_str(),
        key.label.as_str(),
        key.workspace_id.as_deref(),
        key.disabled,
        key.limit.map(Usd::micros),
        key.limit_reset.as_str(),
        usage.total.micros(),
        usage.daily.micros(),
        usage.weekly.micros(),
        usage.monthly.micros(),
        secs(key.created_at),
        key.expires_at.map(secs),
        synced_at,
    )
}

/// A snapshot's values: key, time, the four usage counters and the limit (a flat JSON array).
type SnapshotValues<'a> = (&'a str, i64, i64, i64, i64, i64, Option<i64>);

fn snapshot_values(
    hash: &str,
    taken_at: i64,
    [total, daily, weekly, monthly]: [i64; 4],
    limit: Option<i64>,
) -> SnapshotValues<'_> {
    (hash, taken_at, total, daily, weekly, monthly, limit)
}

/// A gateway token's spend: its hash, the four counters and its limit.
type SpendRow = (String, [i64; 4], Option<i64>);

/// The statement inserting a batch of [`SnapshotValues`].
fn snapshots_insert(backend: Backend) -> String {
    format!(
        "INSERT INTO usage_snapshots (key_hash, taken_at, usage_micros, usage_daily_micros, \
         usage_weekly_micros, usage_monthly_micros, limit_micros) {}",
        rows_of(
            backend,
            1,
            &[
                ("key_hash", Sql::Text),
                ("taken_at", Sql::BigInt),
                ("usage_micros", Sql::BigInt),
                ("usage_daily_micros", Sql::BigInt),
                ("usage_weekly_micros", Sql::BigInt),
                ("usage_monthly_micros", Sql::BigInt),
                ("limit_micros", Sql::BigInt),
            ]
        )
    )
}

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
    backend: Backend,
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
    let mut spends: Vec<SpendRow> = Vec::with_capacity(rows.len());
    for row in &rows {
        spends.push((
            get(row, "hash")?,
            [
                get(row, "total")?,
                get(row, "daily")?,
                get(row, "weekly")?,
                get(row, "monthly")?,
            ],
            get(row, "limit_micros")?,
        ));
    }
    let update = format!(
        "UPDATE keys SET usage_micros = s.total, usage_daily_micros = s.daily, \
         usage_weekly_micros = s.weekly, usage_monthly_micros = s.monthly, synced_at = $2 \
         FROM ({}) AS s WHERE keys.hash = s.hash",
        rows_of(
            backend,
            1,
            &[
                ("hash", Sql::Text),
                ("total", Sql::BigInt),
                ("daily", Sql::BigInt),
                ("weekly", Sql::BigInt),
                ("monthly", Sql::BigInt),
            ]
        )
    );
    let insert_snapshots = snapshots_insert(backend);
    for chunk in spends.chunks(ROWS_PER_STATEMENT) {
        let spent: Vec<(&str, i64, i64, i64, i64)> = chunk
            .iter()
            .map(|(hash, [total, daily, weekly, monthly], _)| {
                (hash.as_str(), *total, *daily, *weekly, *monthly)
            })
            .collect();
        sqlx::query(sqlx::AssertSqlSafe(update.as_str()))
            .bind(json(&spent)?)
            .bind(taken_at)
            .execute(&mut **tx)
            .await
            .doing("storing gateway spend")?;
        let snapshots: Vec<SnapshotValues> = chunk
            .iter()
            .map(|(hash, usage, limit)| snapshot_values(hash, taken_at, *usage, *limit))
            .collect();
        sqlx::query(sqlx::AssertSqlSafe(insert_snapshots.as_str()))
            .bind(json(&snapshots)?)
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
        let backend = self.backend();
        let upsert = format!(
            "INSERT INTO keys (hash, name, label, workspace_id, disabled, limit_micros, limit_reset, \
             usage_micros, usage_daily_micros, usage_weekly_micros, usage_monthly_micros, \
             created_at, expires_at, synced_at) {} \
             ON CONFLICT (hash) DO UPDATE SET name = excluded.name, label = excluded.label, \
             workspace_id = excluded.workspace_id, disabled = excluded.disabled, \
             limit_micros = excluded.limit_micros, limit_reset = excluded.limit_reset, \
             usage_micros = excluded.usage_micros, usage_daily_micros = excluded.usage_daily_micros, \
             usage_weekly_micros = excluded.usage_weekly_micros, \
             usage_monthly_micros = excluded.usage_monthly_micros, expires_at = excluded.expires_at, \
             synced_at = excluded.synced_at, deleted_at = NULL",
            rows_of(backend, 1, KEY_COLUMNS)
        );
        let insert_snapshots = snapshots_insert(backend);
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<KeyRow> = chunk.iter().map(|key| key_row(key, taken_at)).collect();
            sqlx::query(sqlx::AssertSqlSafe(upsert.as_str()))
                .bind(json(&rows)?)
                .execute(&mut *tx)
                .await
                .doing("storing synced keys")?;
            let snapshots: Vec<SnapshotValues> = chunk
                .iter()
                .map(|key| {
                    let usage = &key.usage;
                    snapshot_values(
                        key.hash.as_str(),
                        taken_at,
                        [usage.total, usage.daily, usage.weekly, usage.monthly].map(Usd::micros),
                        key.limit.map(Usd::micros),
                    )
                })
                .collect();
            sqlx::query(sqlx::AssertSqlSafe(insert_snapshots.as_str()))
                .bind(json(&snapshots)?)
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
        let mark_gone = format!(
            "UPDATE keys SET deleted_at = $1 WHERE deleted_at IS NULL AND hash IN ({})",
            strings_of(backend, 2)
        );
        let mut vanished = 0;
        for chunk in gone.chunks(ROWS_PER_STATEMENT) {
            vanished += sqlx::query(sqlx::AssertSqlSafe(mark_gone.as_str()))
                .bind(taken_at)
                .bind(json(chunk)?)
                .execute(&mut *tx)
                .await
                .doing("marking vanished keys")?
                .rows_affected();
        }
        record_gateway_usage(&mut tx, backend, now).await?;
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
