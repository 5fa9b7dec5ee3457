//! Turning an approved request into a key: reveal once, rotate, and recovery when OpenRouter's
//! answer to `POST /keys` was lost.

use chrono::TimeDelta;
use secrecy::SecretString;

use super::requests::Decided;
use super::{
    Actor, Caller, KeyRequest, MemberStatus, NewKeyRequest, RequestKind, RequestStatus, Team,
    TeamError, TeamKey, Tier,
};
use crate::clock::{days, earlier_by, later_by};
use crate::openrouter::{ApiError, CreatedKey, KeyHash, NewKey, list_all_keys};

/// A provisioning left unfinished for this long is considered abandoned (a crash), not in
/// progress on another instance.
const ABANDONED_AFTER_MINUTES: i64 = 5;

/// A freshly created key, for its owner's eyes only.
#[derive(Debug)]
pub struct Revealed {
    pub key: TeamKey,
    /// The plaintext key: shown once in an ephemeral reply, never stored or logged.
    pub secret: SecretString,
    pub tier: Tier,
    pub member_name: String,
    /// For a rotation: the key that was replaced (and deleted).
    pub replaced: Option<String>,
}

impl Team {
    /// The requester reveals their approved key: it is created now and shown once.
    pub async fn reveal_key(
        &self,
        caller: &Caller,
        request_id: i64,
    ) -> Result<Revealed, TeamError> {
        let request = self.request_or_error(request_id).await?;
        if request.requester != caller.id {
            return Err(TeamError::user(
                "This key belongs to someone else's request; only they can reveal it.",
            ));
        }
        self.provision(request).await
    }

    /// A member replaces their key: the new key is created and shown once, then the old one is
    /// deleted at OpenRouter.
    pub async fn rotate_key(&self, caller: &Caller) -> Result<Revealed, TeamError> {
        let member = self
            .store
            .member_by_discord_id(caller.id)
            .await?
            .filter(|m| m.status == MemberStatus::Active)
            .ok_or_else(|| {
                TeamError::user("You have no key to rotate. Run /mykey to request one.")
            })?;
        let old = self
            .store
            .keys_of_member(member.id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                TeamError::user("You have no key to rotate. Run /mykey to request one.")
            })?;
        let tier = self
            .rules
            .tiers
            .effective(member.tier.as_deref(), &caller.role_ids)
            .clone();
        let now = self.now();
        let new = NewKeyRequest {
            requester: caller.id,
            member_id: Some(member.id),
            member_name: member.name.to_string(),
            tier: tier.name.to_string(),
            kind: RequestKind::Rotate,
            reason: "rotation".into(),
            replaces_key_hash: Some(old.hash.clone()),
            expires_at: later_by(now, days(self.rules.request_expiry_days)),
        };
        let request = self.store.create_request(&new, now).await.map_err(|_| {
            TeamError::user(
                "You already have a key request in progress. Run /mykey to finish it first.",
            )
        })?;
        if !self
            .store
            .approve_request(request.id, None, Some(member.id), now)
            .await?
        {
            return Err(TeamError::user("That rotation was already handled."));
        }
        let request = self.request_or_error(request.id).await?;
        self.provision(request).await
    }

    async fn provision(&self, request: KeyRequest) -> Result<Revealed, TeamError> {
        match request.status {
            RequestStatus::Approved => {}
            other => return Err(TeamError::user(not_revealable(&request, other))),
        }
        let member_id = request
            .member_id
            .ok_or_else(|| TeamError::user("This request has no member yet; ask an admin."))?;
        let tier = self
            .rules
            .tiers
            .get(&request.tier)
            .cloned()
            .unwrap_or_else(|| self.rules.tiers.default_tier().clone());
        let key_name = self.rules.key_name(&request.member_name, request.id);
        // A name already fixed means an earlier attempt may have left a key behind.
        let earlier_attempt = request.key_name.is_some();
        if !self
            .store
            .begin_provisioning(request.id, &key_name, self.now())
            .await?
        {
            let now = self.request_or_error(request.id).await?;
            return Err(TeamError::user(not_revealable(&now, now.status)));
        }
        let created = match self
            .create_key_once(&key_name, &tier, earlier_attempt)
            .await
        {
            Ok(created) => created,
            Err(e) => {
                self.store
                    .abort_provisioning(request.id, self.now())
                    .await?;
                return Err(e);
            }
        };
        let now = self.now();
        let guardrail = self.guardrail_of(&tier).await?;
        if let Some(guardrail_id) = &guardrail {
            self.api
                .assign_keys(guardrail_id, std::slice::from_ref(&created.key.hash))
                .await?;
        }
        let key = TeamKey {
            hash: created.key.hash.to_string(),
            member_id: Some(member_id),
            request_id: Some(request.id),
            name: created.key.name.clone(),
            label: created.key.label.clone(),
            workspace_id: created.key.workspace_id.clone(),
            disabled: created.key.disabled,
            limit: created.key.limit,
            reset: created.key.limit_reset,
            usage: created.key.usage,
            guardrail_id: guardrail,
            created_at: created.key.created_at,
            expires_at: created.key.expires_at,
            synced_at: Some(now),
            deleted_at: None,
        };
        self.store.save_key(&key).await?;
        self.store
            .set_effective_tier(member_id, tier.name.as_str(), now)
            .await?;
        self.store
            .finish_provisioning(request.id, &key.hash, now)
            .await?;
        let actor = Actor {
            id: Some(request.requester),
            name: request.member_name.clone(),
        };
        let mut replaced = None;
        if let Some(old_hash) = &request.replaces_key_hash {
            self.delete_at_openrouter(old_hash).await?;
            let old_name = self.store.key(old_hash).await?.map(|k| k.name);
            self.audit(
                &actor,
                "rotate_key",
                &request.member_name,
                format!(
                    "new key {}, old key {} deleted",
                    key.name,
                    old_name.as_deref().unwrap_or(old_hash)
                ),
            )
            .await?;
            replaced = old_name.or(Some(old_hash.clone()));
        } else {
            self.audit(
                &actor,
                "reveal_key",
                &request.member_name,
                format!("key {} created ({})", key.name, limit_words(&tier)),
            )
            .await?;
        }
        Ok(Revealed {
            key,
            secret: created.secret,
            tier,
            member_name: request.member_name,
            replaced,
        })
    }

    /// Creates the key, never twice: when OpenRouter's answer is lost, any key that was made under
    /// this name is deleted (its secret is gone with the answer) and one fresh key is created.
    async fn create_key_once(
        &self,
        key_name: &str,
        tier: &Tier,
        earlier_attempt: bool,
    ) -> Result<CreatedKey, TeamError> {
        let new_key = NewKey {
            name: key_name.to_string(),
            limit: tier.limit,
            limit_reset: tier.reset,
            expires_at: self
                .rules
                .key_expiry_days
                .map(|n| later_by(self.now(), days(n))),
            include_byok_in_limit: None,
            workspace_id: self.rules.workspace_id.clone(),
        };
        if earlier_attempt {
            self.delete_keys_named(key_name).await?;
        }
        match self.api.create_key(&new_key).await {
            Ok(created) => Ok(created),
            Err(ApiError::OutcomeUnknown { message }) => {
                tracing::warn!(key = key_name, %message, "key creation unconfirmed; reconciling by name");
                self.delete_keys_named(key_name).await?;
                Ok(self.api.create_key(&new_key).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every key at OpenRouter with exactly this name; returns how many.
    async fn delete_keys_named(&self, name: &str) -> Result<usize, TeamError> {
        let listing = crate::openrouter::KeyListing {
            workspaces: vec![self.rules.workspace_id.clone()],
            ..Default::default()
        };
        let found: Vec<KeyHash> = list_all_keys(self.api.as_ref(), &listing)
            .await?
            .into_iter()
            .filter(|k| k.name == name)
            .map(|k| k.hash)
            .collect();
        for hash in &found {
            self.delete_at_openrouter(hash.as_str()).await?;
            tracing::info!(key = name, "deleted a key whose creation was not confirmed");
        }
        Ok(found.len())
    }

    /// Deletes a key at OpenRouter (already gone counts as done) and records it.
    pub(crate) async fn delete_at_openrouter(&self, hash: &str) -> Result<(), TeamError> {
        match self.api.delete_key(&KeyHash(hash.to_string())).await {
            Ok(()) | Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.store.mark_key_deleted(hash, self.now()).await?;
        Ok(())
    }

    /// The guardrail that holds a tier's model allowlist, if the tier has one and it exists.
    async fn guardrail_of(&self, tier: &Tier) -> Result<Option<String>, TeamError> {
        if tier.allowed_models.is_none() {
            return Ok(None);
        }
        Ok(self
            .store
            .tier_guardrail(tier.name.as_str())
            .await?
            .map(|g| g.0))
    }

    /// At start-up: requests left in `provisioning` by a crash go back to `approved`, after any
    /// key created under their name is deleted, so the member can reveal again.
    pub async fn recover_provisioning(&self) -> Result<usize, TeamError> {
        let cutoff = earlier_by(self.now(), TimeDelta::minutes(ABANDONED_AFTER_MINUTES));
        let stuck: Vec<KeyRequest> = self
            .store
            .requests_with_status(RequestStatus::Provisioning)
            .await?
            .into_iter()
            .filter(|r| r.updated_at <= cutoff)
            .collect();
        for request in &stuck {
            if let Some(name) = &request.key_name {
                self.delete_keys_named(name).await?;
            }
            if self
                .store
                .abort_provisioning(request.id, self.now())
                .await?
            {
                self.audit(
                    &Actor::bot(),
                    "recover_request",
                    &request.member_name,
                    format!("request #{} was interrupted while its key was created; it can be revealed again", request.id),
                )
                .await?;
            }
        }
        Ok(stuck.len())
    }
}

/// Why a request cannot be revealed now, in the requester's words.
fn not_revealable(request: &KeyRequest, status: RequestStatus) -> String {
    match status {
        RequestStatus::Pending => "Your request is still waiting for an admin.".into(),
        RequestStatus::Approved => "Please try again.".into(),
        RequestStatus::Provisioning => "Your key is being created right now. If nothing shows up, try Reveal again in a few minutes.".into(),
        RequestStatus::Fulfilled => "This key was already shown once, and keys are only shown once. If you lost it, use Rotate on /mykey to get a new one.".into(),
        RequestStatus::Denied => format!(
            "This request was denied{}.",
            request.decision_note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
        ),
        RequestStatus::Expired => "This request expired. Run /mykey to ask again.".into(),
        RequestStatus::Cancelled => "This request was withdrawn. Run /mykey to ask again.".into(),
    }
}

/// "$10.00 per day", or "no limit".
pub fn limit_words(tier: &Tier) -> String {
    match tier.limit {
        Some(limit) => format!("{limit} {}", tier.reset.per_period()),
        None => "no limit".into(),
    }
}

impl From<Decided> for KeyRequest {
    fn from(decided: Decided) -> KeyRequest {
        match decided {
            Decided::Done(r) | Decided::AlreadyDecided(r) => r,
        }
    }
}
