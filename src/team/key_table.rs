//! The team's keys as admins list them in `/keys list`: each with its owner, and how long an
//! idle one has gone without spend.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Caller, MemberName, Team, TeamError, TeamKey};
use crate::clock::{days, earlier_by};

/// Which keys to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// Only keys that no member owns.
    pub unowned: bool,
    /// Only keys without spend for the team's idle period (`lifecycle.idle_key_days`).
    pub idle: bool,
}

/// One key in the list.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub key: TeamKey,
    /// The owning member's name; `None` when no member owns the key.
    pub owner: Option<MemberName>,
    /// For an idle key: the last time it spent anything.
    pub idle_since: Option<DateTime<Utc>>,
}

impl Team {
    /// The team's keys that pass `filter` (admins only), as of the last sync.
    pub async fn key_table(
        &self,
        caller: &Caller,
        filter: KeyFilter,
    ) -> Result<Vec<KeyRow>, TeamError> {
        self.require_admin(caller)?;
        let members: HashMap<i64, MemberName> = self
            .store
            .members()
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        let keys: Vec<(TeamKey, Option<DateTime<Utc>>)> = if filter.idle {
            let cutoff = earlier_by(self.now(), days(self.rules.idle_key_days));
            self.store
                .idle_keys(cutoff)
                .await?
                .into_iter()
                .map(|(key, at)| (key, Some(at)))
                .collect()
        } else {
            self.store
                .live_keys()
                .await?
                .into_iter()
                .map(|key| (key, None))
                .collect()
        };
        Ok(keys
            .into_iter()
            .filter(|(key, _)| !filter.unowned || key.member_id.is_none())
            .map(|(key, idle_since)| KeyRow {
                owner: key.member_id.and_then(|id| members.get(&id).cloned()),
                key,
                idle_since,
            })
            .collect())
    }
}
