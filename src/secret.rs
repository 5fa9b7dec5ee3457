//! Keeping secrets out of text: anything shaped like an OpenRouter key is masked before a
//! message leaves the bot for a log line, an error or a channel.

/// The prefixes of OpenRouter's API and management keys.
const KEY_PREFIXES: [&str; 2] = ["sk-or-", "sk-proj-"];

/// `text` with every OpenRouter-looking key replaced by `sk-or-…[redacted]`.
pub fn redact_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = KEY_PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, *p)))
        .min_by_key(|(i, _)| *i)
    {
        out.push_str(&rest[..at]);
        let after = &rest[at + prefix.len()..];
        let key_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        out.push_str(prefix);
        out.push_str("…[redacted]");
        rest = &after[key_len..];
    }
    out.push_str(rest);
    out
}

/// `text` with `secret` replaced wherever it occurs (for secrets of any shape, such as a Discord token).
pub fn redact_value(text: &str, secret: &str) -> String {
    if secret.len() < 8 {
        return text.to_string();
    }
    text.replace(secret, "[redacted]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keys_inside_messages() {
        let text = "bad key sk-or-v1-0123456789abcdef, try again (sk-or-v1-zz)";
        let redacted = redact_keys(text);
        assert_eq!(
            redacted,
            "bad key sk-or-…[redacted], try again (sk-or-…[redacted])"
        );
        assert!(!redacted.contains("0123456789abcdef"));
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        assert_eq!(redact_keys("limit reached"), "limit reached");
        assert_eq!(redact_value("token abc", "abc"), "token abc");
        assert_eq!(
            redact_value("token abcdefghij!", "abcdefghij"),
            "token [redacted]!"
        );
    }
}
