//! Turning an approved request into a key: reveal once, rotate, and recovery when OpenRouter's
//! answer to `POST /keys` was lost.

use secrecy::SecretString;

use super::gateway_token::GatewayToken;
use super::requests::Decided;
use super::{
    Actor, Caller, KeyRequest, MemberStatus, NewKeyRequest, RequestKind, RequestStatus, Team,
    TeamError, TeamKey, Tier,
};
use crate::clock::{days, earlier_by, later_by};
use crate::domain::{Access, KeyHash, TOKEN_HASH_PREFIX};
use crate::openrouter::{ApiError, CreatedKey, KeyUpdate, NewKey, list_all_keys};

/// A freshly created key, for its owner's eyes only.
#[derive(Debug)]
pub struct Revealed {
    pub key: TeamKey,
    /// The plaintext key: shown once in an ephemeral reply, never stored or logged.
    pub secret: SecretString,
    pub tier: Tier,
    pub member_name: String,
    /// For a rotation: the key that was replaced, and what became of it.
    pub replaced: Option<Replaced>,
    /// For a gateway token: the base URL the member's clients use.
    pub base_url: Option<String>,
}

/// The key a rotation replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    pub name: String,
    pub state: ReplacedState,
}

/// What became of a replaced key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplacedState {
    /// Deleted at OpenRouter.
    Deleted,
    /// OpenRouter refused or failed the deletion; the key is disabled there and the bot deletes
    /// it as soon as OpenRouter lets it.
    DisabledAwaitingDeletion,
    /// OpenRouter failed both the deletion and disabling: the key still works until the bot's
    /// retries delete it.
    LiveAwaitingDeletion,
}

impl Replaced {
    /// Whether the old key is not gone yet, which the admins must hear about.
    pub fn awaits_deletion(&self) -> bool {
        self.state != ReplacedState::Deleted
    }
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
        // A creation interrupted by a crash is cleaned up here, so the member need not wait for
        // the bot's timer or a restart.
        let request = if self.was_interrupted(&request) && self.recover_request(&request).await? {
            self.request_or_error(request.id).await?
        } else {
            request
        };
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
        if tier.access == Access::Gateway {
            return self.issue_token(request, member_id, key_name, tier).await;
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
        let guardrail = match self.guard_new_key(&tier, &created.key.hash).await {
            Ok(guardrail) => guardrail,
            Err(e) => {
                // A key without its model rules must not stay live; its secret was never
                // shown, so it is deleted and the member can reveal again.
                if let Err(cleanup) = self.delete_keys_named(&key_name).await {
                    tracing::warn!(key = %key_name, error = %cleanup, "the key left without its guardrail could not be deleted; the next reveal deletes it");
                }
                self.store
                    .abort_provisioning(request.id, self.now())
                    .await?;
                return Err(e);
            }
        };
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
            access: tier.access,
        };
        self.finish_reveal(request, member_id, key, created.secret, tier)
            .await
    }

    /// Makes a gateway token for an approved request of a gateway tier: it lives only in the
    /// bot's database, as its keyed hash, with the tier's limit.
    async fn issue_token(
        &self,
        request: KeyRequest,
        member_id: i64,
        key_name: String,
        tier: Tier,
    ) -> Result<Revealed, TeamError> {
        let made = self
            .rules
            .gateway
            .as_ref()
            .and_then(|g| g.token_key.as_ref())
            .ok_or_else(|| {
                TeamError::user(
                    "The gateway is not set up to give out tokens yet (GATEWAY_TOKEN_SECRET is not set). Tell an admin; your approval stays valid.",
                )
            })
            .and_then(|token_key| {
                let token = GatewayToken::generate().map_err(|e| {
                    tracing::error!(error = %e, "no gateway token could be made");
                    TeamError::user("The bot could not make a token just now; reveal again in a moment.")
                })?;
                let digest = token.digest(token_key);
                Ok((token, digest))
            });
        let (token, digest) = match made {
            Ok(made) => made,
            Err(e) => {
                self.store
                    .abort_provisioning(request.id, self.now())
                    .await?;
                return Err(e);
            }
        };
        let now = self.now();
        let key = TeamKey {
            hash: format!("{TOKEN_HASH_PREFIX}{}", digest.0),
            member_id: Some(member_id),
            request_id: Some(request.id),
            name: key_name,
            label: token.label(),
            workspace_id: None,
            disabled: false,
            limit: tier.limit,
            reset: tier.reset,
            usage: Default::default(),
            guardrail_id: None,
            created_at: now,
            expires_at: self.rules.key_expiry_days.map(|n| later_by(now, days(n))),
            synced_at: Some(now),
            deleted_at: None,
            access: Access::Gateway,
        };
        let secret = SecretString::from(token.expose().to_string());
        self.finish_reveal(request, member_id, key, secret, tier)
            .await
    }

    /// Records a new key or token as the member's, retires the one it replaces, and audits it.
    async fn finish_reveal(
        &self,
        request: KeyRequest,
        member_id: i64,
        key: TeamKey,
        secret: SecretString,
        tier: Tier,
    ) -> Result<Revealed, TeamError> {
        let now = self.now();
        let access = key.access;
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
            // The new key exists and is the member's: whatever happens to the old one, its
            // secret is shown now, never thrown away.
            let old = self.retire_replaced_key(old_hash).await?;
            let detail = match old.state {
                ReplacedState::Deleted => {
                    format!("new key {}, old key {} deleted", key.name, old.name)
                }
                ReplacedState::DisabledAwaitingDeletion => format!(
                    "new key {}, old key {} disabled; OpenRouter did not delete it yet, retrying until it is gone",
                    key.name, old.name
                ),
                ReplacedState::LiveAwaitingDeletion => format!(
                    "new key {}, old key {} still live: OpenRouter failed to delete or disable it, retrying until it is gone",
                    key.name, old.name
                ),
            };
            self.audit(&actor, "rotate_key", &request.member_name, detail)
                .await?;
            replaced = Some(old);
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
            secret,
            base_url: match access {
                Access::Gateway => self.rules.gateway.as_ref().map(|g| g.public_url.clone()),
                Access::Key => None,
            },
            tier,
            member_name: request.member_name,
            replaced,
        })
    }

    /// Deletes the key a rotation replaced. When OpenRouter fails that, the key is disabled if
    /// possible and set aside for [`Team::retry_key_deletions`], so it is no longer the member's.
    async fn retire_replaced_key(&self, hash: &str) -> Result<Replaced, TeamError> {
        let name = self
            .store
            .key(hash)
            .await?
            .map_or_else(|| hash.to_string(), |k| k.name);
        let Err(deletion) = self.delete_at_openrouter(hash).await else {
            return Ok(Replaced {
                name,
                state: ReplacedState::Deleted,
            });
        };
        tracing::warn!(key = %name, error = %deletion, "the replaced key could not be deleted; disabling it and retrying later");
        let disable = KeyUpdate {
            disabled: Some(true),
            ..Default::default()
        };
        let state = match self
            .api
            .update_key(&KeyHash(hash.to_string()), &disable)
            .await
        {
            Ok(_) => {
                self.store.set_key_disabled(hash, true).await?;
                ReplacedState::DisabledAwaitingDeletion
            }
            Err(e) => {
                tracing::warn!(key = %name, error = %e, "the replaced key could not be disabled either");
                ReplacedState::LiveAwaitingDeletion
            }
        };
        self.store.mark_key_retiring(hash, self.now()).await?;
        Ok(Replaced { name, state })
    }

    /// Deletes the replaced keys whose deletion failed before; returns the names of those now
    /// gone. One that still fails stays queued for the next try.
    pub async fn retry_key_deletions(&self) -> Result<Vec<String>, TeamError> {
        let mut deleted = Vec::new();
        for key in self.store.retiring_keys().await? {
            match self.delete_at_openrouter(&key.hash).await {
                Ok(()) => {
                    let owner = match key.member_id {
                        Some(id) => self.store.member(id).await?.map(|m| m.name.to_string()),
                        None => None,
                    };
                    self.audit(
                        &Actor::bot(),
                        "delete_replaced_key",
                        owner.as_deref().unwrap_or(&key.name),
                        format!("replaced key {} deleted at last", key.name),
                    )
                    .await?;
                    deleted.push(key.name);
                }
                Err(e) => {
                    tracing::warn!(key = %key.name, error = %e, "a replaced key still could not be deleted");
                }
            }
        }
        Ok(deleted)
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

    /// Puts a new key under its tier's guardrail; returns the guardrail's id, if the tier has one.
    async fn guard_new_key(
        &self,
        tier: &Tier,
        hash: &KeyHash,
    ) -> Result<Option<String>, TeamError> {
        let guardrail = self.guardrail_of(tier).await?;
        if let Some(guardrail_id) = &guardrail {
            self.api
                .assign_keys(guardrail_id, std::slice::from_ref(hash))
                .await?;
        }
        Ok(guardrail)
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

    /// Deletes the keys the bot created but never recorded: named for one of its requests, owned
    /// by nobody, and not that request's key (an answer to `POST /keys` that came too late, or
    /// an error answered after the key was made). Nobody ever saw their secrets, so nothing is
    /// lost; a request still being created is left alone. Returns the names deleted.
    pub async fn delete_orphan_keys(&self) -> Result<Vec<String>, TeamError> {
        let prefix = format!("{}:", self.rules.key_name_prefix);
        let mut deleted = Vec::new();
        for key in self.store.unowned_keys_with_prefix(&prefix).await? {
            let Some(request_id) = self.rules.request_of_key_name(&key.name) else {
                continue;
            };
            let Some(request) = self.store.request(request_id).await? else {
                continue;
            };
            let in_progress = request.status == RequestStatus::Provisioning;
            let is_its_key = request.key_hash.as_deref() == Some(key.hash.as_str());
            if in_progress || is_its_key || request.key_name.as_deref() != Some(&key.name) {
                continue;
            }
            self.delete_at_openrouter(&key.hash).await?;
            tracing::warn!(key = %key.name, "deleted a key created for a request but never recorded");
            self.audit(
                &Actor::bot(),
                "delete_orphan_key",
                &request.member_name,
                format!(
                    "key {} was created for request #{} but never recorded; deleted",
                    key.name, request.id
                ),
            )
            .await?;
            deleted.push(key.name);
        }
        Ok(deleted)
    }

    /// Whether a request in `provisioning` has been there longer than creating a key can take:
    /// the bot that started it was stopped (a crash), it is not in progress anywhere.
    fn was_interrupted(&self, request: &KeyRequest) -> bool {
        request.status == RequestStatus::Provisioning
            && request.updated_at <= earlier_by(self.now(), self.rules.provisioning_deadline)
    }

    /// Requests left in `provisioning` by a crash go back to `approved`, after any key created
    /// under their name is deleted, so the member can reveal again. Run at start-up and by the
    /// housekeeping job; logs and returns how many were recovered.
    pub async fn recover_provisioning(&self) -> Result<usize, TeamError> {
        let stuck: Vec<KeyRequest> = self
            .store
            .requests_with_status(RequestStatus::Provisioning)
            .await?
            .into_iter()
            .filter(|r| self.was_interrupted(r))
            .collect();
        let mut recovered = 0;
        for request in &stuck {
            if self.recover_request(request).await? {
                recovered += 1;
            }
        }
        if recovered > 0 {
            tracing::warn!(
                recovered,
                "recovered key requests interrupted while their key was created"
            );
        }
        Ok(recovered)
    }

    /// Puts one interrupted request back to `approved` after deleting any key made under its
    /// name (its secret was never shown). False if another recovery got there first.
    async fn recover_request(&self, request: &KeyRequest) -> Result<bool, TeamError> {
        if let Some(name) = &request.key_name {
            self.delete_keys_named(name).await?;
        }
        if !self
            .store
            .abort_provisioning(request.id, self.now())
            .await?
        {
            return Ok(false);
        }
        self.audit(
            &Actor::bot(),
            "recover_request",
            &request.member_name,
            format!(
                "request #{} was interrupted while its key was created; it can be revealed again",
                request.id
            ),
        )
        .await?;
        Ok(true)
    }
}

/// Why a request cannot be revealed now, in the requester's words.
fn not_revealable(request: &KeyRequest, status: RequestStatus) -> String {
    match status {
        RequestStatus::Pending => "Your request is still waiting for an admin.".into(),
        RequestStatus::Approved => "Please try again.".into(),
        RequestStatus::Provisioning => "Your key is being created right now. If nothing shows up, press Reveal again in a few minutes: a creation that was interrupted is cleaned up by then.".into(),
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
