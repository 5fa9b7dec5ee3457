//! The team's keys: ownership, limits and state as last seen at OpenRouter.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::rows::{get, get_bool, get_opt_time, get_time, secs, time};
use super::{Doing, Store, StoreError};
use crate::domain::{Access, Outcome, TeamKey, Usage};
use crate::money::Usd;
use crate::reset::LimitReset;

pub(super) const COLUMNS: &str = "hash, member_id, request_id, name, label, workspace_id, disabled, \
     limit_micros, limit_reset, usage_micros, usage_daily_micros, usage_weekly_micros, \
     usage_monthly_micros, guardrail_id, created_at, expires_at, synced_at, deleted_at, access";

pub(super) fn team_key(row: &AnyRow) -> Result<TeamKey, StoreError> {
    let reset: String = get(row, "limit_reset")?;
    Ok(TeamKey {
        hash: get(row, "hash")?,
        member_id: get(row, "member_id")?,
        request_id: get(row, "request_id")?,
        name: get(row, "name")?,
        label: get(row, "label")?,
        workspace_id: get(row, "workspace_id")?,
        disabled: get_bool(row, "disabled")?,
        limit: get::<Option<i64>>(row, "limit_micros")?.map(Usd::from_micros),
        reset: reset
            .parse()
            .map_err(|e: crate::reset::UnknownReset| StoreError::Corrupt(e.to_string()))?,
        usage: Usage {
            total: Usd::from_micros(get(row, "usage_micros")?),
            daily: Usd::from_micros(get(row, "usage_daily_micros")?),
            weekly: Usd::from_micros(get(row, "usage_weekly_micros")?),
            monthly: Usd::from_micros(get(row, "usage_monthly_micros")?),
        },
        guardrail_id: get(row, "guardrail_id")?,
        created_at: get_time(row, "created_at")?,
        expires_at: get_opt_time(row, "expires_at")?,
        synced_at: get_opt_time(row, "synced_at")?,
        deleted_at: get_opt_time(row, "deleted_at")?,
        access: Access::parse(&get::<String>(row, "access")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

impl Store {
    /// Records a key the bot created (or adopted) for a member; an existing row for the same
    /// hash takes the new owner and details.
    pub async fn save_key(&self, key: &TeamKey) -> Result<(), StoreError> {
        self.note_change();
        sqlx::query(
            "INSERT INTO keys (hash, member_id, request_id, name, label, workspace_id, disabled, \
             limit_micros, limit_reset, usage_micros, usage_daily_micros, usage_weekly_micros, \
             usage_monthly_micros, guardrail_id, created_at, expires_at, synced_at, deleted_at, access) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
             ON CONFLICT (hash) DO UPDATE SET member_id = excluded.member_id, \
             request_id = COALESCE(excluded.request_id, keys.request_id), name = excluded.name, \
             label = excluded.label, workspace_id = excluded.workspace_id, disabled = excluded.disabled, \
             limit_micros = excluded.limit_micros, limit_reset = excluded.limit_reset, \
             guardrail_id = COALESCE(excluded.guardrail_id, keys.guardrail_id), \
             expires_at = excluded.expires_at, deleted_at = excluded.deleted_at",
        )
        .bind(&key.hash)
        .bind(key.member_id)
        .bind(key.request_id)
        .bind(&key.name)
        .bind(&key.label)
        .bind(key.workspace_id.as_deref())
        .bind(key.disabled)
        .bind(key.limit.map(Usd::micros))
        .bind(key.reset.as_str())
        .bind(key.usage.total.micros())
        .bind(key.usage.daily.micros())
        .bind(key.usage.weekly.micros())
        .bind(key.usage.monthly.micros())
        .bind(key.guardrail_id.as_deref())
        .bind(secs(key.created_at))
        .bind(key.expires_at.map(secs))
        .bind(key.synced_at.map(secs))
        .bind(key.deleted_at.map(secs))
        .bind(key.access.as_str())
        .execute(self.pool())
        .await
        .doing("saving a key")?;
        Ok(())
    }

    /// The key with this hash, live or deleted.
    pub async fn key(&self, hash: &str) -> Result<Option<TeamKey>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM keys WHERE hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(self.pool())
            .await
            .doing("reading a key")?;
        row.as_ref().map(team_key).transpose()
    }

    /// The member's keys that still exist, newest first (a key being retired after a rotation
    /// is no longer theirs).
    pub async fn keys_of_member(&self, member_id: i64) -> Result<Vec<TeamKey>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM keys WHERE member_id = $1 AND deleted_at IS NULL \
             AND retiring_since IS NULL ORDER BY created_at DESC, hash"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(member_id)
            .fetch_all(self.pool())
            .await
            .doing("reading a member's keys")?;
        rows.iter().map(team_key).collect()
    }

    /// Every key that still exists, owned or not, by name.
    pub async fn live_keys(&self) -> Result<Vec<TeamKey>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM keys WHERE deleted_at IS NULL ORDER BY name, hash");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .doing("listing keys")?;
        rows.iter().map(team_key).collect()
    }

    /// Every member's live keys that are not being retired, newest first for each member (the
    /// order of [`Store::keys_of_member`]), in one query.
    pub async fn current_keys_of_members(&self) -> Result<Vec<TeamKey>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM keys WHERE member_id IS NOT NULL AND deleted_at IS NULL \
             AND retiring_since IS NULL ORDER BY member_id, created_at DESC, hash"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .doing("reading the members' keys")?;
        rows.iter().map(team_key).collect()
    }

    /// The keys a budget alert may be due for, in one query: live keys with a positive limit
    /// whose spend in their current window is at `lowest` percent of it or more, or that the
    /// gateway refused a request of for its budget since that window began. Each comes with
    /// when the gateway last refused it, if it did.
    ///
    /// Refusals are looked for since the earliest start of a calendar window (the month's or the
    /// week's): a lifetime limit refused before that was weighed by the passes that followed.
    pub async fn keys_at_alert_levels(
        &self,
        lowest: u8,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TeamKey, Option<DateTime<Utc>>)>, StoreError> {
        let start = |reset: LimitReset| secs(reset.window_at(now).start);
        let sql = format!(
            "SELECT {COLUMNS}, refused.last_at AS refused_at FROM keys \
             LEFT JOIN (SELECT key_hash, MAX(started_at) AS last_at FROM gateway_requests \
               WHERE outcome = '{refused}' AND started_at >= $1 GROUP BY key_hash) refused \
               ON refused.key_hash = keys.hash \
             WHERE keys.deleted_at IS NULL AND keys.limit_micros > 0 AND ( \
               (CASE keys.limit_reset WHEN '{daily}' THEN keys.usage_daily_micros \
                  WHEN '{weekly}' THEN keys.usage_weekly_micros \
                  WHEN '{monthly}' THEN keys.usage_monthly_micros \
                  ELSE keys.usage_micros END) * 100 >= keys.limit_micros * $2 \
               OR refused.last_at >= (CASE keys.limit_reset WHEN '{daily}' THEN $3 \
                  WHEN '{weekly}' THEN $4 WHEN '{monthly}' THEN $5 ELSE $6 END)) \
             ORDER BY keys.name, keys.hash",
            refused = Outcome::RefusedBudget.as_str(),
            daily = LimitReset::Daily.as_str(),
            weekly = LimitReset::Weekly.as_str(),
            monthly = LimitReset::Monthly.as_str(),
        );
        let (daily, weekly, monthly) = (
            start(LimitReset::Daily),
            start(LimitReset::Weekly),
            start(LimitReset::Monthly),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(weekly.min(monthly))
            .bind(i64::from(lowest))
            .bind(daily)
            .bind(weekly)
            .bind(monthly)
            .bind(start(LimitReset::Never))
            .fetch_all(self.pool())
            .await
            .doing("looking for keys near their limits")?;
        rows.iter()
            .map(|row| {
                let refused: Option<i64> = get(row, "refused_at")?;
                Ok((team_key(row)?, refused.map(time)))
            })
            .collect()
    }

    /// How many live keys are stored.
    pub async fn live_key_count(&self) -> Result<usize, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM keys WHERE deleted_at IS NULL")
            .fetch_one(self.pool())
            .await
            .doing("counting keys")?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Live keys with exactly this name (used to find a key whose creation was not confirmed).
    pub async fn keys_named(&self, name: &str) -> Result<Vec<TeamKey>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM keys WHERE name = $1 AND deleted_at IS NULL");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_all(self.pool())
            .await
            .doing("finding keys by name")?;
        rows.iter().map(team_key).collect()
    }

    /// Live keys that belong to no member and whose name starts with `prefix` (for finding keys
    /// the bot created but never recorded).
    pub async fn unowned_keys_with_prefix(&self, prefix: &str) -> Result<Vec<TeamKey>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM keys WHERE member_id IS NULL AND deleted_at IS NULL \
             AND substr(name, 1, length($1)) = $1 ORDER BY name, hash"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(prefix)
            .fetch_all(self.pool())
            .await
            .doing("finding unowned keys by name")?;
        rows.iter().map(team_key).collect()
    }

    /// Gives a key to a member (or with `None`, to nobody).
    pub async fn set_key_owner(
        &self,
        hash: &str,
        member_id: Option<i64>,
    ) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query("UPDATE keys SET member_id = $2 WHERE hash = $1")
            .bind(hash)
            .bind(member_id)
            .execute(self.pool())
            .await
            .doing("changing a key's owner")?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks a replaced key for deletion by the bot's retries (its deletion failed).
    pub async fn mark_key_retiring(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query(
            "UPDATE keys SET retiring_since = $2 WHERE hash = $1 AND deleted_at IS NULL \
             AND retiring_since IS NULL",
        )
        .bind(hash)
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("marking a key for deletion")?;
        Ok(result.rows_affected() == 1)
    }

    /// Replaced keys still waiting to be deleted at OpenRouter, oldest first.
    pub async fn retiring_keys(&self) -> Result<Vec<TeamKey>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM keys WHERE retiring_since IS NOT NULL AND deleted_at IS NULL \
             ORDER BY retiring_since, hash"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .doing("listing keys waiting for deletion")?;
        rows.iter().map(team_key).collect()
    }

    /// Records that the key no longer exists at OpenRouter. False if it was already gone.
    pub async fn mark_key_deleted(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.note_change();
        let result =
            sqlx::query("UPDATE keys SET deleted_at = $2 WHERE hash = $1 AND deleted_at IS NULL")
                .bind(hash)
                .bind(secs(now))
                .execute(self.pool())
                .await
                .doing("marking a key deleted")?;
        Ok(result.rows_affected() == 1)
    }

    /// Records a key's disabled flag as set at OpenRouter.
    pub async fn set_key_disabled(&self, hash: &str, disabled: bool) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query("UPDATE keys SET disabled = $2 WHERE hash = $1")
            .bind(hash)
            .bind(disabled)
            .execute(self.pool())
            .await
            .doing("recording a key's disabled flag")?;
        Ok(result.rows_affected() == 1)
    }

    /// Records a key's limit and reset as set at OpenRouter.
    pub async fn set_key_limit(
        &self,
        hash: &str,
        limit: Option<Usd>,
        reset: LimitReset,
    ) -> Result<bool, StoreError> {
        self.note_change();
        let result =
            sqlx::query("UPDATE keys SET limit_micros = $2, limit_reset = $3 WHERE hash = $1")
                .bind(hash)
                .bind(limit.map(Usd::micros))
                .bind(reset.as_str())
                .execute(self.pool())
                .await
                .doing("recording a key's limit")?;
        Ok(result.rows_affected() == 1)
    }

    /// Records which guardrail a key is assigned to.
    pub async fn set_key_guardrail(
        &self,
        hash: &str,
        guardrail_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query("UPDATE keys SET guardrail_id = $2 WHERE hash = $1")
            .bind(hash)
            .bind(guardrail_id)
            .execute(self.pool())
            .await
            .doing("recording a key's guardrail")?;
        Ok(result.rows_affected() == 1)
    }

    /// Live keys whose spend has not moved since before `cutoff`, with the time of the first
    /// snapshot that shows their current total (when they were last seen spending).
    pub async fn idle_keys(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(TeamKey, DateTime<Utc>)>, StoreError> {
        let sql = format!(
            "SELECT {cols}, idle.since FROM keys JOIN ( \
               SELECT s.key_hash, MIN(s.taken_at) AS since FROM usage_snapshots s \
               JOIN keys k ON k.hash = s.key_hash AND s.usage_micros = k.usage_micros \
               GROUP BY s.key_hash) idle ON idle.key_hash = keys.hash \
             WHERE keys.deleted_at IS NULL AND idle.since <= $1 AND keys.created_at <= $1 \
             ORDER BY keys.name",
            cols = COLUMNS
                .split(", ")
                .map(|c| format!("keys.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(cutoff))
            .fetch_all(self.pool())
            .await
            .doing("finding idle keys")?;
        rows.iter()
            .map(|row| Ok((team_key(row)?, super::rows::get_time(row, "since")?)))
            .collect()
    }
}
