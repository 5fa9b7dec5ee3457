//! Things that must happen once: job runs, budget alerts and notices, each claimed by a row
//! whose key makes a second claim a no-op (`ON CONFLICT DO NOTHING`, checked by rows affected).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::rows::{get, secs, time};
use super::{Doing, Store, StoreError};

impl Store {
    /// Claims `(job, period)` for `instance`. True for exactly one caller, across restarts and
    /// across bot instances sharing the database.
    pub async fn claim_job_run(
        &self,
        job: &str,
        period: &str,
        instance: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO job_runs (job, period, claimed_at, claimed_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(job)
        .bind(period)
        .bind(secs(now))
        .bind(instance)
        .execute(self.pool())
        .await
        .doing("claiming a job run")?;
        Ok(result.rows_affected() == 1)
    }

    /// Records how a claimed run ended (and the message it posted, if any).
    pub async fn finish_job_run(
        &self,
        job: &str,
        period: &str,
        outcome: &str,
        message_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE job_runs SET finished_at = $3, outcome = $4, message_id = $5 WHERE job = $1 AND period = $2",
        )
        .bind(job)
        .bind(period)
        .bind(secs(now))
        .bind(outcome)
        .bind(message_id)
        .execute(self.pool())
        .await
        .doing("finishing a job run")?;
        Ok(())
    }

    /// Releases a claim whose run failed before doing anything, so the next tick retries it.
    pub async fn release_job_run(&self, job: &str, period: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM job_runs WHERE job = $1 AND period = $2 AND finished_at IS NULL")
            .bind(job)
            .bind(period)
            .execute(self.pool())
            .await
            .doing("releasing a job run")?;
        Ok(())
    }

    /// The latest finished period of a job, if any.
    pub async fn last_job_period(&self, job: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT period FROM job_runs WHERE job = $1 ORDER BY claimed_at DESC, period DESC LIMIT 1",
        )
        .bind(job)
        .fetch_optional(self.pool())
        .await
        .doing("reading job runs")
    }

    /// How many runs of `job` have been claimed (for checks and tests of exactly-once).
    pub async fn job_run_count(&self, job: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM job_runs WHERE job = $1")
            .bind(job)
            .fetch_one(self.pool())
            .await
            .doing("counting job runs")
    }

    /// Claims the budget alert `(key, window, threshold)`; true only the first time.
    pub async fn claim_budget_alert(
        &self,
        key_hash: &str,
        window_start: DateTime<Utc>,
        threshold: u8,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO alerts_sent (key_hash, window_start, threshold, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(key_hash)
        .bind(secs(window_start))
        .bind(i64::from(threshold))
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("recording a budget alert")?;
        Ok(result.rows_affected() == 1)
    }

    /// Claims many budget alerts `(key, window, threshold)` at once, in one transaction; returns
    /// the ones this call claimed (a claim another caller made first is left out).
    pub async fn claim_budget_alerts(
        &self,
        claims: &[AlertClaim],
        now: DateTime<Utc>,
    ) -> Result<Vec<AlertClaim>, StoreError> {
        // A fixed order, so that instances claiming the same alerts wait on each other instead
        // of deadlocking.
        let mut claims = claims.to_vec();
        claims.sort();
        claims.dedup();
        let mut claimed = Vec::new();
        let mut tx = self
            .pool()
            .begin()
            .await
            .doing("starting to record budget alerts")?;
        for chunk in claims.chunks(CLAIMS_PER_STATEMENT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${}, $1)", 3 * i + 2, 3 * i + 3, 3 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO alerts_sent (key_hash, window_start, threshold, sent_at) VALUES {} \
                 ON CONFLICT DO NOTHING RETURNING key_hash, window_start, threshold",
                values.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(secs(now));
            for claim in chunk {
                query = query
                    .bind(claim.key_hash.clone())
                    .bind(secs(claim.window_start))
                    .bind(i64::from(claim.threshold));
            }
            let rows = query
                .fetch_all(&mut *tx)
                .await
                .doing("recording budget alerts")?;
            for row in &rows {
                claimed.push(AlertClaim {
                    key_hash: get(row, "key_hash")?,
                    window_start: time(get(row, "window_start")?),
                    threshold: threshold(get(row, "threshold")?),
                });
            }
        }
        tx.commit().await.doing("recording budget alerts")?;
        Ok(claimed)
    }

    /// The thresholds already announced for a key in a window.
    pub async fn budget_alerts_sent(
        &self,
        key_hash: &str,
        window_start: DateTime<Utc>,
    ) -> Result<Vec<u8>, StoreError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT threshold FROM alerts_sent WHERE key_hash = $1 AND window_start = $2 ORDER BY threshold",
        )
        .bind(key_hash)
        .bind(secs(window_start))
        .fetch_all(self.pool())
        .await
        .doing("reading budget alerts")?;
        Ok(rows.into_iter().map(threshold).collect())
    }

    /// Every key's announced thresholds in windows that began at `since` or later.
    pub async fn budget_alerts_sent_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<AlertsSent, StoreError> {
        let rows = sqlx::query(
            "SELECT key_hash, window_start, threshold FROM alerts_sent WHERE window_start >= $1",
        )
        .bind(secs(since))
        .fetch_all(self.pool())
        .await
        .doing("reading budget alerts")?;
        let mut sent = AlertsSent::default();
        for row in &rows {
            let key: String = get(row, "key_hash")?;
            let window_start = time(get(row, "window_start")?);
            let level = threshold(get(row, "threshold")?);
            sent.by_window
                .entry((key, window_start))
                .or_default()
                .push(level);
        }
        Ok(sent)
    }

    /// Claims a notice `(kind, subject, period)`, such as a credits warning for a day; true
    /// only the first time.
    pub async fn claim_notice(
        &self,
        kind: &str,
        subject: &str,
        period: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO notices_sent (kind, subject, period, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(kind)
        .bind(subject)
        .bind(period)
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("recording a notice")?;
        Ok(result.rows_affected() == 1)
    }

    /// When a notice was claimed, if it was.
    pub async fn notice_sent_at(
        &self,
        kind: &str,
        subject: &str,
        period: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT sent_at FROM notices_sent WHERE kind = $1 AND subject = $2 AND period = $3",
        )
        .bind(kind)
        .bind(subject)
        .bind(period)
        .fetch_optional(self.pool())
        .await
        .doing("reading a notice")?;
        Ok(at.map(super::rows::time))
    }
}

/// Budget alerts claimed per statement: three parameters each, well below the point where
/// SQLite's linear parameter lookup starts to cost.
const CLAIMS_PER_STATEMENT: usize = 100;

/// One budget alert to claim: a threshold of a key in one of its windows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertClaim {
    pub key_hash: String,
    pub window_start: DateTime<Utc>,
    pub threshold: u8,
}

/// Thresholds already announced, by key and window.
#[derive(Debug, Default)]
pub struct AlertsSent {
    by_window: HashMap<(String, DateTime<Utc>), Vec<u8>>,
}

impl AlertsSent {
    /// The thresholds announced for a key in the window that began at `window_start`.
    pub fn of(&self, key_hash: &str, window_start: DateTime<Utc>) -> &[u8] {
        self.by_window
            .get(&(key_hash.to_string(), window_start))
            .map_or(&[], Vec::as_slice)
    }
}

fn threshold(stored: i64) -> u8 {
    stored.clamp(0, 255) as u8
}
