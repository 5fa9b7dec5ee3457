//! The roster: linking Discord accounts to member names, choosing tiers, listing who has what.

use std::collections::HashMap;

use super::error::duplicate_as_user;
use super::lifecycle::TierChange;
use super::{Actor, Caller, DiscordId, Member, MemberName, MemberStatus, Team, TeamError, TeamKey};

/// One line of `/team list`.
#[derive(Debug, Clone)]
pub struct RosterEntry {
    pub member: Member,
    /// The tier the member is in now (roles, then the admin's choice, then the default).
    pub tier: String,
    pub key: Option<TeamKey>,
}

impl Team {
    /// Links a Discord account to a member name (creating the member if needed), optionally
    /// setting their tier.
    pub async fn link_member(
        &self,
        admin: &Caller,
        user: DiscordId,
        name: &str,
        tier: Option<&str>,
    ) -> Result<Member, TeamError> {
        self.require_admin(admin)?;
        let name = MemberName::parse(name).map_err(|e| TeamError::user(e.to_string()))?;
        if let Some(tier) = tier {
            self.known_tier(tier)?;
        }
        let now = self.now();
        if let Some(current) = self.store.member_by_discord_id(user).await?
            && current.name != name
        {
            return Err(TeamError::user(format!(
                "<@{user}> is already linked as {}. Unlink them first with /team unlink.",
                current.name
            )));
        }
        let member = match self.store.member_by_name(&name).await? {
            Some(existing) => {
                match existing.discord_user_id {
                    Some(other) if other != user => {
                        return Err(TeamError::user(format!(
                            "The member name {name} is linked to <@{other}>. Unlink them first, or choose another name."
                        )));
                    }
                    _ => {}
                }
                self.store
                    .link_member(existing.id, user, now)
                    .await
                    .map_err(duplicate_as_user)?;
                existing
            }
            None => self
                .store
                .add_member(&name, Some(user), None, now)
                .await
                .map_err(duplicate_as_user)?,
        };
        if let Some(tier) = tier {
            self.store
                .set_member_tier(member.id, Some(tier), now)
                .await?;
        }
        self.audit(
            &Actor::from(admin),
            "link_member",
            name.as_str(),
            format!(
                "linked to <@{user}>{}",
                tier.map(|t| format!(", tier {t}")).unwrap_or_default()
            ),
        )
        .await?;
        Ok(self.store.member(member.id).await?.unwrap_or(member))
    }

    /// Removes the link between a Discord account and its member. Their keys stay (an admin can
    /// revoke them with /keys revoke).
    pub async fn unlink_member(
        &self,
        admin: &Caller,
        user: DiscordId,
    ) -> Result<Member, TeamError> {
        self.require_admin(admin)?;
        let member = self.linked_member(user).await?;
        self.store.unlink_member(member.id, self.now()).await?;
        self.audit(
            &Actor::from(admin),
            "unlink_member",
            member.name.as_str(),
            format!("unlinked from <@{user}>"),
        )
        .await?;
        Ok(member)
    }

    /// Sets the tier an admin chose for a member. Their key's limit follows at OpenRouter.
    pub async fn set_member_tier(
        &self,
        admin: &Caller,
        user: DiscordId,
        tier: &str,
    ) -> Result<TierChange, TeamError> {
        self.require_admin(admin)?;
        let tier = self.known_tier(tier)?.clone();
        let member = self.linked_member(user).await?;
        self.store
            .set_member_tier(member.id, Some(tier.name.as_str()), self.now())
            .await?;
        let keys = self.store.keys_of_member(member.id).await?;
        let (keys, retired) = self.apply_tier(&member, &tier, keys).await?;
        self.audit(
            &Actor::from(admin),
            "set_tier",
            member.name.as_str(),
            format!(
                "tier {} ({})",
                tier.name,
                super::provisioning::limit_words(&tier)
            ),
        )
        .await?;
        let from = member.effective_tier.clone();
        Ok(TierChange {
            member: self.store.member(member.id).await?.unwrap_or(member),
            from,
            to: tier,
            keys,
            retired,
        })
    }

    /// Every member's current keys, newest first, by member id: one query for the whole team
    /// instead of one per member.
    pub(crate) async fn keys_by_member(&self) -> Result<HashMap<i64, Vec<TeamKey>>, TeamError> {
        let mut keys: HashMap<i64, Vec<TeamKey>> = HashMap::new();
        for key in self.store.current_keys_of_members().await? {
            if let Some(owner) = key.member_id {
                keys.entry(owner).or_default().push(key);
            }
        }
        Ok(keys)
    }

    /// Every member with their current tier and key (admins only).
    pub async fn roster(&self, caller: &Caller) -> Result<Vec<RosterEntry>, TeamError> {
        self.require_admin(caller)?;
        let mut keys = self.keys_by_member().await?;
        let mut entries = Vec::new();
        for member in self.store.members().await? {
            let key = keys
                .remove(&member.id)
                .and_then(|newest_first| newest_first.into_iter().next());
            let tier = self
                .rules
                .tiers
                .effective(member.tier.as_deref(), &[])
                .name
                .to_string();
            entries.push(RosterEntry { member, tier, key });
        }
        Ok(entries)
    }

    /// Whether this Discord account is linked to a member (who may have left since).
    pub async fn is_on_roster(&self, user: DiscordId) -> Result<bool, TeamError> {
        Ok(self.store.member_by_discord_id(user).await?.is_some())
    }

    /// The active member linked to this Discord account, or a message saying there is none.
    pub async fn linked_member(&self, user: DiscordId) -> Result<Member, TeamError> {
        match self.store.member_by_discord_id(user).await? {
            Some(member) if member.status == MemberStatus::Active => Ok(member),
            Some(member) => Err(TeamError::user(format!(
                "<@{user}> ({}) left the server and is no longer on the team: if they are back, link them again first with `/team link user:@… name:{}`.",
                member.name, member.name
            ))),
            None => Err(TeamError::user(format!(
                "<@{user}> is not on the team roster yet: link them first with `/team link user:@… name:…` (their member name, used in key names), then run this again. They can also ask for a key themselves with /mykey."
            ))),
        }
    }

    fn known_tier(&self, tier: &str) -> Result<&super::Tier, TeamError> {
        self.rules.tiers.get(tier).ok_or_else(|| {
            TeamError::user(format!(
                "There is no tier called {tier:?}. Tiers: {}.",
                self.rules.tiers.names().join(", ")
            ))
        })
    }
}
