//! Keeping secrets out of text: anything shaped like an OpenRouter key or a gateway token is
//! masked before a message leaves the bot for a log line, an error or a channel.

/// How the bot's gateway tokens start.
pub const GATEWAY_TOKEN_PREFIX: &str = "ortb_";

/// The prefixes of OpenRouter's API and management keys, and of the bot's gateway tokens.
const KEY_PREFIXES: [&str; 3] = ["sk-or-", "sk-proj-", GATEWAY_TOKEN_PREFIX];

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

/// The fewest characters after a key prefix that make it a key rather than a mention of one.
const MIN_KEY_BODY: usize = 8;

/// `text` with every byte list (`[115, 107, 45, …]`), hex run or base64 run whose bytes hold an
/// OpenRouter key or one of `known` replaced by `[redacted]`. Libraries print request bodies in
/// these forms, which the plain-text masks cannot see.
pub fn redact_encoded(text: &str, known: &[String]) -> String {
    let holds_secret = |bytes: &[u8]| holds_secret(bytes, known);
    let text = replace_runs(text, byte_list_end, |run| {
        decode_byte_list(run).is_some_and(|b| holds_secret(&b))
    });
    replace_runs(&text, base64_run_end, |run| {
        decodings(run).iter().any(|b| holds_secret(b))
    })
}

/// Whether `bytes` hold a key (a prefix and a key-shaped body) or one of `known`.
fn holds_secret(bytes: &[u8], known: &[String]) -> bool {
    let is_key_byte = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    let has_key = KEY_PREFIXES.iter().any(|prefix| {
        let prefix = prefix.as_bytes();
        bytes.windows(prefix.len()).enumerate().any(|(at, w)| {
            w == prefix
                && bytes[at + prefix.len()..]
                    .iter()
                    .take_while(|b| is_key_byte(b))
                    .count()
                    >= MIN_KEY_BODY
        })
    });
    has_key
        || known
            .iter()
            .filter(|v| v.len() >= MIN_KEY_BODY)
            .any(|v| bytes.windows(v.len()).any(|w| w == v.as_bytes()))
}

/// `text` with each run that `run_end` finds (given the rest of the text from a run's possible
/// start, it says where the run ends) replaced by `[redacted]` when `is_secret` says so.
fn replace_runs(
    text: &str,
    run_end: impl Fn(&str) -> Option<usize>,
    is_secret: impl Fn(&str) -> bool,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = match run_end(rest) {
            Some(end) => end,
            None => rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len()),
        };
        let run = &rest[..end];
        if run_end(rest).is_some() && is_secret(run) {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The end of a list of at least [`MIN_KEY_BODY`] decimal numbers separated by commas at the
/// start of `text`.
fn byte_list_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut at, mut numbers, mut end) = (0, 0, 0);
    loop {
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            break;
        }
        at += digits;
        end = at;
        numbers += 1;
        let spaces = |from: usize| bytes[from..].iter().take_while(|b| **b == b' ').count();
        let after = at + spaces(at);
        if bytes.get(after) != Some(&b',') {
            break;
        }
        at = after + 1;
        at += spaces(at);
    }
    (numbers >= MIN_KEY_BODY).then_some(end)
}

fn decode_byte_list(run: &str) -> Option<Vec<u8>> {
    run.split(',')
        .map(|n| n.trim().parse::<u8>().ok())
        .collect()
}

/// The end of a run of at least 16 base64 (either alphabet) characters with its padding.
fn base64_run_end(text: &str) -> Option<usize> {
    let body = text
        .find(|c: char| base64_value(c).is_none())
        .unwrap_or(text.len());
    let padded = body + text[body..].chars().take_while(|c| *c == '=').count();
    (body >= 16).then_some(padded)
}

fn base64_value(c: char) -> Option<u8> {
    match c {
        'A'..='Z' => Some(c as u8 - b'A'),
        'a'..='z' => Some(c as u8 - b'a' + 26),
        '0'..='9' => Some(c as u8 - b'0' + 52),
        '+' | '-' => Some(62),
        '/' | '_' => Some(63),
        _ => None,
    }
}

/// What a run may encode: hex from any of its first four characters (either parity, with or
/// without a `0x`), base64 from any of its first four (a run cut out of a longer one need not
/// start on a group boundary).
fn decodings(run: &str) -> Vec<Vec<u8>> {
    let run = run.trim_end_matches('=');
    let mut out = Vec::with_capacity(8);
    for skip in 0..4 {
        let hex: Option<Vec<u8>> = run.as_bytes()[skip.min(run.len())..]
            .chunks_exact(2)
            .map(|pair| {
                let pair = std::str::from_utf8(pair).ok()?;
                u8::from_str_radix(pair, 16).ok()
            })
            .collect();
        out.extend(hex);
    }
    for skip in 0..4 {
        let values: Vec<u8> = run.chars().skip(skip).filter_map(base64_value).collect();
        let bytes = values
            .chunks(4)
            .flat_map(|group| {
                let bits = group
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, v)| acc | (u32::from(*v) << (18 - 6 * i)));
                let whole = (group.len() * 6) / 8;
                (0..whole).map(move |i| (bits >> (16 - 8 * i)) as u8)
            })
            .collect();
        out.push(bytes);
    }
    out
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

    const KEY: &str = "sk-or-v1-0123456789abcdef0123456789abcdef";

    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        bytes
            .chunks(3)
            .flat_map(|chunk| {
                let bits = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
                (0..=chunk.len())
                    .map(move |i| ALPHABET[(bits >> (18 - 6 * i)) as usize & 63] as char)
            })
            .collect()
    }

    #[test]
    fn masks_keys_in_every_encoding_a_library_may_print() {
        let body = format!(r#"{{"type":4,"data":{{"content":"Your key: `{KEY}`"}}}}"#);
        let list = format!("{:?}", body.as_bytes());
        let hex: String = body.bytes().map(|b| format!("{b:02x}")).collect();
        let upper = hex.to_uppercase();
        let encoded = [
            format!("request{{req=Request {{ body: Some({list}) }}}}"),
            format!("body={hex} end"),
            format!("body={upper}"),
            format!("payload: 0x{hex}"),
            format!("body=\"{}\"", base64(body.as_bytes())),
            format!("x {} y", base64(format!("a{body}").as_bytes())),
            format!("x {} y", base64(format!("ab{body}").as_bytes())),
            format!("{:?}", KEY.as_bytes()),
        ];
        for line in encoded {
            let masked = redact_encoded(&line, &[]);
            assert!(masked.contains("[redacted]"), "{line} -> {masked}");
            assert!(!masked.contains("0123456789abcdef"), "{masked}");
        }
    }

    #[test]
    fn masks_known_values_in_byte_lists() {
        let token = "discord.token-0123456789";
        let line = format!("auth: {:?}", token.as_bytes());
        assert_eq!(
            redact_encoded(&line, &[token.to_string()]),
            "auth: [[redacted]]"
        );
    }

    #[test]
    fn leaves_encoded_text_without_secrets_alone() {
        let list = format!("{:?}", br#"{"content":"hello there, friend"}"#);
        let hex: String = b"nothing secret here at all"
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for line in [
            format!("body: Some({list})"),
            format!("id={hex}"),
            "span{id=1234567890 offset=100, 200, 300}".to_string(),
            "a plain line about team:mia:r1".to_string(),
        ] {
            assert_eq!(redact_encoded(&line, &[]), line);
        }
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
