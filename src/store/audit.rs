//! The audit log: append and read back.

use super::rows::{get, get_opt_id, get_time, secs};
use super::{Doing, Store, StoreError};
use crate::domain::{AuditEntry, DiscordId};

impl Store {
    /// Appends one entry.
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target, details) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(secs(entry.at))
        .bind(entry.actor_id.map(DiscordId::to_db))
        .bind(&entry.actor_name)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.details)
        .execute(self.pool())
        .await
        .doing("writing the audit log")?;
        Ok(())
    }

    /// The latest `count` entries, newest first.
    pub async fn recent_audit(&self, count: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor_id, actor_name, action, target, details FROM audit_log ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(count.max(0))
        .fetch_all(self.pool())
        .await
        .doing("reading the audit log")?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: get_time(row, "at")?,
                    actor_id: get_opt_id(row, "actor_id")?,
                    actor_name: get(row, "actor_name")?,
                    action: get(row, "action")?,
                    target: get(row, "target")?,
                    details: get(row, "details")?,
                })
            })
            .collect()
    }
}
