//! The team's rules and flows, free of Discord, SQL and HTTP types.

pub mod member;
pub mod tier;

pub use member::{DiscordId, MemberName};
pub use tier::{Tier, TierName, Tiers};
