//! What can be done to a member's key: revoke, disable, enable, change its limit, adopt an
//! existing key. Each is done at OpenRouter first, then recorded and audited.

use super::{Actor, Caller, DiscordId, Member, Team, TeamError, TeamKey};
use crate::domain::KeyHash;
use crate::money::Usd;
use crate::openrouter::{ApiError, KeyUpdate, LimitChange};
use crate::reset::LimitReset;

impl Team {
    /// Revokes (deletes at OpenRouter) the member's keys. Members may revoke their own; admins
    /// anyone's.
    pub async fn revoke_keys(
        &self,
        caller: &Caller,
        user: DiscordId,
    ) -> Result<Vec<TeamKey>, TeamError> {
        if caller.id != user {
            self.require_admin(caller)?;
        }
        let (member, keys) = self.member_keys(user).await?;
        for key in &keys {
            self.delete_at_openrouter(&key.hash).await?;
        }
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        self.audit(
            &Actor::from(caller),
            "revoke_key",
            member.name.as_str(),
            names.join(", "),
        )
        .await?;
        Ok(keys)
    }

    /// Disables or re-enables the member's keys at OpenRouter (admins only).
    pub async fn set_keys_disabled(
        &self,
        admin: &Caller,
        user: DiscordId,
        disabled: bool,
    ) -> Result<Vec<TeamKey>, TeamError> {
        self.require_admin(admin)?;
        let (member, keys) = self.member_keys(user).await?;
        for key in &keys {
            self.set_disabled_at_openrouter(key, disabled).await?;
        }
        let action = if disabled {
            "disable_key"
        } else {
            "enable_key"
        };
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        self.audit(
            &Actor::from(admin),
            action,
            member.name.as_str(),
            names.join(", "),
        )
        .await?;
        Ok(keys)
    }

    /// Sets the limit (and optionally the reset) of the member's keys (admins only).
    pub async fn set_key_limit(
        &self,
        admin: &Caller,
        user: DiscordId,
        limit: Usd,
        reset: Option<LimitReset>,
    ) -> Result<Vec<TeamKey>, TeamError> {
        self.require_admin(admin)?;
        if limit > Usd::from_dollars(1_000_000) {
            return Err(TeamError::user(
                "That limit is larger than the bot allows ($1,000,000).",
            ));
        }
        let (member, keys) = self.member_keys(user).await?;
        let mut changed = Vec::new();
        for key in &keys {
            let reset = reset.unwrap_or(key.reset);
            self.apply_limit(key, Some(limit), reset).await?;
            changed.push(TeamKey {
                limit: Some(limit),
                reset,
                ..key.clone()
            });
        }
        self.audit(
            &Actor::from(admin),
            "set_limit",
            member.name.as_str(),
            format!(
                "{limit} {}",
                reset
                    .or(keys.first().map(|k| k.reset))
                    .unwrap_or(LimitReset::Never)
                    .per_period()
            ),
        )
        .await?;
        Ok(changed)
    }

    /// Disables or enables a key at OpenRouter and records it.
    pub(crate) async fn set_disabled_at_openrouter(
        &self,
        key: &TeamKey,
        disabled: bool,
    ) -> Result<(), TeamError> {
        let update = KeyUpdate {
            disabled: Some(disabled),
            ..Default::default()
        };
        self.api
            .update_key(&KeyHash(key.hash.clone()), &update)
            .await?;
        self.store.set_key_disabled(&key.hash, disabled).await?;
        Ok(())
    }

    /// Sets a key's limit and reset at OpenRouter and in the database.
    pub(crate) async fn apply_limit(
        &self,
        key: &TeamKey,
        limit: Option<Usd>,
        reset: LimitReset,
    ) -> Result<(), TeamError> {
        let update = KeyUpdate {
            limit: Some(match limit {
                Some(limit) => LimitChange::Set(limit),
                None => LimitChange::Remove,
            }),
            limit_reset: Some(reset),
            ..Default::default()
        };
        self.api
            .update_key(&KeyHash(key.hash.clone()), &update)
            .await?;
        self.store.set_key_limit(&key.hash, limit, reset).await?;
        Ok(())
    }

    /// Links a key that already exists at OpenRouter to a linked member (admins only).
    pub async fn adopt_key(
        &self,
        admin: &Caller,
        user: DiscordId,
        hash: &str,
        rename: bool,
    ) -> Result<TeamKey, TeamError> {
        self.require_admin(admin)?;
        let member = self.linked_member(user).await?;
        let hash = hash.trim();
        if hash.is_empty() || hash.len() > 128 || !hash.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TeamError::user(
                "That is not a key hash. Copy the hash from `/keys list` or the OpenRouter dashboard (not the key itself).",
            ));
        }
        let mut api_key = match self.api.get_key(&KeyHash(hash.to_string())).await {
            Ok(key) => key,
            Err(ApiError::NotFound { .. }) => {
                return Err(TeamError::user(format!(
                    "OpenRouter has no key with the hash {hash}."
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(existing) = self.store.key(hash).await?
            && let Some(owner) = existing.member_id
            && owner != member.id
            && existing.is_live()
        {
            return Err(TeamError::user(
                "That key already belongs to another member. Revoke or unlink it first.",
            ));
        }
        if rename {
            let name = format!("{}:{}:adopted", self.rules.key_name_prefix, member.name);
            api_key = self
                .api
                .update_key(
                    &api_key.hash,
                    &KeyUpdate {
                        name: Some(name),
                        ..Default::default()
                    },
                )
                .await?;
        }
        let key = TeamKey {
            hash: api_key.hash.to_string(),
            member_id: Some(member.id),
            request_id: None,
            name: api_key.name.clone(),
            label: api_key.label.clone(),
            workspace_id: api_key.workspace_id.clone(),
            disabled: api_key.disabled,
            limit: api_key.limit,
            reset: api_key.limit_reset,
            usage: api_key.usage,
            guardrail_id: None,
            created_at: api_key.created_at,
            expires_at: api_key.expires_at,
            synced_at: Some(self.now()),
            deleted_at: None,
            access: crate::domain::Access::Key,
        };
        self.store.save_key(&key).await?;
        self.audit(
            &Actor::from(admin),
            "adopt_key",
            member.name.as_str(),
            format!("key {} ({})", key.name, key.hash),
        )
        .await?;
        Ok(key)
    }

    /// The member linked to `user` and their live keys; a message when there are none.
    async fn member_keys(&self, user: DiscordId) -> Result<(Member, Vec<TeamKey>), TeamError> {
        let member = self.linked_member(user).await?;
        let keys = self.store.keys_of_member(member.id).await?;
        if keys.is_empty() {
            return Err(TeamError::user(format!("{} has no key.", member.name)));
        }
        Ok((member, keys))
    }
}
