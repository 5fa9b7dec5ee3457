//! The team's rules and flows, free of Discord, SQL and HTTP types: the Discord layer and the
//! jobs call into [`Team`], which talks to the outside through the store and [`ManagementApi`].

pub mod audit;
pub mod budget;
pub mod budget_alerts;
pub mod budget_hold;
pub mod credit_and_spike_alerts;
pub mod digest;
pub mod error;
pub mod gateway_token;
pub mod guardrails;
pub mod import;
pub mod job_runs;
pub mod key_actions;
pub mod key_table;
pub mod keys_at_home;
pub mod lifecycle;
pub mod model_policy;
pub mod my_key;
pub mod pace_alerts;
pub mod permissions;
pub mod provisioning;
pub mod reason;
pub mod reminders;
pub mod requests;
pub mod roster;
pub mod shared_key;
pub mod topups;
pub mod usage;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use error::TeamError;
pub use permissions::{Caller, is_admin};

// The domain's types, at the paths the team's callers have always used.
pub use crate::domain::{
    AuditEntry, DiscordId, InvalidMemberName, InvalidTierName, KeyRequest, Member, MemberName,
    MemberStatus, NewKeyRequest, RequestKind, RequestStatus, TeamKey, Tier, TierName, Tiers, TopUp,
    TopUpStatus,
};

use crate::clock::Clock;
use crate::domain::OnMemberLeave;
use crate::openrouter::ManagementApi;
use crate::store::Store;

/// The settings the team's rules depend on (built from the configuration in `app`).
#[derive(Debug, Clone)]
pub struct TeamRules {
    /// The configured tiers and the default one.
    pub tiers: Tiers,
    /// What every key name starts with: `{prefix}:{member}:r{request}`.
    pub key_name_prefix: String,
    /// The OpenRouter workspace keys are created in; `None` is the default workspace.
    pub workspace_id: Option<String>,
    /// Pending requests and unrevealed approvals expire after this many days.
    pub request_expiry_days: i64,
    /// New keys expire at OpenRouter after this many days; `None`: never.
    pub key_expiry_days: Option<i64>,
    /// Discord roles whose holders are team admins.
    pub admin_role_ids: Vec<u64>,
    /// What happens to the keys of a member who leaves.
    pub on_member_leave: OnMemberLeave,
    /// Keys without spend for this many days are idle.
    pub idle_key_days: i64,
    /// The longest creating a key can take (every OpenRouter call it makes, each with all its
    /// attempts); a request still in `provisioning` after this was interrupted.
    pub provisioning_deadline: chrono::Duration,
    /// Shared-key mode, when the gateway is configured.
    pub gateway: Option<GatewayRules>,
}

/// What the team's flows need of the gateway: how tokens are hashed and where members send them.
#[derive(Debug, Clone)]
pub struct GatewayRules {
    /// `None` until `GATEWAY_TOKEN_SECRET` is set: no token can be made or checked.
    pub token_key: Option<gateway_token::TokenKey>,
    /// The base URL `/mykey` shows (`gateway.public_url`).
    pub public_url: String,
    /// What a request for a model its tier does not allow gets.
    pub on_disallowed_model: crate::domain::OnDisallowedModel,
}

/// OpenRouter calls one key creation makes at most: look for a key left by an earlier try,
/// delete it, create, assign the guardrail.
const CALLS_PER_PROVISIONING: u32 = 4;

/// How long a key creation can take with these client settings (the time one OpenRouter call
/// may take, and its attempts), with half a minute to spare for the retries' waits.
pub fn provisioning_deadline(timeout: std::time::Duration, max_attempts: u32) -> chrono::Duration {
    let calls = timeout.saturating_mul(max_attempts.saturating_mul(CALLS_PER_PROVISIONING));
    chrono::Duration::from_std(calls).unwrap_or(chrono::Duration::MAX)
        + chrono::Duration::seconds(30)
}

impl TeamRules {
    /// The name a request's key carries at OpenRouter: `{prefix}:{member}:r{request}`.
    pub fn key_name(&self, member: &str, request_id: i64) -> String {
        format!("{}:{member}:r{request_id}", self.key_name_prefix)
    }

    /// The request a key name made by [`TeamRules::key_name`] points at.
    pub fn request_of_key_name(&self, name: &str) -> Option<i64> {
        let rest = name
            .strip_prefix(&self.key_name_prefix)?
            .strip_prefix(':')?;
        let (_member, request) = rest.rsplit_once(":r")?;
        request.parse().ok()
    }
}

/// Where audit lines are announced (the alerts channel in Discord; nowhere for the CLI).
#[async_trait]
pub trait Announcer: Send + Sync {
    async fn announce(&self, entry: &AuditEntry);
}

/// An announcer that says nothing.
pub struct Silent;

#[async_trait]
impl Announcer for Silent {
    async fn announce(&self, _entry: &AuditEntry) {}
}

/// Who did something, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<DiscordId>,
    pub name: String,
}

impl Actor {
    /// The bot acting on its own (jobs, events, auto-approval).
    pub fn bot() -> Actor {
        Actor {
            id: None,
            name: "the bot".into(),
        }
    }
}

impl From<&Caller> for Actor {
    fn from(caller: &Caller) -> Actor {
        Actor {
            id: Some(caller.id),
            name: caller.name.clone(),
        }
    }
}

/// The team: its rules and the services its flows use.
///
/// Its fields are private: the Discord layer, the jobs and the reports reach the database and
/// OpenRouter only through its methods, which hold the rules and check admin rights.
#[derive(Clone)]
pub struct Team {
    store: Store,
    api: Arc<dyn ManagementApi>,
    rules: Arc<TeamRules>,
    clock: Arc<dyn Clock>,
    announcer: Arc<dyn Announcer>,
}

impl Team {
    /// The team working on `store` and `api` under `rules`, telling time by `clock` and
    /// announcing audit lines through `announcer`.
    pub fn new(
        store: Store,
        api: Arc<dyn ManagementApi>,
        rules: TeamRules,
        clock: Arc<dyn Clock>,
        announcer: Arc<dyn Announcer>,
    ) -> Team {
        let api = Arc::new(keys_at_home::KeysAtHome::new(
            api,
            store.clone(),
            clock.clone(),
        ));
        Team {
            store,
            api,
            rules: Arc::new(rules),
            clock,
            announcer,
        }
    }

    /// The configured tiers' names, in the config's order.
    pub fn tier_names(&self) -> Vec<String> {
        self.rules
            .tiers
            .names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// What time it is for the team's rules.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Writes an audit row and announces it as one line. A failed announcement is logged, never
    /// fatal: the row is the record.
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        details: impl Into<String>,
    ) -> Result<(), TeamError> {
        let entry = AuditEntry {
            at: self.now(),
            actor_id: actor.id,
            actor_name: actor.name.clone(),
            action: action.to_string(),
            target: target.to_string(),
            details: details.into(),
        };
        self.store.append_audit(&entry).await?;
        self.announcer.announce(&entry).await;
        Ok(())
    }

    /// The database file, when it was deleted or moved while the bot runs (what is recorded
    /// from then on is lost when the bot stops).
    pub fn vanished_database_file(&self) -> Option<&std::path::Path> {
        self.store.vanished_file()
    }

    /// Whether the caller is an admin under this team's rules.
    pub fn is_admin(&self, caller: &Caller) -> bool {
        is_admin(caller, &self.rules.admin_role_ids)
    }

    /// Fails with a clear message unless the caller is an admin.
    pub fn require_admin(&self, caller: &Caller) -> Result<(), TeamError> {
        if self.is_admin(caller) {
            Ok(())
        } else {
            Err(TeamError::user("Only team admins can do that."))
        }
    }
}
