//! Log output: human-readable or JSON lines, filtered by `RUST_LOG`, and scrubbed of secrets on
//! the way out as a last line of defence (no code path is meant to log one in the first place).

use std::io::{self, Write};
use std::sync::{Arc, RwLock};

use tracing::Metadata;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::fmt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::secret::{redact_encoded, redact_keys, redact_value};

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

    /// `text` with keys and known secret values masked, whether written out plainly or
    /// encoded (a byte list, hex or base64), as libraries print request bodies.
    pub fn scrub(&self, text: &str) -> String {
        let values = self.values.read().map(|v| v.clone()).unwrap_or_default();
        let mut out = redact_encoded(text, &values);
        out = redact_keys(&out);
        for value in &values {
            out = redact_value(&out, value);
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
    let _ = subscriber(format, filter, ScrubbingWriter::new(io::stderr, scrubber)).try_init();
}

/// The bot's subscriber: `filter` (what the operator asked for) less what must never be logged,
/// formatted as `format`, written through `writer`.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // Global filters: a span they refuse is never created, so its fields are never recorded.
    let filtered = tracing_subscriber::registry()
        .with(filter)
        .with(filter_fn(never_carries_a_secret));
    let layer = match format {
        LogFormat::Text => fmt::layer().with_writer(writer).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(writer)
            .boxed(),
    };
    filtered.with(layer)
}

/// Targets whose spans and verbose events print whole messages: serenity's `request` and
/// `perform` spans record each HTTP request with its JSON body as a byte list (how a revealed key
/// would reach the log), and tungstenite prints every gateway frame, IDENTIFY and its token
/// included, in hex. Whatever `RUST_LOG` asks for, only their warnings and errors are kept, and
/// never a span, since a span's fields are printed with every event in it.
const MESSAGE_PRINTING_TARGETS: [&str; 3] = ["serenity::http", "tungstenite", "tokio_tungstenite"];

/// Whether a span or event may be logged at all.
fn never_carries_a_secret(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    let prints_messages = MESSAGE_PRINTING_TARGETS
        .iter()
        .any(|t| target == *t || target.strip_prefix(t).is_some_and(|r| r.starts_with("::")));
    !prints_messages || (metadata.is_event() && *metadata.level() <= tracing::Level::WARN)
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
