//! The weekly digest's reads: keys of the last two weeks, each key's usage counter at a few
//! instants (one index seek per key and instant, however many snapshots are stored), the
//! snapshots at or over a limit and each limit's peak use, and the pending requests.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::keys::{COLUMNS, team_key};
use super::rows::{get, get_time, secs};
use super::{Doing, SnapshotRow, Store, StoreError};
use crate::domain::{LimitStop, TeamKey, UsageReadings};
use crate::money::Usd;

/// A snapshot's usage in its key's own budget window (`s` the snapshot, `k` the key).
const WINDOW_USAGE: &str = "(CASE k.limit_reset WHEN 'daily' THEN s.usage_daily_micros \
     WHEN 'weekly' THEN s.usage_weekly_micros WHEN 'monthly' THEN s.usage_monthly_micros \
     ELSE s.usage_micros END)";

/// Keys that had not been deleted by a moment (the `$1` bind).
const ALIVE_SINCE: &str = "(k.deleted_at IS NULL OR k.deleted_at > $1)";

impl Store {
    /// Every key that still existed at `since`, deleted later or not, by name.
    pub async fn keys_alive_since(&self, since: DateTime<Utc>) -> Result<Vec<TeamKey>, StoreError> {
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("k.{c}")).collect();
        let sql = format!(
            "SELECT {} FROM keys k WHERE {ALIVE_SINCE} ORDER BY k.name, k.hash",
            columns.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(since))
            .fetch_all(self.pool())
            .await
            .doing("listing the digest's keys")?;
        rows.iter().map(team_key).collect()
    }

    /// Each key alive at `since`: its lifetime usage counter at its last snapshot taken at or
    /// before each of `instants`, and at its first snapshot.
    pub async fn usage_readings(
        &self,
        instants: &[DateTime<Utc>],
        since: DateTime<Utc>,
    ) -> Result<UsageReadings, StoreError> {
        let mut distinct: Vec<i64> = instants.iter().map(|at| secs(*at)).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let mut readings = UsageReadings {
            instants: instants.to_vec(),
            ..UsageReadings::default()
        };
        if distinct.is_empty() {
            return Ok(readings);
        }
        let moments = (0..distinct.len())
            .map(|i| format!("SELECT CAST(${} AS BIGINT) AS moment", i + 2))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let sql = format!(
            "SELECT k.hash AS key_hash, m.moment AS moment, \
             (SELECT s.usage_micros FROM usage_snapshots s WHERE s.key_hash = k.hash \
              AND s.taken_at <= m.moment ORDER BY s.taken_at DESC LIMIT 1) AS usage_micros \
             FROM keys k CROSS JOIN ({moments}) m WHERE {ALIVE_SINCE}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(secs(since));
        for at in &distinct {
            query = query.bind(*at);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .doing("reading usage counters for the digest")?;
        let mut slots: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, at) in instants.iter().enumerate() {
            slots.entry(secs(*at)).or_default().push(i);
        }
        for row in &rows {
            let hash: String = get(row, "key_hash")?;
            let at: i64 = get(row, "moment")?;
            let usage = get::<Option<i64>>(row, "usage_micros")?.map(Usd::from_micros);
            let counters = readings
                .at
                .entry(hash)
                .or_insert_with(|| vec![None; instants.len()]);
            for &i in slots.get(&at).into_iter().flatten() {
                counters[i] = usage;
            }
        }

        let sql = format!(
            "SELECT k.hash AS key_hash, \
             (SELECT s.usage_micros FROM usage_snapshots s WHERE s.key_hash = k.hash \
              ORDER BY s.taken_at ASC LIMIT 1) AS usage_micros \
             FROM keys k WHERE {ALIVE_SINCE}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(since))
            .fetch_all(self.pool())
            .await
            .doing("reading first usage counters for the digest")?;
        for row in &rows {
            if let Some(first) = get::<Option<i64>>(row, "usage_micros")? {
                readings
                    .first
                    .insert(get(row, "key_hash")?, Usd::from_micros(first));
            }
        }
        Ok(readings)
    }

    /// Snapshots taken in `[from, to]` that show a key's own budget window (by its reset) at or
    /// over the limit it had then, by key then time: the digest's "At or over limit".
    pub async fn limit_breaches(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SnapshotRow>, StoreError> {
        let sql = format!(
            "SELECT s.key_hash, s.taken_at, s.usage_micros, s.usage_daily_micros, \
             s.usage_weekly_micros, s.usage_monthly_micros, s.limit_micros \
             FROM usage_snapshots s JOIN keys k ON k.hash = s.key_hash \
             WHERE s.taken_at >= $1 AND s.taken_at <= $2 AND s.limit_micros > 0 \
             AND {WINDOW_USAGE} >= s.limit_micros ORDER BY s.key_hash, s.taken_at"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(from))
            .bind(secs(to))
            .fetch_all(self.pool())
            .await
            .doing("reading the snapshots at or over a limit")?;
        rows.iter().map(super::usage::snapshot_row).collect()
    }

    /// The windows whose end of limit (a 100 % budget alert) was recorded in `[from, to]`, with
    /// the most their snapshots up to `to` showed used.
    pub async fn limit_stops(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<LimitStop>, StoreError> {
        let sql = format!(
            "SELECT a.key_hash AS key_hash, a.window_start AS window_start, \
             MIN(a.sent_at) AS sent_at, \
             (SELECT MAX({WINDOW_USAGE}) FROM usage_snapshots s WHERE s.key_hash = a.key_hash \
              AND s.taken_at >= a.window_start AND s.taken_at <= $2) AS used, \
             (SELECT MAX(s.limit_micros) FROM usage_snapshots s WHERE s.key_hash = a.key_hash \
              AND s.taken_at >= a.window_start AND s.taken_at <= $2) AS limit_micros \
             FROM alerts_sent a JOIN keys k ON k.hash = a.key_hash \
             WHERE a.threshold >= 100 AND a.sent_at >= $1 AND a.sent_at <= $2 \
             GROUP BY a.key_hash, a.window_start, k.limit_reset ORDER BY a.key_hash, a.window_start"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(from))
            .bind(secs(to))
            .fetch_all(self.pool())
            .await
            .doing("reading the windows that reached the end of their limit")?;
        rows.iter()
            .map(|row| {
                Ok(LimitStop {
                    key_hash: get(row, "key_hash")?,
                    window_start: get_time(row, "window_start")?,
                    at: get_time(row, "sent_at")?,
                    used: Usd::from_micros(get::<Option<i64>>(row, "used")?.unwrap_or(0)),
                    limit: get::<Option<i64>>(row, "limit_micros")?
                        .filter(|l| *l > 0)
                        .map(Usd::from_micros),
                })
            })
            .collect()
    }

    /// For each key with a limit, the largest share of its limit (whole percent, rounded down)
    /// that a snapshot taken in `[from, to]` shows used in the key's own budget window.
    pub async fn peak_limit_use(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let sql = format!(
            "SELECT s.key_hash AS key_hash, MAX({WINDOW_USAGE} * 100 / s.limit_micros) AS peak \
             FROM usage_snapshots s JOIN keys k ON k.hash = s.key_hash \
             WHERE s.taken_at >= $1 AND s.taken_at <= $2 AND s.limit_micros > 0 \
             GROUP BY s.key_hash"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(from))
            .bind(secs(to))
            .fetch_all(self.pool())
            .await
            .doing("reading the peak use of each limit")?;
        rows.iter()
            .map(|row| Ok((get(row, "key_hash")?, get(row, "peak")?)))
            .collect()
    }

    /// How many snapshots were taken in `[from, to)`: none means nothing was recorded then.
    pub async fn snapshots_taken_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM usage_snapshots \
             WHERE taken_at >= $1 AND taken_at < $2 LIMIT 1) s",
        )
        .bind(secs(from))
        .bind(secs(to))
        .fetch_one(self.pool())
        .await
        .doing("looking for usage recorded in the week")
    }

    /// How many key requests wait for an admin.
    pub async fn pending_request_count(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM key_requests WHERE status = 'pending'")
            .fetch_one(self.pool())
            .await
            .doing("counting pending key requests")
    }
}
