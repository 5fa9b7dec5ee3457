//! Who is on the team: member names and Discord identities.

use std::fmt;

use chrono::{DateTime, Utc};

/// A Discord snowflake (user, role, channel or guild id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DiscordId(pub u64);

impl DiscordId {
    /// The id as stored in a signed 64-bit database column (snowflakes stay below 2^63).
    pub fn to_db(self) -> i64 {
        self.0 as i64
    }

    pub fn from_db(value: i64) -> DiscordId {
        DiscordId(value as u64)
    }
}

impl fmt::Display for DiscordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A member's name on the team, used in key names (`{prefix}:{member}:r{request}`) and messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberName(String);

/// Why a member name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a valid member name: use 1 to 32 characters, letters, digits, '.', '-' or '_' (no spaces or ':')"
)]
pub struct InvalidMemberName(pub String);

impl MemberName {
    /// A member name: 1 to 32 characters from letters, digits, `.`, `-`, `_`, stored in lower case
    /// so `Alice` and `alice` are the same member.
    pub fn parse(name: &str) -> Result<MemberName, InvalidMemberName> {
        let trimmed = name.trim();
        let ok = !trimmed.is_empty()
            && trimmed.chars().count() <= 32
            && trimmed
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if ok {
            Ok(MemberName(trimmed.to_lowercase()))
        } else {
            Err(InvalidMemberName(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MemberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a member is still on the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    /// Left the server; their keys were handled per `lifecycle.on_member_leave`.
    Departed,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Departed => "departed",
        }
    }
}

/// A team member as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub name: MemberName,
    /// `None` for members known only from key names, until an admin links them.
    pub discord_user_id: Option<DiscordId>,
    /// The tier an admin set; `None` means the roles or the default decide.
    pub tier: Option<String>,
    /// The tier whose rules the member's keys were last given.
    pub effective_tier: Option<String>,
    pub status: MemberStatus,
    pub created_at: DateTime<Utc>,
    pub departed_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_are_case_insensitive_and_safe_in_key_names() {
        assert_eq!(MemberName::parse(" Alice ").unwrap().as_str(), "alice");
        assert!(MemberName::parse("a:b").is_err());
        assert!(MemberName::parse("").is_err());
        assert!(MemberName::parse(&"x".repeat(33)).is_err());
    }
}
