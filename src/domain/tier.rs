//! Tiers: the named budget and model rules a member's key follows.

use std::fmt;

use super::Access;
use crate::money::Usd;
use crate::reset::LimitReset;

/// The name of a tier as written in the config (`[tiers.NAME]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TierName(String);

/// Why a tier name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid tier name (use 1 to 32 letters, digits, '-' or '_')")]
pub struct InvalidTierName(pub String);

impl TierName {
    /// A tier name: 1 to 32 ASCII letters, digits, `-` or `_`.
    pub fn parse(name: &str) -> Result<TierName, InvalidTierName> {
        let ok = !name.is_empty()
            && name.len() <= 32
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(TierName(name.to_string()))
        } else {
            Err(InvalidTierName(name.to_string()))
        }
    }

    /// The name as written in the config.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TierName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tier's rules: the default limit and reset of its members' keys, the models they may use,
/// whether requests skip approval, and the Discord roles that place a member in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub name: TierName,
    /// `None`: keys of this tier have no spending limit.
    pub limit: Option<Usd>,
    pub reset: LimitReset,
    /// `None`: every model is allowed (and the tier needs no guardrail).
    pub allowed_models: Option<Vec<String>>,
    pub auto_approve: bool,
    pub role_ids: Vec<u64>,
    /// A personal key or a gateway token.
    pub access: Access,
    /// For gateway access: the model a request for a disallowed model is served with.
    pub fallback_model: Option<String>,
    /// For gateway access: the most output tokens one request may ask for.
    pub max_output_tokens: Option<u64>,
    /// For gateway access: this tier's own fair-use caps, instead of `[gateway]`'s.
    pub max_in_flight: Option<u32>,
    pub requests_per_minute: Option<u32>,
}

/// Every configured tier, in the order of the config file (lowest first), and the default one.
#[derive(Debug, Clone, PartialEq)]
pub struct Tiers {
    ordered: Vec<Tier>,
    default: TierName,
}

impl Tiers {
    /// The tiers, lowest first; `default` must be one of them.
    pub fn new(ordered: Vec<Tier>, default: TierName) -> Option<Tiers> {
        ordered
            .iter()
            .any(|t| t.name == default)
            .then_some(Tiers { ordered, default })
    }

    /// The tier with this name, if configured.
    pub fn get(&self, name: &str) -> Option<&Tier> {
        self.ordered.iter().find(|t| t.name.as_str() == name)
    }

    /// The tier new members get when no role or admin says otherwise.
    pub fn default_tier(&self) -> &Tier {
        self.get(self.default.as_str())
            .unwrap_or_else(|| &self.ordered[0])
    }

    /// Every tier, lowest first.
    pub fn all(&self) -> &[Tier] {
        &self.ordered
    }

    /// The names of all tiers, for messages such as "unknown tier; choose one of ...".
    pub fn names(&self) -> Vec<&str> {
        self.ordered.iter().map(|t| t.name.as_str()).collect()
    }
}

impl Tiers {
    /// The tier a member is in: the highest tier whose roles they hold, else the tier an admin
    /// set for them, else the default.
    pub fn effective(&self, admin_set: Option<&str>, role_ids: &[u64]) -> &Tier {
        self.ordered
            .iter()
            .rev()
            .find(|t| t.role_ids.iter().any(|r| role_ids.contains(r)))
            .or_else(|| admin_set.and_then(|name| self.get(name)))
            .unwrap_or_else(|| self.default_tier())
    }
}
