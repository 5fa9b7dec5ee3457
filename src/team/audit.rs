//! How the audit trail is announced: one line per entry for the alerts channel.

use super::AuditEntry;

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
