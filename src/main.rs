//! The `openrouter-team-bot` binary: parses the command line and runs one command.

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use openrouter_team_bot::app::{self, AppError};
use openrouter_team_bot::cli::{self, Cli, Command, KeysCommand};
use openrouter_team_bot::config::Config;
use openrouter_team_bot::logging::{self, Scrubber};
use secrecy::ExposeSecret;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    // Whether --config was written on the command line (not only its default or environment).
    let config_given = matches.value_source("config") == Some(ValueSource::CommandLine);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let scrubber = Scrubber::default();
    let log_format = cli.log_format;
    match cli.command {
        // The demo prints its transcript; of the bot's own log only errors go with it.
        #[cfg(feature = "demo")]
        Some(Command::Demo(_)) => logging::init_with_default(log_format, scrubber.clone(), "error"),
        _ => logging::init(log_format, scrubber.clone()),
    }
    match run(cli, config_given, &scrubber).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            logging::print_error(log_format, &scrubber.scrub(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config_given: bool, scrubber: &Scrubber) -> Result<(), AppError> {
    let command = cli.command.unwrap_or(Command::Run);
    #[cfg(not(feature = "demo"))]
    let _ = config_given;
    // The demo brings its own simulated services and config: no file or credentials to load.
    #[cfg(feature = "demo")]
    if let Command::Demo(args) = &command {
        if config_given {
            return Err(AppError::Failed(format!(
                "`demo` does not read --config {}: it brings its own config and simulated Discord and OpenRouter, and writes that config to its folder (--out); run it without --config",
                cli.config.display()
            )));
        }
        return cli::run_demo(args).await;
    }
    let config = Config::load(&cli.config, env);
    // Known before anything can log: `check` too talks to OpenRouter and Discord.
    if let Ok(config) = &config {
        if let Some(token) = &config.discord_unchecked().token {
            scrubber.add(token.expose_secret());
        }
        if let Ok(key) = config.management_key() {
            scrubber.add(key.expose_secret());
        }
    }
    if let Command::Check = command {
        return cli::check(&cli.config, env).await;
    }
    let config = config?;
    match command {
        Command::Run => app::run(&config).await,
        Command::Check => cli::check(&cli.config, env).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => cli::run_demo(&args).await,
        Command::Migrate => cli::migrate(&config).await,
        Command::Sync => cli::sync_now(&config).await,
        Command::Keys {
            command: KeysCommand::List { format, stored },
        } => cli::list_keys(&config, format, stored).await,
        Command::Keys {
            command: KeysCommand::Import { .. },
        } => cli::import_keys(&config).await,
        Command::Report(args) => cli::print_report(&config, &args).await,
    }
}
