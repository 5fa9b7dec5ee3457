//! Key requests and their state machine. Every move is one conditional UPDATE on the current
//! status, so when two admins click at once exactly one of them changes the row.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::rows::{get, get_bool, get_opt_id, get_opt_time, get_time, secs};
use super::{Clash, Doing, Store, StoreError, is_unique_violation};
use crate::domain::{DiscordId, KeyRequest, NewKeyRequest, RequestKind, RequestStatus};

const COLUMNS: &str = "id, discord_user_id, member_id, member_name, tier, kind, reason, status, \
     decided_by, decided_at, decision_note, approval_channel_id, approval_message_id, dm_failed, \
     key_name, key_hash, replaces_key_hash, created_at, updated_at, expires_at";

fn request(row: &AnyRow) -> Result<KeyRequest, StoreError> {
    let status: String = get(row, "status")?;
    let kind: String = get(row, "kind")?;
    let channel = get_opt_id(row, "approval_channel_id")?;
    let message = get_opt_id(row, "approval_message_id")?;
    Ok(KeyRequest {
        id: get(row, "id")?,
        requester: DiscordId::from_db(get(row, "discord_user_id")?),
        member_id: get(row, "member_id")?,
        member_name: get(row, "member_name")?,
        tier: get(row, "tier")?,
        kind: RequestKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("key_requests.kind {kind:?}")))?,
        reason: get(row, "reason")?,
        status: status
            .parse()
            .map_err(|e: String| StoreError::Corrupt(format!("key_requests.status: {e}")))?,
        decided_by: get_opt_id(row, "decided_by")?,
        decided_at: get_opt_time(row, "decided_at")?,
        decision_note: get(row, "decision_note")?,
        approval_message: channel.zip(message),
        dm_failed: get_bool(row, "dm_failed")?,
        key_name: get(row, "key_name")?,
        key_hash: get(row, "key_hash")?,
        replaces_key_hash: get(row, "replaces_key_hash")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

impl Store {
    /// Files a new pending request. A user with a request still in flight gets
    /// [`StoreError::Duplicate`] ([`Clash::OpenRequest`]).
    pub async fn create_request(
        &self,
        new: &NewKeyRequest,
        now: DateTime<Utc>,
    ) -> Result<KeyRequest, StoreError> {
        let sql = format!(
            "INSERT INTO key_requests (discord_user_id, member_id, member_name, tier, kind, reason, \
             replaces_key_hash, status, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $9) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(new.requester.to_db())
            .bind(new.member_id)
            .bind(&new.member_name)
            .bind(&new.tier)
            .bind(new.kind.as_str())
            .bind(&new.reason)
            .bind(new.replaces_key_hash.as_deref())
            .bind(secs(now))
            .bind(secs(new.expires_at))
            .fetch_one(self.pool())
            .await;
        match row {
            Ok(row) => request(&row),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate(Clash::OpenRequest {
                requester: new.requester,
            })),
            Err(e) => Err(e).doing("filing a key request"),
        }
    }

    /// The request with this id.
    pub async fn request(&self, id: i64) -> Result<Option<KeyRequest>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM key_requests WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .doing("reading a key request")?;
        row.as_ref().map(request).transpose()
    }

    /// The user's request still in flight (pending, approved or provisioning), if any.
    pub async fn open_request_for(
        &self,
        user: DiscordId,
    ) -> Result<Option<KeyRequest>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM key_requests WHERE discord_user_id = $1 \
             AND status IN ('pending', 'approved', 'provisioning')"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.to_db())
            .fetch_optional(self.pool())
            .await
            .doing("reading a user's open request")?;
        row.as_ref().map(request).transpose()
    }

    /// The user's most recent request of any status.
    pub async fn latest_request_for(
        &self,
        user: DiscordId,
    ) -> Result<Option<KeyRequest>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM key_requests WHERE discord_user_id = $1 ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.to_db())
            .fetch_optional(self.pool())
            .await
            .doing("reading a user's latest request")?;
        row.as_ref().map(request).transpose()
    }

    /// Every request with this status, oldest first.
    pub async fn requests_with_status(
        &self,
        status: RequestStatus,
    ) -> Result<Vec<KeyRequest>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM key_requests WHERE status = $1 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.as_str())
            .fetch_all(self.pool())
            .await
            .doing("listing key requests")?;
        rows.iter().map(request).collect()
    }

    /// `pending -> approved` by `admin` (`None`: approved automatically). False when the
    /// request had already moved on.
    pub async fn approve_request(
        &self,
        id: i64,
        admin: Option<DiscordId>,
        member_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE key_requests SET status = 'approved', decided_by = $2, decided_at = $3, \
             updated_at = $3, member_id = COALESCE($4, member_id) WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(admin.map(DiscordId::to_db))
        .bind(secs(now))
        .bind(member_id)
        .execute(self.pool())
        .await
        .doing("approving a key request")?;
        Ok(result.rows_affected() == 1)
    }

    /// `pending -> denied` by `admin`, with their reason.
    pub async fn deny_request(
        &self,
        id: i64,
        admin: DiscordId,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE key_requests SET status = 'denied', decided_by = $2, decided_at = $3, \
             decision_note = $4, updated_at = $3 WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(admin.to_db())
        .bind(secs(now))
        .bind(note)
        .execute(self.pool())
        .await
        .doing("denying a key request")?;
        Ok(result.rows_affected() == 1)
    }

    /// `approved -> provisioning`, fixing the key name used at OpenRouter. Exactly one reveal
    /// wins; the others see false.
    pub async fn begin_provisioning(
        &self,
        id: i64,
        key_name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.move_request(
            "UPDATE key_requests SET status = 'provisioning', key_name = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'approved'",
            id,
            Some(key_name),
            now,
            "starting to provision a key",
        )
        .await
    }

    /// `provisioning -> fulfilled` with the created key's hash.
    pub async fn finish_provisioning(
        &self,
        id: i64,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.move_request(
            "UPDATE key_requests SET status = 'fulfilled', key_hash = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'provisioning'",
            id,
            Some(key_hash),
            now,
            "finishing a key request",
        )
        .await
    }

    /// `provisioning -> approved`: creating the key failed for certain, so the member may try
    /// to reveal again.
    pub async fn abort_provisioning(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.move_request(
            "UPDATE key_requests SET status = 'approved', updated_at = $2 \
             WHERE id = $1 AND status = 'provisioning'",
            id,
            None,
            now,
            "returning a key request to approved",
        )
        .await
    }

    /// `pending -> cancelled` by the requester.
    pub async fn cancel_request(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.move_request(
            "UPDATE key_requests SET status = 'cancelled', updated_at = $2 \
             WHERE id = $1 AND status = 'pending'",
            id,
            None,
            now,
            "cancelling a key request",
        )
        .await
    }

    /// Runs one conditional move: `$1` is the id, then `value` (when given), then the time.
    async fn move_request(
        &self,
        sql: &'static str,
        id: i64,
        value: Option<&str>,
        now: DateTime<Utc>,
        doing: &'static str,
    ) -> Result<bool, StoreError> {
        let mut query = sqlx::query(sql).bind(id);
        if let Some(value) = value {
            query = query.bind(value);
        }
        let result = query
            .bind(secs(now))
            .execute(self.pool())
            .await
            .doing(doing)?;
        Ok(result.rows_affected() == 1)
    }

    /// Expires pending and approved-but-unrevealed requests whose time is up, returning them.
    pub async fn expire_requests(&self, now: DateTime<Utc>) -> Result<Vec<KeyRequest>, StoreError> {
        let sql = format!(
            "UPDATE key_requests SET status = 'expired', updated_at = $1 \
             WHERE status IN ('pending', 'approved') AND expires_at <= $1 RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secs(now))
            .fetch_all(self.pool())
            .await
            .doing("expiring key requests")?;
        rows.iter().map(request).collect()
    }

    /// Withdraws a user's requests still waiting (pending or approved), returning them.
    pub async fn cancel_open_requests_of(
        &self,
        user: DiscordId,
        now: DateTime<Utc>,
    ) -> Result<Vec<KeyRequest>, StoreError> {
        let sql = format!(
            "UPDATE key_requests SET status = 'cancelled', updated_at = $2 \
             WHERE discord_user_id = $1 AND status IN ('pending', 'approved') RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.to_db())
            .bind(secs(now))
            .fetch_all(self.pool())
            .await
            .doing("withdrawing a user's requests")?;
        rows.iter().map(request).collect()
    }

    /// Remembers where the approval card was posted.
    pub async fn set_approval_message(
        &self,
        id: i64,
        channel: DiscordId,
        message: DiscordId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE key_requests SET approval_channel_id = $2, approval_message_id = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(channel.to_db())
        .bind(message.to_db())
        .execute(self.pool())
        .await
        .doing("remembering an approval card")?;
        Ok(())
    }

    /// Records whether the member could be told by DM.
    pub async fn set_request_dm_failed(&self, id: i64, failed: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE key_requests SET dm_failed = $2 WHERE id = $1")
            .bind(id)
            .bind(failed)
            .execute(self.pool())
            .await
            .doing("recording a DM outcome")?;
        Ok(())
    }
}
