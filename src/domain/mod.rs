//! The team's plain types: members, tiers, key requests, keys and their spend, top-ups, the audit
//! record, the lifecycle and gateway choices, and the rules that only check a value (such as
//! [`MemberName::parse`]).
//!
//! A leaf: it imports nothing of the bot but `money`, `reset` and `clock`, so the store, the
//! OpenRouter client, the config and the team's flows can all speak these types without
//! importing one another.

pub mod access;
pub mod api_key;
pub mod audit;
pub mod disallowed_model;
pub mod gateway_request;
pub mod key_listing;
pub mod key_request;
pub mod lifecycle_rules;
pub mod member;
pub mod readings;
pub mod spend;
pub mod team_key;
pub mod tier;
pub mod topup;
pub mod words;

pub use access::{Access, TOKEN_HASH_PREFIX, UnknownAccess, is_token_hash};
pub use api_key::{ApiKey, KeyHash};
pub use audit::AuditEntry;
pub use disallowed_model::OnDisallowedModel;
pub use gateway_request::{CostSource, GatewayRequest, Outcome};
pub use key_listing::KeyListing;
pub use key_request::{KeyRequest, NewKeyRequest, RequestKind, RequestStatus};
pub use lifecycle_rules::{LifecycleSettings, OnMemberLeave};
pub use member::{DiscordId, InvalidMemberName, Member, MemberName, MemberStatus};
pub use readings::UsageReadings;
pub use spend::{DaySpend, LimitStop, SnapshotRow, Usage};
pub use team_key::TeamKey;
pub use tier::{InvalidTierName, Tier, TierName, Tiers};
pub use topup::{TopUp, TopUpStatus};
pub use words::{count_len, count_of};
