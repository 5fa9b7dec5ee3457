//! Asking for a key and deciding on it: request, approve, deny, expire.

use super::error::duplicate_as_user;
use super::reason::{decision_reason, members_reason};
use super::{
    Actor, Caller, DiscordId, KeyRequest, Member, MemberName, NewKeyRequest, RequestKind,
    RequestStatus, Team, TeamError, Tier,
};
use crate::clock::{days, later_by};
use crate::domain::count_of;

/// What filing a request led to.
#[derive(Debug, Clone)]
pub enum Filed {
    /// Waiting for an admin; the Discord layer posts the approval card.
    AwaitingApproval { request: KeyRequest, tier: Tier },
    /// The tier needs no approval: the member can reveal the key right away.
    AutoApproved { request: KeyRequest, tier: Tier },
}

/// What an approval click led to.
#[derive(Debug, Clone)]
pub enum Decided<T = KeyRequest> {
    /// This admin's decision took effect.
    Done(T),
    /// Someone got there first, or it moved on (expired, cancelled, ...).
    AlreadyDecided(T),
}

impl Team {
    /// Files a key request for the caller. A linked member asks under their member name; an
    /// unlinked user proposes one (`wanted_name`), which admins see on the card.
    pub async fn request_key(
        &self,
        caller: &Caller,
        wanted_name: Option<&str>,
        reason: &str,
    ) -> Result<Filed, TeamError> {
        let reason = members_reason(reason)?;
        if reason.is_empty() {
            return Err(TeamError::user("Please say briefly what the key is for."));
        }
        let member = self.store.member_by_discord_id(caller.id).await?;
        let (member_id, member_name, admin_tier) = match &member {
            Some(m) if m.status == super::MemberStatus::Active => {
                if !self.store.keys_of_member(m.id).await?.is_empty() {
                    return Err(TeamError::user(
                        "You already have a key. Use Rotate on /mykey to get a new one.",
                    ));
                }
                (Some(m.id), m.name.to_string(), m.tier.clone())
            }
            Some(_) => {
                return Err(TeamError::user(
                    "Your membership was ended when you left the server. Ask an admin to link you again with /team link.",
                ));
            }
            None => {
                let wanted = wanted_name.unwrap_or("").trim();
                if wanted.is_empty() {
                    return Err(TeamError::user(
                        "You are not on the team roster yet: please give the member name you want (for example your first name).",
                    ));
                }
                let name = MemberName::parse(wanted).map_err(|e| TeamError::user(e.to_string()))?;
                if let Some(existing) = self.store.member_by_name(&name).await?
                    && existing.discord_user_id.is_some()
                {
                    return Err(TeamError::user(format!(
                        "The member name {name} is taken. Please choose another one."
                    )));
                }
                (None, name.to_string(), None)
            }
        };
        let tier = self
            .rules
            .tiers
            .effective(admin_tier.as_deref(), &caller.role_ids)
            .clone();
        let now = self.now();
        let new = NewKeyRequest {
            requester: caller.id,
            member_id,
            member_name,
            tier: tier.name.to_string(),
            kind: RequestKind::New,
            reason: reason.to_string(),
            replaces_key_hash: None,
            expires_at: later_by(now, days(self.rules.request_expiry_days)),
        };
        let request = match self.store.create_request(&new, now).await {
            Ok(request) => request,
            Err(e) => {
                let open = self.store.open_request_for(caller.id).await?;
                return Err(match open {
                    Some(open) => TeamError::user(format!(
                        "You already have a key request in progress (#{}, {}). Run /mykey to see it.",
                        open.id, open.status
                    )),
                    None => duplicate_as_user(e),
                });
            }
        };
        self.audit(
            &Actor::from(caller),
            "request_key",
            &request.member_name,
            format!("request #{} for tier {}", request.id, tier.name),
        )
        .await?;
        if tier.auto_approve {
            let approved = self.approve_as(request.id, &Actor::bot()).await?;
            return Ok(Filed::AutoApproved {
                request: approved.into(),
                tier,
            });
        }
        Ok(Filed::AwaitingApproval { request, tier })
    }

    /// An admin approves a pending request. Exactly one of several simultaneous approvals wins.
    pub async fn approve_request(
        &self,
        admin: &Caller,
        request_id: i64,
    ) -> Result<Decided, TeamError> {
        self.require_admin(admin)?;
        self.approve_as(request_id, &Actor::from(admin)).await
    }

    async fn approve_as(&self, request_id: i64, actor: &Actor) -> Result<Decided, TeamError> {
        let request = self.request_or_error(request_id).await?;
        if request.status != RequestStatus::Pending {
            return Ok(Decided::AlreadyDecided(request));
        }
        let member = self.member_for_request(&request).await?;
        let now = self.now();
        let won = self
            .store
            .approve_request(request_id, actor.id, Some(member.id), now)
            .await?;
        let request = self.request_or_error(request_id).await?;
        if !won {
            return Ok(Decided::AlreadyDecided(request));
        }
        self.audit(
            actor,
            "approve_request",
            &request.member_name,
            format!("request #{} for tier {}", request.id, request.tier),
        )
        .await?;
        Ok(Decided::Done(request))
    }

    /// The member a request's key will belong to: the requester's roster entry, created (or an
    /// unlinked entry of the same name linked) on approval.
    async fn member_for_request(&self, request: &KeyRequest) -> Result<Member, TeamError> {
        if let Some(member) = self.store.member_by_discord_id(request.requester).await? {
            return Ok(member);
        }
        let name =
            MemberName::parse(&request.member_name).map_err(|e| TeamError::user(e.to_string()))?;
        let now = self.now();
        let outcome = match self.store.member_by_name(&name).await? {
            Some(existing) if existing.discord_user_id == Some(request.requester) => {
                return Ok(existing);
            }
            Some(existing) if existing.discord_user_id.is_some() => {
                return Err(TeamError::user(format!(
                    "The member name {name} now belongs to <@{}>. Deny this request, or link the user under another name with /team link.",
                    existing.discord_user_id.map(|d| d.0).unwrap_or_default()
                )));
            }
            Some(existing) => self
                .store
                .link_member(existing.id, request.requester, now)
                .await
                .map(|_| existing),
            None => {
                self.store
                    .add_member(&name, Some(request.requester), None, now)
                    .await
            }
        };
        match outcome {
            Ok(member) => Ok(self.store.member(member.id).await?.unwrap_or(member)),
            // A simultaneous approval may have linked or added them a moment ago.
            Err(e) => match self.store.member_by_discord_id(request.requester).await? {
                Some(member) => Ok(member),
                None => Err(duplicate_as_user(e)),
            },
        }
    }

    /// An admin denies a pending request, with a reason for the member.
    pub async fn deny_request(
        &self,
        admin: &Caller,
        request_id: i64,
        reason: &str,
    ) -> Result<Decided, TeamError> {
        self.require_admin(admin)?;
        let reason = decision_reason(reason);
        if reason.is_empty() {
            return Err(TeamError::user("Please give the member a reason."));
        }
        let won = self
            .store
            .deny_request(request_id, admin.id, &reason, self.now())
            .await?;
        let request = self.request_or_error(request_id).await?;
        if !won {
            return Ok(Decided::AlreadyDecided(request));
        }
        self.audit(
            &Actor::from(admin),
            "deny_request",
            &request.member_name,
            format!("request #{}: {reason}", request.id),
        )
        .await?;
        Ok(Decided::Done(request))
    }

    /// The requester withdraws a pending request.
    pub async fn cancel_request(
        &self,
        caller: &Caller,
        request_id: i64,
    ) -> Result<Decided, TeamError> {
        let request = self.request_or_error(request_id).await?;
        if request.requester != caller.id {
            return Err(TeamError::user(
                "Only the person who asked can withdraw this request.",
            ));
        }
        if !self.store.cancel_request(request_id, self.now()).await? {
            return Ok(Decided::AlreadyDecided(
                self.request_or_error(request_id).await?,
            ));
        }
        let request = self.request_or_error(request_id).await?;
        self.audit(
            &Actor::from(caller),
            "cancel_request",
            &request.member_name,
            format!("request #{}", request.id),
        )
        .await?;
        Ok(Decided::Done(request))
    }

    /// Expires pending requests and unrevealed approvals whose time is up.
    pub async fn expire_requests(&self) -> Result<Vec<KeyRequest>, TeamError> {
        let expired = self.store.expire_requests(self.now()).await?;
        for request in &expired {
            self.audit(
                &Actor::bot(),
                "expire_request",
                &request.member_name,
                format!(
                    "request #{} was {} for {}",
                    request.id,
                    request.status,
                    count_of(self.rules.request_expiry_days, "day")
                ),
            )
            .await?;
        }
        Ok(expired)
    }

    /// Requests waiting for an admin, oldest first (admins only).
    pub async fn pending_requests(&self, caller: &Caller) -> Result<Vec<KeyRequest>, TeamError> {
        self.require_admin(caller)?;
        Ok(self
            .store
            .requests_with_status(RequestStatus::Pending)
            .await?)
    }

    /// The request, or a message saying it no longer exists.
    pub async fn request_or_error(&self, request_id: i64) -> Result<KeyRequest, TeamError> {
        self.store
            .request(request_id)
            .await?
            .ok_or_else(|| TeamError::user(format!("Request #{request_id} does not exist.")))
    }

    /// The caller's request still in flight, if any.
    pub async fn open_request_of(&self, user: DiscordId) -> Result<Option<KeyRequest>, TeamError> {
        Ok(self.store.open_request_for(user).await?)
    }

    /// A request an admin is about to decide on (admins only): the deny form opens on it while
    /// it is still pending.
    pub async fn request_to_decide(
        &self,
        admin: &Caller,
        request_id: i64,
    ) -> Result<KeyRequest, TeamError> {
        self.require_admin(admin)?;
        self.request_or_error(request_id).await
    }

    /// The tier a request's card shows: the one it was filed under, or the default tier when
    /// that one is no longer configured.
    pub fn tier_of_request(&self, request: &KeyRequest) -> &Tier {
        let tiers = &self.rules.tiers;
        tiers
            .get(&request.tier)
            .unwrap_or_else(|| tiers.default_tier())
    }

    /// Remembers where a request's approval card was posted, so later decisions update it.
    pub async fn record_approval_card(
        &self,
        request_id: i64,
        channel: DiscordId,
        message: DiscordId,
    ) -> Result<(), TeamError> {
        Ok(self
            .store
            .set_approval_message(request_id, channel, message)
            .await?)
    }

    /// Records that the member could not be told of the decision by DM (the card says so).
    pub async fn record_decision_dm_failed(&self, request_id: i64) -> Result<(), TeamError> {
        Ok(self.store.set_request_dm_failed(request_id, true).await?)
    }
}
