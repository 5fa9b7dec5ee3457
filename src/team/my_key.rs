//! What `/mykey` shows a member: their key under its tier, or the request that will become it.

use super::{Caller, KeyRequest, MemberStatus, Team, TeamError, TeamKey, Tier};

/// The member's key as `/mykey` shows it.
#[derive(Debug, Clone)]
pub enum MyKey {
    /// No key and no request in progress; `last` is the member's latest request, if any.
    NoKey { last: Option<KeyRequest> },
    /// A request in progress: pending, approved, or its key being created.
    Request(KeyRequest),
    /// The member's key, under the tier that applies to them now.
    Key { key: TeamKey, tier: Tier },
}

impl Team {
    /// The caller's key, or their request in progress (which comes first: it replaces the key).
    pub async fn my_key(&self, caller: &Caller) -> Result<MyKey, TeamError> {
        let member = self
            .store
            .member_by_discord_id(caller.id)
            .await?
            .filter(|m| m.status == MemberStatus::Active);
        let key = match &member {
            Some(m) => self.store.keys_of_member(m.id).await?.into_iter().next(),
            None => None,
        };
        // A user has at most one request in flight, and it is always their latest.
        let last = self.store.latest_request_for(caller.id).await?;
        if let Some(open) = last.as_ref().filter(|r| r.status.is_open()) {
            return Ok(MyKey::Request(open.clone()));
        }
        Ok(match (key, member) {
            (Some(key), Some(member)) => {
                let tier = self
                    .rules
                    .tiers
                    .effective(member.tier.as_deref(), &caller.role_ids)
                    .clone();
                MyKey::Key { key, tier }
            }
            _ => MyKey::NoKey { last },
        })
    }
}
