//! Every log line of a test binary, captured so tests can check that no secret reaches a log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use openrouter_team_bot::logging::{self, LogFormat};

/// The captured log output so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per test binary) the bot's own subscriber at the most verbose level, without
/// the scrubber: what a secret-leaking code path, the bot's or a library's, would write is what
/// the test sees.
pub fn capture() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = logging::subscriber(
                LogFormat::Text,
                tracing_subscriber::EnvFilter::new("trace"),
                move || writer.clone(),
            );
            let _ = tracing::subscriber::set_global_default(subscriber);
            captured
        })
        .clone()
}

/// The ways a library may print `secret`: as it is, JSON-escaped, base64 (at each of the three
/// alignments it can have inside a longer text), hex, and as a byte list. Each with its name.
pub fn encodings_of(secret: &str) -> Vec<(String, String)> {
    let bytes = secret.as_bytes();
    let mut out = vec![
        ("plain".to_string(), secret.to_string()),
        (
            "JSON-escaped".to_string(),
            serde_json::to_string(&serde_json::to_string(secret).unwrap_or_default())
                .unwrap_or_default(),
        ),
        ("hex".to_string(), hex(bytes)),
        ("HEX".to_string(), hex(bytes).to_uppercase()),
        (
            "byte list".to_string(),
            bytes
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "byte list without spaces".to_string(),
            bytes
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
    ];
    for lead in 0..3 {
        let mut aligned = vec![b'x'; lead];
        aligned.extend_from_slice(bytes);
        for (name, engine) in [
            ("base64", &base64::engine::general_purpose::STANDARD),
            ("base64url", &base64::engine::general_purpose::URL_SAFE),
        ] {
            let encoded = engine.encode(&aligned);
            // The first and last groups also depend on the text around the secret.
            let middle = encoded[4..encoded.len() - 4].to_string();
            out.push((format!("{name} at offset {lead}"), middle));
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asserts that `log` holds none of `secrets` in any encoding of [`encodings_of`].
pub fn assert_hidden(log: &str, secrets: &[&str], context: &str) {
    for secret in secrets {
        for (encoding, form) in encodings_of(secret) {
            if let Some(at) = log.find(&form) {
                let line_start = log[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = log[at..].find('\n').map_or(log.len(), |i| at + i);
                panic!(
                    "{context}: a log line carries a secret ({encoding}):\n{}",
                    &log[line_start..line_end]
                );
            }
        }
    }
}
