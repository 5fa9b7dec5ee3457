//! The audit trail as people see it: one line per entry for the alerts channel, and the latest
//! entries for admins.

use super::{AuditEntry, Caller, Team, TeamError};

/// The most entries one look at the audit trail returns.
pub const MAX_AUDIT_ENTRIES: i64 = 500;

/// One line in words for a channel: "<@10> approved mia's key request #1 for tier basic".
pub fn describe(entry: &AuditEntry) -> String {
    let actor = match entry.actor_id {
        Some(id) => format!("<@{id}>"),
        None => entry.actor_name.clone(),
    };
    let (t, d) = (entry.target.as_str(), entry.details.as_str());
    let line = match entry.action.as_str() {
        "request_key" => format!("{actor} asked for a key for {t}: {d}"),
        "approve_request" => format!("{actor} approved {t}'s key {d}"),
        "deny_request" => format!("{actor} denied {t}'s key {d}"),
        "cancel_request" => format!("{actor} cancelled {t}'s key {d}"),
        "expire_request" => format!("{t}'s key {d}: it expired"),
        "recover_request" => format!("{actor} recovered {t}'s key request: {d}"),
        "reveal_key" => format!("{actor} revealed a new key for {t}: {d}"),
        "rotate_key" => format!("{actor} rotated {t}'s key: {d}"),
        "revoke_key" => format!("{actor} revoked {t}'s {d}"),
        "disable_key" => format!("{actor} disabled {t}'s {d}"),
        "enable_key" => format!("{actor} enabled {t}'s {d}"),
        "set_limit" => format!("{actor} set {t}'s limit to {d}"),
        "adopt_key" => format!("{actor} gave {t} the existing {d}"),
        "delete_replaced_key" | "delete_orphan_key" => format!("{actor} tidied up for {t}: {d}"),
        "request_top_up" => format!("{actor} asked for {d}"),
        "approve_top_up" => format!("{actor} approved {t}'s {d}"),
        "deny_top_up" => format!("{actor} denied {t}'s {d}"),
        "revert_top_up" => format!("{t}'s {d}"),
        "member_left" => format!("{t} {d}"),
        "tier_changed" => format!("{t}'s {d}"),
        "link_member" => format!("{actor} put {t} on the roster, {d}"),
        "unlink_member" => format!("{actor} unlinked {t}: {d}"),
        "set_tier" => format!("{actor} moved {t} to {d}"),
        "post_report" => format!("{actor} posted the weekly digest of {t} by hand"),
        "import_keys" => format!("{actor}: {d}"),
        other => {
            let what = other.replace('_', " ");
            if d.is_empty() {
                format!("{actor}: {what} {t}")
            } else {
                format!("{actor}: {what} {t}: {d}")
            }
        }
    };
    capitalized(&line)
}

/// Whether an entry is also an alert for the alerts channel: a member left, or the bot itself
/// disabled a key.
pub fn is_alert(entry: &AuditEntry) -> bool {
    entry.action == "member_left" || (entry.action == "disable_key" && entry.actor_id.is_none())
}

/// "The bot ..." at the start of a line; member names keep their own spelling.
fn capitalized(line: &str) -> String {
    match line.strip_prefix("the bot") {
        Some(rest) => format!("The bot{rest}"),
        None => line.to_string(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DiscordId;

    fn entry(actor: Option<u64>, action: &str, target: &str, details: &str) -> AuditEntry {
        AuditEntry {
            at: chrono::DateTime::UNIX_EPOCH,
            actor_id: actor.map(DiscordId),
            actor_name: if actor.is_some() { "Dana" } else { "the bot" }.into(),
            action: action.into(),
            target: target.into(),
            details: details.into(),
        }
    }

    #[test]
    fn audit_lines_are_sentences_without_internal_names() {
        assert_eq!(
            describe(&entry(
                Some(10),
                "approve_request",
                "mia",
                "request #1 for tier basic"
            )),
            "<@10> approved mia's key request #1 for tier basic"
        );
        assert_eq!(
            describe(&entry(
                None,
                "member_left",
                "olu",
                "left the server; disabled team:olu:r2"
            )),
            "olu left the server; disabled team:olu:r2"
        );
        assert_eq!(
            describe(&entry(
                None,
                "revert_top_up",
                "mia",
                "top-up #1 ended: limit back to $10.00"
            )),
            "mia's top-up #1 ended: limit back to $10.00"
        );
        assert_eq!(
            describe(&entry(
                None,
                "recover_request",
                "mia",
                "request #2 can be revealed again"
            )),
            "The bot recovered mia's key request: request #2 can be revealed again"
        );
        assert!(!describe(&entry(Some(10), "some_new_action", "mia", "")).contains('_'));
    }

    #[test]
    fn departures_and_the_bots_own_disabling_are_alerts() {
        assert!(is_alert(&entry(None, "member_left", "olu", "")));
        assert!(is_alert(&entry(None, "disable_key", "olu", "")));
        assert!(!is_alert(&entry(Some(10), "disable_key", "olu", "")));
        assert!(!is_alert(&entry(Some(10), "approve_request", "mia", "")));
    }
}
