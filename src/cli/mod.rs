//! The command line: what an operator types, and the commands that need no Discord.

mod check;
#[cfg(feature = "demo")]
mod demo;
mod keys;
mod migrate;
mod report;
mod sync;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::logging::LogFormat;

pub use check::check;
#[cfg(feature = "demo")]
pub use demo::{DemoArgs, run_demo};
pub use keys::{KeyFormat, import_keys, list_keys};
pub use migrate::migrate;
pub use report::{ReportArgs, ReportFormat, print_report};
pub use sync::sync_now;

/// A Discord bot that runs a team's OpenRouter API keys.
#[derive(Debug, Parser)]
#[command(name = "openrouter-team-bot", version, about)]
pub struct Cli {
    /// The config file (see config.example.toml).
    #[arg(
        long,
        global = true,
        env = "OPENROUTER_TEAM_BOT_CONFIG",
        default_value = "config.toml"
    )]
    pub config: PathBuf,

    /// Log lines as text or JSON (RUST_LOG sets the level).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, start the bot and its jobs; stop cleanly on Ctrl-C or SIGTERM (the default).
    Run,
    /// Check the config, the database and the credentials, one line each.
    Check,
    /// Bring the database schema up to date.
    Migrate,
    /// Fetch every key's usage from OpenRouter now and store a snapshot.
    Sync,
    /// Watch the whole bot work for a simulated week, against a simulated Discord server and
    /// OpenRouter account on this machine: no config file or credentials needed.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Work with the team's keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the weekly digest from the database (Markdown or JSON), optionally with its chart.
    Report(ReportArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print the team's keys: member, name, usage today/week/month, limit, reset, state.
    List {
        /// table, json or csv.
        #[arg(long, value_enum, default_value_t = KeyFormat::Table)]
        format: KeyFormat,
        /// Read the keys stored at the last sync instead of asking OpenRouter.
        #[arg(long)]
        stored: bool,
    },
    /// Link keys that already exist at OpenRouter to the members whose names they carry.
    Import {
        /// Match key names against member names (for example `alice-laptop` or
        /// `team:alice:r3` to the member alice).
        #[arg(long, required = true)]
        match_names: bool,
    },
}
