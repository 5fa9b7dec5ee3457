//! Shared-key mode's rules for each request: whose token it is, what their tier allows, what
//! their budget window can still hold, and the ledger row that records it all. The gateway's
//! HTTP side calls these; they know nothing of HTTP.

pub mod budgets;
pub mod ledger;
pub mod recovery;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

pub use budgets::{Budgets, Hold, LeaseRaise, OverBudget, TokenLimit};
pub use ledger::Ledger;
pub use recovery::{CostLookup, GenerationCosts};

use super::gateway_token::{GatewayToken, TokenKey};
use super::model_policy::{ModelRules, OnDisallowedModel};
use super::{Team, TeamError, TeamRules};
use crate::clock::Clock;
use crate::domain::{Access, GatewayRequest, MemberStatus, TOKEN_HASH_PREFIX, Tier};
use crate::money::NanoUsd;
use crate::store::{Store, StoreError};
use crate::team::budget_hold::{ModelPrices, RequestSize};

/// How long a token's lookup is trusted when nothing in this process changed keys or members:
/// a change made by another bot on the same database reaches this one within it.
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);
/// From this age on, a request still uses the lookup but has it read again in the background,
/// so a token in use is never looked up on a request's path.
const TOKEN_REFRESH_AFTER: Duration = Duration::from_secs(1);

/// A member calling the gateway, as their token shows them.
#[derive(Debug, Clone)]
pub struct GatewayMember {
    /// The token's row (`keys.hash`).
    pub key_hash: String,
    pub member_id: i64,
    pub member_name: String,
    /// What OpenRouter is told instead of who they are (`user`, `metadata.member`).
    pub pseudonym: String,
    pub tier: Tier,
    pub limit: TokenLimit,
}

/// Why a token does not let its bearer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No token with this hash was ever made (or the secret changed).
    Unknown,
    /// The token was made, and no longer works, for this reason.
    Revoked(&'static str),
}

/// The rules and records of shared-key mode, for one gateway process.
#[derive(Clone)]
pub struct SharedKey {
    store: Store,
    rules: Arc<TeamRules>,
    clock: Arc<dyn Clock>,
    token_key: TokenKey,
    instance: Arc<str>,
    started_at: DateTime<Utc>,
    tokens: Arc<Mutex<TokenCache>>,
    budgets: Budgets,
    ledger: Ledger,
    /// Requests of this process not settled yet, by id.
    running: Arc<Mutex<std::collections::HashSet<String>>>,
}

#[derive(Default)]
struct TokenCache {
    /// The store's change count the entries were read at.
    changes: u64,
    entries: HashMap<String, CachedToken>,
}

struct CachedToken {
    found: Result<Arc<GatewayMember>, Denied>,
    read_at: Instant,
    /// A background read of it is under way.
    refreshing: bool,
}

impl Team {
    /// Shared-key mode's rules for a gateway process named `instance`, with its ledger writer
    /// (which ends once every copy of the returned value is dropped).
    pub fn shared_key(
        &self,
        instance: &str,
    ) -> Result<(SharedKey, tokio::task::JoinHandle<()>), TeamError> {
        let token_key = self
            .rules
            .gateway
            .as_ref()
            .and_then(|g| g.token_key.clone())
            .ok_or_else(|| {
                TeamError::user(
                    "the gateway needs GATEWAY_TOKEN_SECRET (or gateway.token_secret) to check tokens",
                )
            })?;
        let instance: Arc<str> = Arc::from(instance);
        let (ledger, writer) = Ledger::start(self.store.clone());
        Ok((
            SharedKey {
                store: self.store.clone(),
                rules: self.rules.clone(),
                clock: self.clock.clone(),
                token_key,
                instance: instance.clone(),
                started_at: self.now(),
                tokens: Arc::default(),
                budgets: Budgets::new(self.store.clone(), instance),
                ledger,
                running: Arc::default(),
            },
            writer,
        ))
    }
}

impl SharedKey {
    /// The time by the team's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// This gateway process's name in the ledger.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The ledger writer.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// What all running requests of this process hold.
    pub fn held(&self) -> NanoUsd {
        self.budgets.held()
    }

    /// The member a token belongs to, or why it does not let them in.
    pub async fn authenticate(
        &self,
        token: &GatewayToken,
    ) -> Result<Result<Arc<GatewayMember>, Denied>, StoreError> {
        let hash = format!("{TOKEN_HASH_PREFIX}{}", token.digest(&self.token_key).0);
        let changes = self.store.changes();
        {
            let mut cache = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
            if cache.changes != changes {
                cache.entries.clear();
                cache.changes = changes;
            }
            if let Some(cached) = cache.entries.get_mut(&hash) {
                let age = cached.read_at.elapsed();
                if age < TOKEN_CACHE_TTL {
                    if age >= TOKEN_REFRESH_AFTER && !cached.refreshing {
                        cached.refreshing = true;
                        let this = self.clone();
                        let hash = hash.clone();
                        tokio::spawn(async move {
                            if let Err(e) = this.read_token(hash, changes).await {
                                tracing::warn!(error = %e, "a gateway token could not be read again");
                            }
                        });
                    }
                    return Ok(cached.found.clone());
                }
            }
        }
        self.read_token(hash, changes).await
    }

    /// Looks a token up in the database and keeps what it found, unless keys or members changed
    /// meanwhile (the next request reads it again).
    async fn read_token(
        &self,
        hash: String,
        changes: u64,
    ) -> Result<Result<Arc<GatewayMember>, Denied>, StoreError> {
        let found = self.look_up(&hash).await;
        let mut cache = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match &found {
            Ok(found) if cache.changes == changes => {
                cache.entries.insert(
                    hash,
                    CachedToken {
                        found: found.clone(),
                        read_at: Instant::now(),
                        refreshing: false,
                    },
                );
            }
            _ => {
                if let Some(cached) = cache.entries.get_mut(&hash) {
                    cached.refreshing = false;
                }
            }
        }
        found
    }

    async fn look_up(&self, hash: &str) -> Result<Result<Arc<GatewayMember>, Denied>, StoreError> {
        let Some(key) = self.store.key(hash).await? else {
            return Ok(Err(Denied::Unknown));
        };
        if key.deleted_at.is_some() {
            return Ok(Err(Denied::Revoked(
                "it was revoked, or replaced by a newer token",
            )));
        }
        if key.disabled {
            return Ok(Err(Denied::Revoked("an admin disabled it")));
        }
        if key.expires_at.is_some_and(|at| at <= self.now()) {
            return Ok(Err(Denied::Revoked("it expired")));
        }
        let member = match key.member_id {
            Some(id) => self.store.member(id).await?,
            None => None,
        };
        let Some(member) = member.filter(|m| m.status == MemberStatus::Active) else {
            return Ok(Err(Denied::Revoked("its member is no longer on the team")));
        };
        let tier = member
            .effective_tier
            .as_deref()
            .and_then(|t| self.rules.tiers.get(t))
            .unwrap_or_else(|| self.rules.tiers.effective(member.tier.as_deref(), &[]))
            .clone();
        if tier.access != Access::Gateway {
            return Ok(Err(Denied::Revoked(
                "your tier now gives personal keys instead; /mykey asks for one",
            )));
        }
        Ok(Ok(Arc::new(GatewayMember {
            pseudonym: self.token_key.pseudonym(member.id),
            key_hash: key.hash,
            member_id: member.id,
            member_name: member.name.to_string(),
            limit: TokenLimit {
                limit: key.limit.map(NanoUsd::from_usd),
                reset: key.reset,
            },
            tier,
        })))
    }

    /// The tier's model rules for a member.
    pub fn model_rules<'a>(&'a self, member: &'a GatewayMember) -> ModelRules<'a> {
        ModelRules {
            allowed: member.tier.allowed_models.as_deref(),
            fallback: member.tier.fallback_model.as_deref(),
            on_disallowed: self
                .rules
                .gateway
                .as_ref()
                .map_or(OnDisallowedModel::Downgrade, |g| g.on_disallowed_model),
        }
    }

    /// Holds a request's cost bound against the member's window.
    pub async fn hold(
        &self,
        member: &GatewayMember,
        prices: &ModelPrices,
        size: &RequestSize,
    ) -> Result<Result<Hold, OverBudget>, StoreError> {
        self.budgets
            .hold(&member.key_hash, member.limit, prices, size, self.now())
            .await
    }

    /// Queues a row as it stands (a held request's row before it is forwarded, a refusal's).
    pub fn record(&self, row: GatewayRequest) {
        {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            if row.is_settled() {
                running.remove(&row.id);
            } else {
                running.insert(row.id.clone());
            }
        }
        self.ledger.record(row);
    }

    /// Settles a request: its hold is released, its cost counted, and its row recorded.
    pub async fn settle(&self, hold: &Hold, row: GatewayRequest) {
        if let Some(raise) = self.settle_now(hold, row) {
            self.budgets.raise_lease(raise).await;
        }
    }

    /// [`SharedKey::settle`] without waiting: the hold is released and the row queued at once;
    /// a lease the database must still raise is returned for [`SharedKey::raise_lease`].
    pub fn settle_now(&self, hold: &Hold, row: GatewayRequest) -> Option<LeaseRaise> {
        let cost = row.cost.unwrap_or(hold.amount);
        let raise = self.budgets.settle_in_memory(hold, cost, self.now());
        self.record(row);
        raise
    }

    /// Raises a lease as a settlement found it must.
    pub async fn raise_lease(&self, raise: LeaseRaise) {
        self.budgets.raise_lease(raise).await;
    }

    /// Whether a request of this process is still running.
    pub fn is_running(&self, id: &str) -> bool {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.contains(id)
    }

    /// How many requests of this process are running.
    pub fn running(&self) -> usize {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.len()
    }

    /// A new row for a request of `member` starting now, held by `hold`.
    pub fn new_row(&self, member: &GatewayMember, requested_model: &str) -> GatewayRequest {
        GatewayRequest {
            id: request_id(),
            key_hash: member.key_hash.clone(),
            member_id: member.member_id,
            tier: member.tier.name.to_string(),
            requested_model: requested_model.to_string(),
            served_model: requested_model.to_string(),
            outcome: crate::domain::Outcome::Served,
            hold: NanoUsd::ZERO,
            cost: None,
            cost_source: None,
            prompt_tokens: None,
            completion_tokens: None,
            generation_id: None,
            http_status: None,
            streamed: false,
            instance: self.instance.to_string(),
            started_at: self.now(),
            settled_at: None,
        }
    }
}

/// A request id: the time in milliseconds, then 64 random bits, in hex. Ids sort by when their
/// requests began (to the millisecond), and a database index takes them in order.
fn request_id() -> String {
    use std::fmt::Write as _;
    let millis = u64::try_from(Utc::now().timestamp_millis()).unwrap_or_default();
    let mut random = [0u8; 8];
    let random = if getrandom::fill(&mut random).is_ok() {
        u64::from_le_bytes(random)
    } else {
        // The ids only need to be unique: a counter will do.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    };
    let mut id = String::with_capacity(4 + 12 + 16);
    let _ = write!(id, "req-{millis:012x}{random:016x}");
    id
}
