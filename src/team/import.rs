//! Moving in: linking keys that already exist at OpenRouter to the members whose names they carry.

use super::{Actor, Member, MemberStatus, Team, TeamError, TeamKey};
use crate::domain::{ApiKey, count_len};

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// `(key name, member name)` for every key linked now.
    pub linked: Vec<(String, String)>,
    /// Names of keys nobody owns whose name matched no member.
    pub unmatched: Vec<String>,
    /// Keys that already belonged to a member and were left alone.
    pub already_owned: usize,
}

/// The member a key's name points at: after an optional `{prefix}:`, the name starts with the
/// member's name followed by the end or a separator (`:`, `-`, `_`, `.`, space, `@`, `/`). The
/// longest matching name wins, so `mary-jane-laptop` goes to `mary-jane` rather than `mary`.
pub fn member_for_key<'a>(
    key_name: &str,
    members: &'a [Member],
    prefix: &str,
) -> Option<&'a Member> {
    let lower = key_name.trim().to_lowercase();
    let rest = lower
        .strip_prefix(&format!("{}:", prefix.to_lowercase()))
        .unwrap_or(&lower);
    members
        .iter()
        .filter(|m| {
            let name = m.name.as_str();
            rest.strip_prefix(name).is_some_and(|after| {
                after.is_empty() || after.starts_with([':', '-', '_', '.', ' ', '@', '/'])
            })
        })
        .max_by_key(|m| m.name.as_str().len())
}

impl Team {
    /// Links every unowned key whose name matches a linked member (see [`member_for_key`]).
    /// `keys` is the account's key list; it is stored first, as a sync would.
    pub async fn import_by_name(&self, keys: &[ApiKey]) -> Result<ImportReport, TeamError> {
        self.store.record_sync(keys, self.now()).await?;
        let members: Vec<Member> = self
            .store
            .members()
            .await?
            .into_iter()
            .filter(|m| m.status == MemberStatus::Active && m.discord_user_id.is_some())
            .collect();
        let mut report = ImportReport::default();
        let stored: Vec<TeamKey> = self.store.live_keys().await?;
        for key in stored {
            if key.member_id.is_some() {
                report.already_owned += 1;
                continue;
            }
            match member_for_key(&key.name, &members, &self.rules.key_name_prefix) {
                Some(member) => {
                    self.store.set_key_owner(&key.hash, Some(member.id)).await?;
                    report
                        .linked
                        .push((key.name.clone(), member.name.to_string()));
                }
                None => report.unmatched.push(key.name.clone()),
            }
        }
        if !report.linked.is_empty() {
            self.audit(
                &Actor {
                    id: None,
                    name: "keys import".into(),
                },
                "import_keys",
                "team",
                format!("{} linked by name", count_len(report.linked.len(), "key")),
            )
            .await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::{DiscordId, MemberName};

    fn member(id: i64, name: &str) -> Member {
        Member {
            id,
            name: MemberName::parse(name).unwrap(),
            discord_user_id: Some(DiscordId(id as u64)),
            tier: None,
            effective_tier: None,
            status: MemberStatus::Active,
            created_at: chrono::DateTime::UNIX_EPOCH,
            departed_at: None,
        }
    }

    #[test]
    fn key_names_point_at_the_longest_matching_member() {
        let members = [member(1, "mary"), member(2, "mary-jane"), member(3, "bob")];
        let find = |n: &str| member_for_key(n, &members, "team").map(|m| m.name.to_string());
        assert_eq!(find("team:mary-jane:r4").as_deref(), Some("mary-jane"));
        assert_eq!(find("mary-laptop").as_deref(), Some("mary"));
        assert_eq!(find("Bob").as_deref(), Some("bob"));
        assert_eq!(find("bobby"), None, "a longer word is another name");
        assert_eq!(find("ci-pipeline"), None);
    }
}
