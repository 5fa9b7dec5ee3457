//! The team's rules and flows, free of Discord, SQL and HTTP types.

pub mod audit;
pub mod key;
pub mod member;
pub mod request;
pub mod tier;

pub use audit::AuditEntry;
pub use key::TeamKey;
pub use member::{DiscordId, Member, MemberName, MemberStatus};
pub use request::{KeyRequest, NewKeyRequest, RequestKind, RequestStatus};
pub use tier::{Tier, TierName, Tiers};
