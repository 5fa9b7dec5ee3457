//! The roster: members, their Discord accounts and their tiers.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::rows::{get, get_opt_id, get_opt_time, get_time, secs};
use super::{Clash, Doing, Store, StoreError, is_unique_violation};
use crate::domain::{DiscordId, Member, MemberName, MemberStatus};

const COLUMNS: &str =
    "id, name, discord_user_id, tier, effective_tier, status, created_at, departed_at";

fn member(row: &AnyRow) -> Result<Member, StoreError> {
    let name: String = get(row, "name")?;
    let status: String = get(row, "status")?;
    Ok(Member {
        id: get(row, "id")?,
        name: MemberName::stored(&name)
            .map_err(|e| StoreError::Corrupt(format!("members.name: {e}")))?,
        discord_user_id: get_opt_id(row, "discord_user_id")?,
        tier: get(row, "tier")?,
        effective_tier: get(row, "effective_tier")?,
        status: match status.as_str() {
            "departed" => MemberStatus::Departed,
            _ => MemberStatus::Active,
        },
        created_at: get_time(row, "created_at")?,
        departed_at: get_opt_time(row, "departed_at")?,
    })
}

impl Store {
    /// Adds a member. A name or Discord account already on the roster is a
    /// [`StoreError::Duplicate`] ([`Clash::Member`]).
    pub async fn add_member(
        &self,
        name: &MemberName,
        discord_user_id: Option<DiscordId>,
        tier: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Member, StoreError> {
        let sql = format!(
            "INSERT INTO members (name, discord_user_id, tier, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'active', $4, $4) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name.as_str())
            .bind(discord_user_id.map(DiscordId::to_db))
            .bind(tier)
            .bind(secs(now))
            .fetch_one(self.pool())
            .await;
        match row {
            Ok(row) => member(&row),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate(Clash::Member {
                name: name.clone(),
                user: discord_user_id,
            })),
            Err(e) => Err(e).doing("adding a member"),
        }
    }

    /// The member with this id.
    pub async fn member(&self, id: i64) -> Result<Option<Member>, StoreError> {
        self.member_where("id = $1", id).await
    }

    /// The member linked to this Discord account.
    pub async fn member_by_discord_id(
        &self,
        user: DiscordId,
    ) -> Result<Option<Member>, StoreError> {
        self.member_where("discord_user_id = $1", user.to_db())
            .await
    }

    /// The member with this name.
    pub async fn member_by_name(&self, name: &MemberName) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM members WHERE name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name.as_str())
            .fetch_optional(self.pool())
            .await
            .doing("looking up a member by name")?;
        row.as_ref().map(member).transpose()
    }

    async fn member_where(
        &self,
        condition: &str,
        value: i64,
    ) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM members WHERE {condition}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(self.pool())
            .await
            .doing("looking up a member")?;
        row.as_ref().map(member).transpose()
    }

    /// Every member, active first, then by name.
    pub async fn members(&self) -> Result<Vec<Member>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM members ORDER BY CASE status WHEN 'active' THEN 0 ELSE 1 END, name"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .doing("listing members")?;
        rows.iter().map(member).collect()
    }

    /// Links a Discord account to a member (and makes a departed member active again).
    /// Returns false when the member does not exist.
    pub async fn link_member(
        &self,
        id: i64,
        user: DiscordId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query(
            "UPDATE members SET discord_user_id = $2, status = 'active', departed_at = NULL, updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(user.to_db())
        .bind(secs(now))
        .execute(self.pool())
        .await;
        match result {
            Ok(r) => Ok(r.rows_affected() == 1),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate(Clash::LinkedAccount {
                member_id: id,
                user,
            })),
            Err(e) => Err(e).doing("linking a member"),
        }
    }

    /// Removes the link between a member and their Discord account.
    pub async fn unlink_member(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query(
            "UPDATE members SET discord_user_id = NULL, updated_at = $2 WHERE id = $1 AND discord_user_id IS NOT NULL",
        )
        .bind(id)
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("unlinking a member")?;
        Ok(result.rows_affected() == 1)
    }

    /// Sets (or with `None` clears) the tier an admin chose for a member.
    pub async fn set_member_tier(
        &self,
        id: i64,
        tier: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query("UPDATE members SET tier = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(tier)
            .bind(secs(now))
            .execute(self.pool())
            .await
            .doing("setting a member's tier")?;
        Ok(result.rows_affected() == 1)
    }

    /// Records the tier whose rules the member's keys now follow.
    pub async fn set_effective_tier(
        &self,
        id: i64,
        tier: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.note_change();
        sqlx::query("UPDATE members SET effective_tier = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(tier)
            .bind(secs(now))
            .execute(self.pool())
            .await
            .doing("recording a member's tier")?;
        Ok(())
    }

    /// Marks an active member as departed. False when they already were (so a departure is
    /// handled once even when the event and the reconcile both see it).
    pub async fn mark_departed(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query(
            "UPDATE members SET status = 'departed', departed_at = $2, updated_at = $2 WHERE id = $1 AND status = 'active'",
        )
        .bind(id)
        .bind(secs(now))
        .execute(self.pool())
        .await
        .doing("marking a member departed")?;
        Ok(result.rows_affected() == 1)
    }

    /// Removes a member who has no keys or requests left; false if they still have some.
    pub async fn delete_member(&self, id: i64) -> Result<bool, StoreError> {
        self.note_change();
        let result = sqlx::query(
            "DELETE FROM members WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM keys WHERE member_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM key_requests WHERE member_id = $1)",
        )
        .bind(id)
        .execute(self.pool())
        .await
        .doing("deleting a member")?;
        Ok(result.rows_affected() == 1)
    }
}
