//! The demo's stage: the simulated Discord and OpenRouter on 127.0.0.1, the config written for
//! them, and the real bot started against both with a clock that moves only when told.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::DemoError;
use super::{cast, settings};
use crate::app::{self, Bot, JobMode};
use crate::clock::{Clock, ManualClock};
use crate::fake::discord::FakeDiscord;
use crate::fake::openrouter::FakeOpenRouter;
use crate::jobs::RunReport;
use crate::money::Usd;
use crate::openrouter::Credits;
use crate::store::Store;

/// The account's credits at the start (the team's spend is counted against them).
const CREDITS: Usd = Usd::from_dollars(500);

/// How long the bot may take to start against the local fakes (it takes well under a second).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the bot may not reach 127.0.0.1: a proxy in the environment that its HTTP clients use.
fn proxy_hint() -> String {
    let proxied = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .find(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    let exempt = ["NO_PROXY", "no_proxy"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| v.contains("127.0.0.1") || v.trim() == "*"));
    match proxied {
        Some(name) if !exempt => format!(
            " ({name} is set and NO_PROXY does not name 127.0.0.1: run the demo with NO_PROXY=127.0.0.1)"
        ),
        _ => String::new(),
    }
}

/// Everything running for the demo.
pub struct Stage {
    /// The simulated Discord, where the people of the story act.
    pub discord: FakeDiscord,
    /// The simulated OpenRouter, whose usage counters the story moves.
    pub openrouter: FakeOpenRouter,
    clock: Arc<ManualClock>,
    bot: Bot,
}

impl Stage {
    /// Starts both fakes, writes the config to `config_file` (with the database at `database`),
    /// starts the bot at `start` and waits until it is connected with its commands registered.
    pub async fn open(
        config_file: &Path,
        database: &Path,
        start: DateTime<Utc>,
    ) -> Result<Stage, DemoError> {
        let discord = FakeDiscord::start(cast::guild()).await?;
        let openrouter = FakeOpenRouter::start().await?;
        openrouter.set_now(start);
        openrouter.set_credits(Credits {
            total_credits: CREDITS,
            total_usage: Usd::ZERO,
        });
        let text = settings::config_text(discord.api_url(), &openrouter.base_url(), database)?;
        std::fs::write(config_file, &text).map_err(|e| DemoError::write(config_file, e))?;
        let config = settings::parse(&text, &openrouter.management_key())?;
        let clock = Arc::new(ManualClock::new(start));
        let starting = app::start_bot(&config, clock.clone(), JobMode::OnDemand);
        let bot = match tokio::time::timeout(START_TIMEOUT, starting).await {
            Ok(started) => started.map_err(|e| DemoError::Bot(format!("{e}{}", proxy_hint())))?,
            Err(_) => {
                return Err(DemoError::Bot(format!(
                    "it did not reach the simulated Discord and OpenRouter on 127.0.0.1 within {} seconds{}",
                    START_TIMEOUT.as_secs(),
                    proxy_hint()
                )));
            }
        };
        discord
            .until("the bot to connect and register its commands", |d| {
                (!d.identify_payloads().is_empty() && d.guild_commands().is_some()).then_some(())
            })
            .await?;
        Ok(Stage {
            discord,
            openrouter,
            clock,
            bot,
        })
    }

    /// The simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the simulated time, for the bot and for OpenRouter alike.
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.openrouter.set_now(at);
    }

    /// What OpenRouter says the account has used, given the team's spend so far.
    pub fn set_account_usage(&self, used: Usd) {
        self.openrouter.set_credits(Credits {
            total_credits: CREDITS,
            total_usage: used,
        });
    }

    /// Runs the bot's scheduled jobs that are due at the simulated time.
    pub async fn run_due_jobs(&self) -> Vec<RunReport> {
        self.bot.run_due_jobs().await
    }

    /// The bot's database.
    pub fn store(&self) -> &Store {
        self.bot.store()
    }

    /// Stops the bot (closing its database); the fakes stop when dropped.
    pub async fn close(self) -> Result<(), DemoError> {
        self.bot
            .shutdown()
            .await
            .map_err(|e| DemoError::Bot(e.to_string()))
    }
}
