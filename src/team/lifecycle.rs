//! Members coming and going: a departure applies `lifecycle.on_member_leave` to their keys, a
//! role change moves their keys to the rules of their new tier.

use std::collections::HashSet;

use super::{Actor, DiscordId, Member, MemberStatus, Team, TeamError, TeamKey, Tier};
use crate::domain::OnMemberLeave;

/// What a departure did.
#[derive(Debug, Clone)]
pub struct Departure {
    pub member: Member,
    pub keys: Vec<TeamKey>,
    pub action: OnMemberLeave,
}

/// A member's tier moved (their roles changed, or an admin set it).
#[derive(Debug, Clone)]
pub struct TierChange {
    pub member: Member,
    pub from: Option<String>,
    pub to: Tier,
    /// The keys (or tokens) that now follow the new tier's rules.
    pub keys: Vec<TeamKey>,
    /// Those retired because the new tier gives the other kind of access (a personal key
    /// instead of a gateway token, or the other way round): `/mykey` asks for the new kind.
    pub retired: Vec<TeamKey>,
}

impl Team {
    /// A member left the server: their keys are disabled, deleted or left alone as configured,
    /// their waiting requests withdrawn, and they are marked departed. Returns `None` for
    /// someone who was not (or no longer) an active member. Safe to call twice: the keys are
    /// handled first, and only the call that marks the member departed reports it.
    pub async fn member_left(&self, user: DiscordId) -> Result<Option<Departure>, TeamError> {
        let Some(member) = self
            .store
            .member_by_discord_id(user)
            .await?
            .filter(|m| m.status == MemberStatus::Active)
        else {
            return Ok(None);
        };
        let action = self.rules.on_member_leave;
        let keys = self.store.keys_of_member(member.id).await?;
        for key in &keys {
            match action {
                OnMemberLeave::Disable if !key.disabled => {
                    self.set_disabled_at_openrouter(key, true).await?;
                }
                OnMemberLeave::Delete => self.delete_at_openrouter(&key.hash).await?,
                _ => {}
            }
        }
        self.store.cancel_open_requests_of(user, self.now()).await?;
        if !self.store.mark_departed(member.id, self.now()).await? {
            return Ok(None);
        }
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let done = match (action, keys.is_empty()) {
            (_, true) => "no keys".to_string(),
            (OnMemberLeave::Disable, false) => format!("disabled {}", names.join(", ")),
            (OnMemberLeave::Delete, false) => format!("deleted {}", names.join(", ")),
            (OnMemberLeave::Ignore, false) => format!(
                "left {} as they were (on_member_leave = ignore)",
                names.join(", ")
            ),
        };
        self.audit(
            &Actor::bot(),
            "member_left",
            member.name.as_str(),
            format!("left the server; {done}"),
        )
        .await?;
        Ok(Some(Departure {
            member,
            keys,
            action,
        }))
    }

    /// Compares the roster with the people in the server (`present`) and handles everyone who
    /// left while the bot was not watching.
    pub async fn reconcile_members(
        &self,
        present: &HashSet<DiscordId>,
    ) -> Result<Vec<Departure>, TeamError> {
        let mut departures = Vec::new();
        for member in self.store.members().await? {
            let Some(user) = member.discord_user_id else {
                continue;
            };
            if member.status == MemberStatus::Active
                && !present.contains(&user)
                && let Some(departure) = self.member_left(user).await?
            {
                departures.push(departure);
            }
        }
        Ok(departures)
    }

    /// A member's roles changed: if that moves them to another tier, their keys get the new
    /// tier's limit, reset and guardrail.
    pub async fn roles_changed(
        &self,
        user: DiscordId,
        role_ids: &[u64],
    ) -> Result<Option<TierChange>, TeamError> {
        let Some(member) = self
            .store
            .member_by_discord_id(user)
            .await?
            .filter(|m| m.status == MemberStatus::Active)
        else {
            return Ok(None);
        };
        let tier = self
            .rules
            .tiers
            .effective(member.tier.as_deref(), role_ids)
            .clone();
        if member.effective_tier.as_deref() == Some(tier.name.as_str()) {
            return Ok(None);
        }
        let keys = self.store.keys_of_member(member.id).await?;
        let (keys, retired) = self.apply_tier(&member, &tier, keys).await?;
        self.audit(
            &Actor::bot(),
            "tier_changed",
            member.name.as_str(),
            format!(
                "roles changed: tier {} -> {} ({})",
                member.effective_tier.as_deref().unwrap_or("(none)"),
                tier.name,
                super::provisioning::limit_words(&tier)
            ),
        )
        .await?;
        Ok(Some(TierChange {
            from: member.effective_tier.clone(),
            member,
            to: tier,
            keys,
            retired,
        }))
    }

    /// Gives a member's keys the tier's limit, reset and guardrail, retires those of the other
    /// kind of access than the tier gives, and records the tier. Returns the keys kept and the
    /// keys retired.
    pub(crate) async fn apply_tier(
        &self,
        member: &Member,
        tier: &Tier,
        keys: Vec<TeamKey>,
    ) -> Result<(Vec<TeamKey>, Vec<TeamKey>), TeamError> {
        let (kept, retired): (Vec<TeamKey>, Vec<TeamKey>) =
            keys.into_iter().partition(|key| key.access == tier.access);
        for key in &retired {
            self.delete_at_openrouter(&key.hash).await?;
        }
        for key in &kept {
            self.apply_limit(key, tier.limit, tier.reset).await?;
            if !key.is_gateway_token() {
                self.assign_guardrail(key, tier).await?;
            }
        }
        self.store
            .set_effective_tier(member.id, tier.name.as_str(), self.now())
            .await?;
        Ok((kept, retired))
    }

    /// The members who are active and linked, for reconciling.
    pub async fn linked_members(&self) -> Result<HashSet<DiscordId>, TeamError> {
        Ok(self
            .store
            .members()
            .await?
            .into_iter()
            .filter(|m| m.status == MemberStatus::Active)
            .filter_map(|m| m.discord_user_id)
            .collect())
    }
}
