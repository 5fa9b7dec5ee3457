//! `demo`: the whole bot, running against a simulated Discord server and a simulated OpenRouter
//! account served on 127.0.0.1, playing a scripted week of a small team in simulated time, so
//! anyone can watch it work without a Discord application or a management key.
//!
//! The bot is the real one (`app::start_bot`: the same commands, buttons, jobs, gateway and
//! store); the fakes are the ones the tests use. The story is told in the terminal as it happens and written
//! to a folder with the digest's chart and CSV and the database, which `keys list --stored` and
//! `report` can be pointed at afterwards.

mod cast;
mod client;
mod document;
mod feed;
mod pace;
mod reading;
mod settings;
mod spend;
mod stage;
mod story;
mod summary;
mod transcript;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use fakes::discord::{GaveUp, Message, Violation};

use crate::stage::{Stage, StageError};
use crate::store::StoreError;

pub use pace::Speed;
pub use story::DIGEST_JOB;
pub use summary::{MemberLine, Summary};

/// What `demo` is asked to do.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where to write the files; a new temporary folder when `None`.
    pub out: Option<PathBuf>,
    /// How fast to play for a person watching.
    pub speed: Speed,
}

/// The files the demo writes.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoFiles {
    /// The folder they are in.
    pub dir: PathBuf,
    /// The config the bot ran with (no secrets in it).
    pub config: PathBuf,
    /// The conversation as Markdown.
    pub transcript: PathBuf,
    /// The chart attached to the weekly digest.
    pub chart: PathBuf,
    /// The CSV attached to the weekly digest.
    pub csv: PathBuf,
    /// The bot's SQLite database.
    pub database: PathBuf,
}

impl DemoFiles {
    fn in_dir(dir: PathBuf) -> DemoFiles {
        DemoFiles {
            config: dir.join("config.toml"),
            transcript: dir.join("transcript.md"),
            chart: dir.join("digest.png"),
            csv: dir.join("digest.csv"),
            database: dir.join("demo.db"),
            dir,
        }
    }

    /// Creates the folder (a new temporary one without `out`) and clears a previous demo's
    /// database from it, so the story starts from nothing.
    fn prepare(out: Option<&Path>) -> Result<DemoFiles, DemoError> {
        let dir = match out {
            Some(dir) => dir.to_path_buf(),
            None => std::env::temp_dir().join(format!(
                "openrouter-team-bot-demo-{}-{}",
                std::process::id(),
                Utc::now().timestamp_millis()
            )),
        };
        std::fs::create_dir_all(&dir).map_err(|e| DemoError::write(&dir, e))?;
        // The database URL in the config must work from any working directory.
        let dir = std::path::absolute(&dir).map_err(|e| DemoError::write(&dir, e))?;
        let files = DemoFiles::in_dir(dir);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let stale = PathBuf::from(format!("{}{suffix}", files.database.display()));
            match std::fs::remove_file(&stale) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(DemoError::write(&stale, e)),
            }
        }
        for stale in [&files.chart, &files.csv] {
            match std::fs::remove_file(stale) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(DemoError::write(stale, e)),
            }
        }
        Ok(files)
    }
}

/// How the demo went.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    /// What it wrote, and where.
    pub files: DemoFiles,
    /// Whether the weekly digest was posted (and its chart and CSV written).
    pub digest_posted: bool,
    /// Everything the simulated Discord refused, as Discord would have: none if all is well.
    pub violations: Vec<Violation>,
    /// The team at the end of the week.
    pub summary: Summary,
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Setup(String),
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Stage(#[from] StageError),
    #[error("the bot did not do what the story expected: {0}")]
    Waited(#[from] GaveUp),
    #[error("the story went off script: {0}")]
    Story(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl DemoError {
    fn write(path: &Path, source: std::io::Error) -> DemoError {
        DemoError::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    fn story(what: impl Into<String>) -> DemoError {
        DemoError::Story(what.into())
    }
}

/// Monday 00:00 UTC of the simulated week.
fn week_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// When the bot starts: Monday 09:00 UTC.
fn bot_starts() -> DateTime<Utc> {
    week_start() + Duration::hours(9)
}

/// Plays the demo, telling it on `terminal`.
pub async fn run(
    options: &DemoOptions,
    terminal: &mut dyn Write,
) -> Result<DemoOutcome, DemoError> {
    let files = DemoFiles::prepare(options.out.as_deref())?;
    intro(terminal, &files)?;
    let stage = stage::open(&files.config, &files.database, bot_starts()).await?;
    let mut transcript = transcript::Transcript::new(terminal, options.speed, week_start());
    let played = play(&stage, &mut transcript).await;
    // The bot stops (and its database is closed) whether or not the story got to the end.
    let stopped = stage.close().await;
    let (ending, summary, violations) = played?;
    stopped?;
    let saved = save_digest_files(&ending.digest, &files)?;
    let document = document::render(transcript.entries(), week_start(), &summary, &saved);
    std::fs::write(&files.transcript, document)
        .map_err(|e| DemoError::write(&files.transcript, e))?;
    let digest_posted = !ending.digest.is_empty();
    epilogue(&mut transcript, &files, &summary, &ending.digest, &saved)?;
    Ok(DemoOutcome {
        files,
        digest_posted,
        violations,
        summary,
    })
}

/// The story, then the team as it stands and what the simulated Discord refused.
async fn play(
    stage: &Stage,
    transcript: &mut transcript::Transcript<'_>,
) -> Result<(story::Ending, Summary, Vec<Violation>), DemoError> {
    let ending = story::Story::new(stage, transcript).play().await?;
    let store = stage
        .store()
        .ok_or_else(|| DemoError::story("the bot stopped before the end of the story"))?;
    let summary = Summary::gather(store, &stage.discord).await?;
    Ok((ending, summary, stage.discord.violations()))
}

fn intro(terminal: &mut dyn Write, files: &DemoFiles) -> Result<(), DemoError> {
    let people: Vec<String> = cast::PEOPLE
        .iter()
        .map(|p| {
            let roles: Vec<&str> = p.roles.iter().filter_map(|r| cast::role_name(*r)).collect();
            if roles.is_empty() {
                p.display_name.to_string()
            } else {
                format!("{} ({})", p.display_name, roles.join(", "))
            }
        })
        .collect();
    writeln!(
        terminal,
        "openrouter-team-bot demo: a week at \"{}\"\n\
         The real bot runs against a simulated Discord server and a simulated OpenRouter account,\n\
         both on 127.0.0.1. Time is simulated (UTC); every key and token is fake; the money is made up.\n\
         In the server: {}.\n\
         Writing to {}",
        cast::GUILD_NAME,
        people.join(", "),
        files.dir.display()
    )?;
    terminal.flush()?;
    Ok(())
}

/// Writes the digest's chart and CSV, and says where the transcript should link each
/// attachment (file name as posted -> file name in the folder).
fn save_digest_files(
    digest: &[Message],
    files: &DemoFiles,
) -> Result<HashMap<String, String>, DemoError> {
    let mut saved = HashMap::new();
    let attachments = digest.iter().flat_map(|m| m.attachments.iter());
    let mut chart = false;
    let mut csv = false;
    for attachment in attachments {
        let name = attachment.filename.to_ascii_lowercase();
        let target = if name.ends_with(".png") && !chart {
            chart = true;
            &files.chart
        } else if name.ends_with(".csv") && !csv {
            csv = true;
            &files.csv
        } else {
            continue;
        };
        std::fs::write(target, &attachment.bytes).map_err(|e| DemoError::write(target, e))?;
        if let Some(file_name) = target.file_name() {
            saved.insert(
                attachment.filename.clone(),
                file_name.to_string_lossy().into_owned(),
            );
        }
    }
    Ok(saved)
}

fn epilogue(
    transcript: &mut transcript::Transcript<'_>,
    files: &DemoFiles,
    summary: &Summary,
    digest: &[Message],
    saved: &HashMap<String, String>,
) -> Result<(), DemoError> {
    transcript.say("")?;
    transcript.say("The team at the end of the week (from the bot's database):")?;
    transcript.say(&summary.table())?;
    transcript.say(&summary.actions_line())?;
    transcript.say("")?;
    if digest.is_empty() {
        transcript.say("No weekly digest was posted.")?;
    } else {
        transcript.say(&format!(
            "The weekly digest was posted in #key-reports ({}, {} attached).",
            crate::domain::count_len(digest.len(), "message"),
            crate::domain::count_len(saved.len(), "file")
        ))?;
    }
    transcript.say("")?;
    transcript.say(&format!("Written to {}:", files.dir.display()))?;
    let mut written = vec![(
        &files.transcript,
        "the whole conversation, embeds rendered as Markdown",
    )];
    if saved.values().any(|f| files.chart.ends_with(f)) {
        written.push((&files.chart, "the chart attached to the digest"));
    }
    if saved.values().any(|f| files.csv.ends_with(f)) {
        written.push((&files.csv, "the CSV attached to the digest"));
    }
    written.push((&files.database, "the bot's SQLite database"));
    written.push((
        &files.config,
        "the config the bot ran with (no secrets in it)",
    ));
    for (path, what) in written {
        transcript.say(&format!("  {:<60}  {what}", path.display()))?;
    }
    transcript.say("")?;
    transcript.say("Look around (no credentials needed):")?;
    let config = shell_quoted(&files.config);
    transcript.say(&format!(
        "  openrouter-team-bot keys list --stored --config {config}"
    ))?;
    transcript.say(&format!(
        "  openrouter-team-bot report --week {} --config {config}",
        week_start().format("%G-W%V")
    ))?;
    Ok(())
}

/// A path as a shell argument.
fn shell_quoted(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@,".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
