//! The audit trail as people see it: one line per entry for the alerts channel, and the latest
//! entries for admins.

use super::{AuditEntry, Caller, Team, TeamError};

/// The most entries one look at the audit trail returns.
pub const MAX_AUDIT_ENTRIES: i64 = 500;

/// One line for the alerts channel: `🛡️ approve_request · alice · by Dana: tier basic`.
pub fn describe(entry: &AuditEntry) -> String {
    let actor = match entry.actor_id {
        Some(id) => format!("<@{id}>"),
        None => entry.actor_name.clone(),
    };
    let details = if entry.details.is_empty() {
        String::new()
    } else {
        format!(": {}", entry.details)
    };
    format!(
        "Audit · `{}` · {} · by {actor}{details}",
        entry.action, entry.target
    )
}

impl Team {
    /// The latest `count` audit entries, newest first (admins only; between 1 and
    /// [`MAX_AUDIT_ENTRIES`]).
    pub async fn recent_audit(
        &self,
        caller: &Caller,
        count: i64,
    ) -> Result<Vec<AuditEntry>, TeamError> {
        self.require_admin(caller)?;
        Ok(self
            .store
            .recent_audit(count.clamp(1, MAX_AUDIT_ENTRIES))
            .await?)
    }
}
