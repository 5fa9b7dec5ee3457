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
        // A bare prefix carries no secret; it is also how a masked key starts, so leaving it
        // alone keeps masking an already masked text from adding a second marker.
        if key_len > 0 {
            out.push_str("…[redacted]");
        }
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
    fn masking_twice_changes_nothing_more() {
        let once = redact_keys("bad key sk-or-v1-0123456789abcdef.");
        assert_eq!(redact_keys(&once), once);
        assert_eq!(once, "bad key sk-or-…[redacted].");
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

/// A database URL fit for messages: any password is replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let credentials = &authority[..at];
            match credentials.split_once(':') {
                Some((user, _password)) => format!(
                    "{}{user}:***{}",
                    &url[..scheme_end],
                    &url[scheme_end + at..]
                ),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod url_tests {
    use super::redact_url;

    #[test]
    fn passwords_in_database_urls_are_masked() {
        assert_eq!(
            redact_url("postgres://bot:hunter2@db:5432/team"),
            "postgres://bot:***@db:5432/team"
        );
        assert_eq!(
            redact_url("postgres://bot@db/team"),
            "postgres://bot@db/team"
        );
        assert_eq!(redact_url("sqlite://team.db"), "sqlite://team.db");
    }
}
