//! Log output: human-readable or JSON lines, filtered by `RUST_LOG`, and scrubbed of secrets on
//! the way out as a last line of defence (no code path is meant to log one in the first place).

use std::io::{self, Write};
use std::sync::{Arc, RwLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::secret::{redact_keys, redact_value};

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Secret values to mask in every log line, added once they are known (for instance the
/// Discord token, which has no recognisable prefix).
#[derive(Clone, Default)]
pub struct Scrubber {
    values: Arc<RwLock<Vec<String>>>,
}

impl Scrubber {
    /// Masks `value` from now on.
    pub fn add(&self, value: &str) {
        if let Ok(mut values) = self.values.write() {
            values.push(value.to_string());
        }
    }

    /// `text` with keys and known secret values masked.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = redact_keys(text);
        if let Ok(values) = self.values.read() {
            for value in values.iter() {
                out = redact_value(&out, value);
            }
        }
        out
    }
}

/// A writer factory that scrubs each line before it reaches `inner`.
#[derive(Clone)]
pub struct ScrubbingWriter<W> {
    inner: W,
    scrubber: Scrubber,
}

impl<W> ScrubbingWriter<W> {
    pub fn new(inner: W, scrubber: Scrubber) -> Self {
        ScrubbingWriter { inner, scrubber }
    }
}

/// One log event's bytes, scrubbed and written when the event is complete.
pub struct ScrubbedLine<W: Write> {
    buffer: Vec<u8>,
    inner: W,
    scrubber: Scrubber,
}

impl<W: Write> Write for ScrubbedLine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buffer);
        let scrubbed = self.scrubber.scrub(&text);
        self.buffer.clear();
        self.inner.write_all(scrubbed.as_bytes())?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for ScrubbedLine<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<'a, M> MakeWriter<'a> for ScrubbingWriter<M>
where
    M: MakeWriter<'a>,
{
    type Writer = ScrubbedLine<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedLine {
            buffer: Vec::new(),
            inner: self.inner.make_writer(),
            scrubber: self.scrubber.clone(),
        }
    }
}

/// Installs the global subscriber writing to stderr. `RUST_LOG` overrides the default level
/// (`info` for the bot, `warn` for libraries).
pub fn init(format: LogFormat, scrubber: Scrubber) {
    init_with_default(format, scrubber, "warn,openrouter_team_bot=info");
}

/// [`init`] with another default filter when `RUST_LOG` is not set (the demo tells its own
/// story on stdout and keeps the bot's logs to errors).
pub fn init_with_default(format: LogFormat, scrubber: Scrubber, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let writer = ScrubbingWriter::new(io::stderr, scrubber);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Prints the error that ends a command on stderr: `error: ...` in text mode, or one JSON
/// object like the log lines in JSON mode, so that whatever collects the logs can read every
/// line. Printed whatever `RUST_LOG` says: the operator must always learn why a command failed.
pub fn print_error(format: LogFormat, message: &str) {
    match format {
        LogFormat::Text => eprintln!("error: {message}"),
        LogFormat::Json => eprintln!(
            "{}",
            serde_json::json!({
                "timestamp": chrono::Utc::now()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "level": "ERROR",
                "message": message,
                "target": env!("CARGO_CRATE_NAME"),
            })
        ),
    }
}
