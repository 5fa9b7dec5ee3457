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

    /// The id read back from a signed 64-bit database column.
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
///
/// Only ASCII letters, digits, `.`, `-` and `_`: people read member names in key names (in the
/// OpenRouter dashboard, `/keys list`, cards and digests), where `аlice` (Cyrillic `а`) or
/// `ａｌｉｃｅ` (full-width) would pass for `alice` while being another member.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberName(String);

/// Why a member name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a valid member name: use 1 to 32 characters from a-z, A-Z, 0-9, '.', '-' and '_' (no spaces, accents or other alphabets)"
)]
pub struct InvalidMemberName(pub String);

impl MemberName {
    /// The longest member name, in characters.
    pub const MAX_CHARS: usize = 32;

    /// A member name: 1 to 32 characters from ASCII letters, digits, `.`, `-`, `_`, stored in
    /// lower case so `Alice` and `alice` are the same member.
    pub fn parse(name: &str) -> Result<MemberName, InvalidMemberName> {
        Self::checked(name, |c| c.is_ascii_alphanumeric())
    }

    /// A name read back from the database. Versions before the ASCII rule accepted letters of
    /// any alphabet; those members stay readable, while every new name goes through
    /// [`MemberName::parse`].
    pub(crate) fn stored(name: &str) -> Result<MemberName, InvalidMemberName> {
        Self::checked(name, char::is_alphanumeric)
    }

    fn checked(name: &str, letter: impl Fn(char) -> bool) -> Result<MemberName, InvalidMemberName> {
        let trimmed = name.trim();
        let ok = !trimmed.is_empty()
            && trimmed.chars().count() <= Self::MAX_CHARS
            && trimmed
                .chars()
                .all(|c| letter(c) || matches!(c, '.' | '-' | '_'));
        if ok {
            Ok(MemberName(trimmed.to_lowercase()))
        } else {
            Err(InvalidMemberName(name.to_string()))
        }
    }

    /// The name, in lower case.
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
    /// The status as stored (`active` or `departed`).
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
    fn member_names_are_ascii_letters_digits_dots_dashes_and_underscores() {
        let cases: &[(&str, Option<&str>)] = &[
            ("alice", Some("alice")),
            (" Alice ", Some("alice")),
            ("ALICE", Some("alice")),
            ("mary-jane", Some("mary-jane")),
            ("grace.hopper", Some("grace.hopper")),
            ("bob_2", Some("bob_2")),
            ("r2d2", Some("r2d2")),
            (&"x".repeat(32), Some(&"x".repeat(32))),
            ("", None),
            ("   ", None),
            (&"x".repeat(33), None),
            ("a:b", None),
            ("mary jane", None),
            ("alice/laptop", None),
            ("аlice", None),      // Cyrillic а
            ("ａｌｉｃｅ", None), // full-width letters
            ("alicе", None),      // Cyrillic е at the end
            ("josé", None),
            ("zoë", None),
            ("ǅ", None),
            ("١٢٣", None),           // Arabic-Indic digits
            ("alice\u{200b}", None), // zero-width space
            ("İ", None),
        ];
        for (input, expected) in cases {
            let parsed = MemberName::parse(input).ok();
            assert_eq!(
                parsed.as_ref().map(MemberName::as_str),
                *expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_refused_name_is_told_what_is_allowed() {
        let message = MemberName::parse("аlice").unwrap_err().to_string();
        assert_eq!(
            message,
            "\"аlice\" is not a valid member name: use 1 to 32 characters from a-z, A-Z, 0-9, '.', '-' and '_' (no spaces, accents or other alphabets)"
        );
    }

    #[test]
    fn names_stored_before_the_ascii_rule_stay_readable() {
        assert_eq!(MemberName::stored("josé").unwrap().as_str(), "josé");
        assert_eq!(MemberName::stored("alice").unwrap().as_str(), "alice");
        assert!(MemberName::stored("a:b").is_err());
        assert!(MemberName::stored("").is_err());
    }
}
