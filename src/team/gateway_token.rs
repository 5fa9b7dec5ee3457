//! A member's gateway token: `ortb_` and 43 characters of base62 (256 random bits from the
//! operating system), shown once to its owner and stored only as a keyed hash, so a copy of the
//! database lets nobody call the gateway.

use std::fmt;

use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};

/// How every gateway token starts, so that logs and secret scanners can recognise one.
pub const TOKEN_PREFIX: &str = crate::secret::GATEWAY_TOKEN_PREFIX;

/// Characters of a token after its prefix.
const TOKEN_BODY_CHARS: usize = 43;

/// Characters of a whole token, prefix included.
const TOKEN_CHARS: usize = TOKEN_PREFIX.len() + TOKEN_BODY_CHARS;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A token's plaintext. `Debug` never shows it.
pub struct GatewayToken(SecretString);

/// What the database keeps of a token: its keyed hash, in hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub String);

/// The secret the token hashes are keyed with (`GATEWAY_TOKEN_SECRET`).
#[derive(Clone)]
pub struct TokenKey(SecretString);

/// Why no token could be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct NoRandomness(String);

impl GatewayToken {
    /// A new token from the operating system's random number generator.
    pub fn generate() -> Result<GatewayToken, NoRandomness> {
        let mut body = String::with_capacity(TOKEN_CHARS);
        body.push_str(TOKEN_PREFIX);
        // Rejection sampling keeps every character equally likely: bytes of 248 and above
        // (62 * 4 = 248) are drawn again.
        while body.len() < TOKEN_CHARS {
            let mut bytes = [0u8; 64];
            getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
            for byte in bytes.into_iter().filter(|b| *b < 248) {
                if body.len() == TOKEN_CHARS {
                    break;
                }
                body.push(char::from(BASE62[usize::from(byte % 62)]));
            }
        }
        Ok(GatewayToken(SecretString::from(body)))
    }

    /// Reads a token a client sent, if it has a token's shape.
    pub fn parse(text: &str) -> Option<GatewayToken> {
        let body = text.strip_prefix(TOKEN_PREFIX)?;
        (body.len() == TOKEN_BODY_CHARS && body.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| GatewayToken(SecretString::from(text.to_string())))
    }

    /// The plaintext, to show its owner once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// How lists show the token: its prefix and last four characters, as OpenRouter labels keys.
    pub fn label(&self) -> String {
        let text = self.expose();
        format!("{TOKEN_PREFIX}...{}", &text[text.len() - 4..])
    }

    /// The keyed hash the database keeps.
    pub fn digest(&self, key: &TokenKey) -> TokenDigest {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key.0.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(self.expose().as_bytes());
        let bytes = mac.finalize().into_bytes();
        TokenDigest(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl fmt::Debug for GatewayToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GatewayToken(ortb_…[redacted])")
    }
}

impl TokenKey {
    /// The fewest characters a token secret must have.
    pub const MIN_CHARS: usize = 32;

    /// The key, when it is long enough to be a secret.
    pub fn new(secret: SecretString) -> Option<TokenKey> {
        (secret.expose_secret().chars().count() >= TokenKey::MIN_CHARS).then_some(TokenKey(secret))
    }
}

impl TokenKey {
    /// A member's stable pseudonym for OpenRouter (`member-` and 16 hex characters of a keyed
    /// hash of their id): the same member always, never their name or Discord id.
    pub fn pseudonym(&self, member_id: i64) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.0.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(format!("member:{member_id}").as_bytes());
        let bytes = mac.finalize().into_bytes();
        let hex: String = bytes[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("member-{hex}")
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> TokenKey {
        TokenKey::new(SecretString::from(text.to_string())).unwrap()
    }

    #[test]
    fn tokens_are_new_each_time_and_read_back() {
        let a = GatewayToken::generate().unwrap();
        let b = GatewayToken::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with(TOKEN_PREFIX));
        assert_eq!(a.expose().len(), TOKEN_CHARS);
        let read = GatewayToken::parse(a.expose()).expect("a token reads back");
        let k = key(&"k".repeat(32));
        assert_eq!(read.digest(&k), a.digest(&k));
        assert!(!format!("{a:?}").contains(&a.expose()[5..]));
        let logged = crate::secret::redact_keys(&format!("Bearer {}", a.expose()));
        assert!(!logged.contains(&a.expose()[5..]), "{logged}");
    }

    #[test]
    fn only_a_token_shape_is_read() {
        let a = GatewayToken::generate().unwrap();
        assert!(GatewayToken::parse(&a.expose()[1..]).is_none());
        assert!(GatewayToken::parse(&format!("{}x", a.expose())).is_none());
        assert!(GatewayToken::parse("sk-or-v1-abc").is_none());
        assert!(GatewayToken::parse(&format!("ortb_{}", "é".repeat(22))).is_none());
    }

    #[test]
    fn the_digest_depends_on_the_key_and_hides_the_token() {
        let token = GatewayToken::generate().unwrap();
        let one = token.digest(&key(&"a".repeat(32)));
        let other = token.digest(&key(&"b".repeat(32)));
        assert_ne!(one, other);
        assert_eq!(one.0.len(), 64);
        assert!(!one.0.contains(&token.expose()[5..15]));
        assert!(TokenKey::new(SecretString::from("short".to_string())).is_none());
    }
}
