//! Top-ups and their state machine, each move one conditional UPDATE.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::rows::{get, get_opt_id, get_opt_time, get_time, secs};
use super::{Doing, Store, StoreError};
use crate::domain::{DiscordId, TopUp, TopUpStatus};
use crate::money::Usd;

const COLUMNS: &str = "id, key_hash, member_id, requested_by, amount_micros, reason, status, \
     decided_by, original_limit_micros, window_end, approval_channel_id, approval_message_id, created_at";

fn top_up(row: &AnyRow) -> Result<TopUp, StoreError> {
    let status: String = get(row, "status")?;
    let channel = get_opt_id(row, "approval_channel_id")?;
    let message = get_opt_id(row, "approval_message_id")?;
    Ok(TopUp {
        id: get(row, "id")?,
        key_hash: get(row, "key_hash")?,
        member_id: get(row, "member_id")?,
        requested_by: DiscordId::from_db(get(row, "requested_by")?),
        amount: Usd::from_micros(get(row, "amount_micros")?),
        reason: get(row, "reason")?,
        status: TopUpStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("top_ups.status {status:?}")))?,
        decided_by: get_opt_id(row, "decided_by")?,
        original_limit: get::<Option<i64>>(row, "original_limit_micros")?.map(Usd::from_micros),
        window_end: get_opt_time(row, "window_end")?,
        approval_message: channel.zip(message),
        created_at: get_time(row, "created_at")?,
    })
}

impl Store {
    /// Files a pending top-up.
    pub async fn create_top_up(
        &self,
        key_hash: &str,
        member_id: Option<i64>,
        requested_by: DiscordId,
        amount: Usd,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<TopUp, StoreError> {
        let sql = format!(
            "INSERT INTO top_ups (key_hash, member_id, requested_by, amount_micros, reason, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key_hash)
            .bind(member_id)
            .bind(requested_by.to_db())
            .bind(amount.micros())
            .bind(reason)
            .bind(secs(now))
            .fetch_one(self.pool())
            .await
            .doing("filing a top-up")?;
        top_up(&row)
    }

    /// Top-ups an admin approved (applied or reverted since) that were asked for in
    /// `[from, to]`, oldest first.
    pub async fn approved_top_ups_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TopUp>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM top_ups WHERE status IN ('approved', 'applied', 'reverted') \
             AND created_at >= $1 AND created_at <= $2 ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(from))
            .bind(secs(to))
            .fetch_all(self.pool())
            .await
            .doing("reading the approved top-ups")?;
        rows.iter().map(top_up).collect()
    }

    /// The top-up with this id.
    pub async fn top_up(&self, id: i64) -> Result<Option<TopUp>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM top_ups WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .doing("reading a top-up")?;
        row.as_ref().map(top_up).transpose()
    }

    /// A key's top-up that is pending, approved or applied, if any.
    pub async fn open_top_up_for(&self, key_hash: &str) -> Result<Option<TopUp>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM top_ups WHERE key_hash = $1 AND status IN ('pending', 'approved', 'applied') ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key_hash)
            .fetch_optional(self.pool())
            .await
            .doing("reading a key's top-up")?;
        row.as_ref().map(top_up).transpose()
    }

    /// Moves a top-up from one status to another, recording who decided; false when it had
    /// already moved on.
    pub async fn move_top_up(
        &self,
        id: i64,
        from: TopUpStatus,
        to: TopUpStatus,
        decided_by: Option<DiscordId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE top_ups SET status = $3, decided_by = COALESCE($4, decided_by), \
             decided_at = CASE WHEN $4 IS NULL THEN decided_at ELSE $5 END, updated_at = $5 \
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(decided_by.map(DiscordId::to_db))
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("moving a top-up")?;
        Ok(result.rows_affected() == 1)
    }

    /// `approved -> applied`, remembering the limit to put back and when.
    pub async fn mark_top_up_applied(
        &self,
        id: i64,
        original_limit: Option<Usd>,
        window_end: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE top_ups SET status = 'applied', original_limit_micros = $2, window_end = $3, updated_at = $4 \
             WHERE id = $1 AND status = 'approved'",
        )
        .bind(id)
        .bind(original_limit.map(Usd::micros))
        .bind(window_end.map(secs))
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("recording an applied top-up")?;
        Ok(result.rows_affected() == 1)
    }

    /// Records the limit a top-up raises from, before the raise is sent, once: a later attempt
    /// of the same top-up raises from the same base. Returns the recorded base.
    pub async fn record_top_up_base(
        &self,
        id: i64,
        base: Usd,
        now: DateTime<Utc>,
    ) -> Result<Option<Usd>, StoreError> {
        sqlx::query(
            "UPDATE top_ups SET original_limit_micros = $2, updated_at = $3 \
             WHERE id = $1 AND original_limit_micros IS NULL",
        )
        .bind(id)
        .bind(base.micros())
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("recording a top-up's base limit")?;
        let base: Option<i64> =
            sqlx::query_scalar("SELECT original_limit_micros FROM top_ups WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .doing("reading a top-up's base limit")?
                .flatten();
        Ok(base.map(Usd::from_micros))
    }

    /// Applied top-ups whose window has ended by `now`.
    pub async fn top_ups_to_revert(&self, now: DateTime<Utc>) -> Result<Vec<TopUp>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM top_ups WHERE status = 'applied' AND window_end IS NOT NULL AND window_end <= $1 ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(now))
            .fetch_all(self.pool())
            .await
            .doing("finding top-ups to revert")?;
        rows.iter().map(top_up).collect()
    }

    /// Remembers where a top-up's card was posted.
    pub async fn set_top_up_card(
        &self,
        id: i64,
        channel: DiscordId,
        message: DiscordId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE top_ups SET approval_channel_id = $2, approval_message_id = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(channel.to_db())
        .bind(message.to_db())
        .execute(self.pool())
        .await
        .doing("remembering a top-up card")?;
        Ok(())
    }
}
