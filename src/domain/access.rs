//! How a tier's members reach OpenRouter: a personal key, or the team's one key through the gateway.

use std::fmt;

/// How the `hash` of a gateway token's row starts (the rest is the token's keyed digest), so a
/// token is told from an OpenRouter key, whose hash is plain hex, by its hash alone.
pub const TOKEN_HASH_PREFIX: &str = "gw_";

/// Whether a key hash names a gateway token.
pub fn is_token_hash(hash: &str) -> bool {
    hash.starts_with(TOKEN_HASH_PREFIX)
}

/// What a member of a tier is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Access {
    /// A personal OpenRouter key with the tier's limit and guardrail.
    #[default]
    Key,
    /// A gateway token: requests go through the bot's gateway on the team's one key.
    Gateway,
}

/// A value of `tiers.NAME.access` (or of the `keys.access` column) that is not one of the two.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an access mode (use \"key\" or \"gateway\")")]
pub struct UnknownAccess(pub String);

impl Access {
    /// The value as written in the config and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Key => "key",
            Access::Gateway => "gateway",
        }
    }

    /// Reads `key` or `gateway`.
    pub fn parse(text: &str) -> Result<Access, UnknownAccess> {
        match text {
            "key" => Ok(Access::Key),
            "gateway" => Ok(Access::Gateway),
            other => Err(UnknownAccess(other.to_string())),
        }
    }

    /// The mode in a digest's few words.
    pub fn short_words(self) -> &'static str {
        match self {
            Access::Key => "personal key",
            Access::Gateway => "shared key",
        }
    }

    /// The mode in the words a member reads ("personal key", "shared key").
    pub fn words(self) -> &'static str {
        match self {
            Access::Key => "personal key",
            Access::Gateway => "shared key (gateway)",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_read_back_what_they_write() {
        for access in [Access::Key, Access::Gateway] {
            assert_eq!(Access::parse(access.as_str()), Ok(access));
        }
        assert_eq!(
            Access::parse("shared").unwrap_err().to_string(),
            "\"shared\" is not an access mode (use \"key\" or \"gateway\")"
        );
    }
}
