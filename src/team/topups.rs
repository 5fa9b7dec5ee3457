//! The top-up flow: a member asks from an alert, an admin approves, the limit is raised at
//! OpenRouter, and put back when the window resets.

use super::reason::members_reason;
use super::requests::Decided;
use super::{Actor, Caller, DiscordId, MemberStatus, Team, TeamError, TeamKey};
use crate::domain::{KeyHash, TopUp, TopUpStatus};
use crate::money::Usd;
use crate::openrouter::{KeyUpdate, LimitChange};

/// What a decision on a top-up led to.
pub type TopUpDecided = Decided<TopUp>;

impl Team {
    /// The key's owner asks for `amount` more for the rest of the current window.
    pub async fn request_top_up(
        &self,
        caller: &Caller,
        key_hash: &str,
        amount: Usd,
        reason: &str,
        max: Usd,
    ) -> Result<(TopUp, TeamKey), TeamError> {
        let key = self
            .store
            .key(key_hash)
            .await?
            .filter(TeamKey::is_live)
            .ok_or_else(|| TeamError::user("That key no longer exists."))?;
        let member = match key.member_id {
            Some(id) => self.store.member(id).await?,
            None => None,
        };
        let Some(member) = member.filter(|m| m.status == MemberStatus::Active) else {
            return Err(TeamError::user(
                "Only the key's owner can ask for a top-up.",
            ));
        };
        if member.discord_user_id != Some(caller.id) {
            return Err(TeamError::user(
                "Only the key's owner can ask for a top-up.",
            ));
        }
        if amount == Usd::ZERO {
            return Err(TeamError::user("Please ask for more than $0."));
        }
        if amount > max {
            return Err(TeamError::user(format!(
                "A top-up can be at most {max}. Ask an admin if you need more."
            )));
        }
        if key.limit.is_none() {
            return Err(TeamError::user(
                "Your key has no limit, so it needs no top-up.",
            ));
        }
        let reason = members_reason(reason)?;
        if let Some(open) = self.store.open_top_up_for(&key.hash).await? {
            return Err(TeamError::user(format!(
                "This key already has a top-up ({} {}).",
                open.amount,
                open.status.as_str()
            )));
        }
        let top_up = self
            .store
            .create_top_up(
                &key.hash,
                key.member_id,
                caller.id,
                amount,
                reason,
                self.now(),
            )
            .await?;
        self.audit(
            &Actor::from(caller),
            "request_top_up",
            member.name.as_str(),
            format!("top-up #{} of {amount} for {}", top_up.id, key.name),
        )
        .await?;
        Ok((top_up, key))
    }

    /// An admin approves: the limit is raised at OpenRouter until the window resets.
    pub async fn approve_top_up(&self, admin: &Caller, id: i64) -> Result<TopUpDecided, TeamError> {
        self.require_admin(admin)?;
        let now = self.now();
        if !self
            .store
            .move_top_up(
                id,
                TopUpStatus::Pending,
                TopUpStatus::Approved,
                Some(admin.id),
                now,
            )
            .await?
        {
            return Ok(Decided::AlreadyDecided(self.top_up_or_error(id).await?));
        }
        let top_up = self.top_up_or_error(id).await?;
        let applied = self.apply_top_up(&top_up).await;
        if let Err(e) = applied {
            // The raise is not known to have landed: the top-up waits for another try, which
            // sets the same limit from the recorded base.
            self.store
                .move_top_up(
                    id,
                    TopUpStatus::Approved,
                    TopUpStatus::Pending,
                    None,
                    self.now(),
                )
                .await?;
            return Err(e);
        }
        let top_up = self.top_up_or_error(id).await?;
        self.audit(
            &Actor::from(admin),
            "approve_top_up",
            &self.key_owner_name(&top_up.key_hash).await?,
            format!(
                "top-up #{} of {}: limit {} until {}",
                top_up.id,
                top_up.amount,
                top_up.original_limit.unwrap_or(Usd::ZERO) + top_up.amount,
                top_up
                    .window_end
                    .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_else(|| "further notice (lifetime limit)".into())
            ),
        )
        .await?;
        Ok(Decided::Done(top_up))
    }

    /// Raises the key's limit to the top-up's base plus its amount. The base is recorded before
    /// the raise is sent, so trying again (after a lost answer) sets the same limit instead of
    /// adding the amount twice; a lost answer is settled by reading the key back.
    async fn apply_top_up(&self, top_up: &TopUp) -> Result<(), TeamError> {
        let hash = KeyHash(top_up.key_hash.clone());
        let current = self.api.get_key(&hash).await?;
        let base = match top_up.original_limit {
            Some(base) => base,
            None => self
                .store
                .record_top_up_base(top_up.id, current.limit.unwrap_or(Usd::ZERO), self.now())
                .await?
                .unwrap_or(Usd::ZERO),
        };
        let raised = base + top_up.amount;
        let update = KeyUpdate {
            limit: Some(LimitChange::Set(raised)),
            ..Default::default()
        };
        if let Err(e) = self.api.update_key(&hash, &update).await {
            let landed = e.is_transient()
                && self
                    .api
                    .get_key(&hash)
                    .await
                    .is_ok_and(|key| key.limit == Some(raised));
            if !landed {
                return Err(e.into());
            }
            tracing::info!(
                top_up = top_up.id,
                "the raise's answer was lost, but the key shows it applied"
            );
        }
        self.store
            .set_key_limit(&top_up.key_hash, Some(raised), current.limit_reset)
            .await?;
        let window_end = current.limit_reset.window_at(self.now()).end;
        self.store
            .mark_top_up_applied(top_up.id, Some(base), window_end, self.now())
            .await?;
        Ok(())
    }

    /// An admin turns a top-up down.
    pub async fn deny_top_up(&self, admin: &Caller, id: i64) -> Result<TopUpDecided, TeamError> {
        self.require_admin(admin)?;
        if !self
            .store
            .move_top_up(
                id,
                TopUpStatus::Pending,
                TopUpStatus::Denied,
                Some(admin.id),
                self.now(),
            )
            .await?
        {
            return Ok(Decided::AlreadyDecided(self.top_up_or_error(id).await?));
        }
        let top_up = self.top_up_or_error(id).await?;
        self.audit(
            &Actor::from(admin),
            "deny_top_up",
            &self.key_owner_name(&top_up.key_hash).await?,
            format!("top-up #{} of {}", top_up.id, top_up.amount),
        )
        .await?;
        Ok(Decided::Done(top_up))
    }

    /// Puts back the limits of top-ups whose window has reset. A limit an admin changed in the
    /// meantime is left as they set it.
    pub async fn revert_top_ups(&self) -> Result<Vec<TopUp>, TeamError> {
        let mut reverted = Vec::new();
        for top_up in self.store.top_ups_to_revert(self.now()).await? {
            let hash = KeyHash(top_up.key_hash.clone());
            let current = match self.api.get_key(&hash).await {
                Ok(key) => Some(key),
                Err(crate::openrouter::ApiError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            let raised = top_up.original_limit.unwrap_or(Usd::ZERO) + top_up.amount;
            let details = match &current {
                Some(key) if key.limit == Some(raised) => {
                    let back = match top_up.original_limit {
                        Some(limit) => LimitChange::Set(limit),
                        None => LimitChange::Remove,
                    };
                    self.api
                        .update_key(
                            &hash,
                            &KeyUpdate {
                                limit: Some(back),
                                ..Default::default()
                            },
                        )
                        .await?;
                    self.store
                        .set_key_limit(&top_up.key_hash, top_up.original_limit, key.limit_reset)
                        .await?;
                    format!(
                        "top-up #{} ended: limit back to {}",
                        top_up.id,
                        top_up
                            .original_limit
                            .map(|l| l.to_string())
                            .unwrap_or_else(|| "none".into())
                    )
                }
                Some(key) => format!(
                    "top-up #{} ended; the limit was changed since, so it stays at {}",
                    top_up.id,
                    key.limit
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "none".into())
                ),
                None => format!("top-up #{} ended; the key no longer exists", top_up.id),
            };
            if self
                .store
                .move_top_up(
                    top_up.id,
                    TopUpStatus::Applied,
                    TopUpStatus::Reverted,
                    None,
                    self.now(),
                )
                .await?
            {
                self.audit(
                    &Actor::bot(),
                    "revert_top_up",
                    &self.key_owner_name(&top_up.key_hash).await?,
                    details,
                )
                .await?;
                reverted.push(top_up);
            }
        }
        Ok(reverted)
    }

    pub async fn top_up_or_error(&self, id: i64) -> Result<TopUp, TeamError> {
        self.store
            .top_up(id)
            .await?
            .ok_or_else(|| TeamError::user(format!("Top-up #{id} does not exist.")))
    }

    /// The owner's member name, or the key's name when nobody owns it.
    pub async fn key_owner_name(&self, key_hash: &str) -> Result<String, TeamError> {
        let Some(key) = self.store.key(key_hash).await? else {
            return Ok(key_hash.to_string());
        };
        Ok(match key.member_id {
            Some(id) => self
                .store
                .member(id)
                .await?
                .map(|m| m.name.to_string())
                .unwrap_or(key.name),
            None => key.name,
        })
    }

    /// The name of the key, or its hash when the key is no longer known.
    pub async fn key_name_of(&self, key_hash: &str) -> Result<String, TeamError> {
        Ok(self
            .store
            .key(key_hash)
            .await?
            .map(|k| k.name)
            .unwrap_or_else(|| key_hash.to_string()))
    }

    /// Remembers where a top-up's card was posted, so the decision updates it.
    pub async fn record_top_up_card(
        &self,
        top_up_id: i64,
        channel: DiscordId,
        message: DiscordId,
    ) -> Result<(), TeamError> {
        Ok(self
            .store
            .set_top_up_card(top_up_id, channel, message)
            .await?)
    }
}
