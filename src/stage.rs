//! The real bot started on the fakes that `fakes::stage` sets up, with a clock that moves only
//! when told: the one way the `demo` command, the tests and the benchmarks run "fakes + config +
//! bot".
//!
//! The caller starts the fakes ([`Fakes::start`]), writes the config text (pointed at them with
//! [`Fakes::point_config`]) and opens a [`Stage`]; the bot is handed the fakes' Discord token
//! and management key, and reads nothing from the environment.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fakes::discord::{FakeDiscord, GaveUp};
use fakes::openrouter::FakeOpenRouter;
use fakes::stage::{self as fake_stage, Fakes};

use crate::app::{self, Bot, JobMode};
use crate::clock::{Clock, ManualClock};
use crate::config::{self, Config, ConfigError};
use crate::jobs::RunReport;
use crate::store::Store;

/// The secret a staged gateway hashes its tokens with.
pub const TOKEN_SECRET: &str = "stage-gateway-token-secret-0123456789abcdef";

/// How long the bot may take to start against the local fakes (it takes well under a second).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a stage could not be opened, or its bot not started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The config text is not valid.
    #[error("the config for the fakes is not valid: {0}")]
    Config(#[from] ConfigError),
    /// The bot failed to start, or did not start within half a minute.
    #[error("the bot did not start: {0}")]
    Start(String),
    /// The bot started but did not connect and register its commands in time.
    #[error("{0}")]
    NotReady(#[from] GaveUp),
    /// The bot did not stop cleanly.
    #[error("the bot did not stop cleanly: {0}")]
    Stop(String),
}

/// The fakes, the config and the bot running on them.
pub struct Stage {
    /// The fake Discord, where the people of a test or of the demo act.
    pub discord: FakeDiscord,
    /// The fake OpenRouter.
    pub openrouter: FakeOpenRouter,
    /// The bot's clock; it starts at the fake OpenRouter's time.
    pub clock: Arc<ManualClock>,
    /// The config the bot runs with, parsed from [`Stage::config_text`].
    pub config: Config,
    config_text: String,
    bot: Option<Bot>,
}

impl Stage {
    /// Parses `config_text` (already pointed at `fakes`), starts the bot with it at the fake
    /// OpenRouter's time, and waits until the bot is connected with its commands registered.
    pub async fn open(fakes: Fakes, config_text: String) -> Result<Stage, StageError> {
        let Fakes {
            discord,
            openrouter,
        } = fakes;
        let config = parse_config(&config_text, &discord.token(), &openrouter)?;
        let clock = Arc::new(ManualClock::new(openrouter.now()));
        let mut stage = Stage {
            discord,
            openrouter,
            clock,
            config,
            config_text,
            bot: None,
        };
        stage.start_bot().await?;
        Ok(stage)
    }

    /// The config file's text.
    pub fn config_text(&self) -> &str {
        &self.config_text
    }

    /// Replaces the config; the bot runs with it from its next start.
    pub fn set_config_text(&mut self, text: String) -> Result<(), StageError> {
        self.config = parse_config(&text, &self.discord.token(), &self.openrouter)?;
        self.config_text = text;
        Ok(())
    }

    /// The same config, with another Discord token handed to the bot.
    pub fn config_with_token(&self, token: &str) -> Result<Config, ConfigError> {
        parse_config(&self.config_text, token, &self.openrouter)
    }

    /// The time on the bot's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the time, for the bot and the fake OpenRouter alike.
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.openrouter.set_now(at);
    }

    /// Moves the time forward by `by`, for the bot and the fake OpenRouter alike.
    pub fn advance(&self, by: chrono::Duration) {
        self.set_time(self.now() + by);
    }

    /// The running bot; `None` while it is stopped.
    pub fn bot(&self) -> Option<&Bot> {
        self.bot.as_ref()
    }

    /// The running bot's database.
    pub fn store(&self) -> Option<&Store> {
        self.bot.as_ref().map(|bot| bot.store())
    }

    /// Runs the bot's scheduled jobs that are due at the stage's time; nothing while it is
    /// stopped.
    pub async fn run_due_jobs(&self) -> Vec<RunReport> {
        match &self.bot {
            Some(bot) => bot.run_due_jobs().await,
            None => Vec::new(),
        }
    }

    /// Starts the bot (stopping it first if it runs) with the current config and the stage's
    /// clock, its jobs run only on [`Stage::run_due_jobs`]; waits until it has connected anew
    /// and its commands are registered.
    pub async fn start_bot(&mut self) -> Result<(), StageError> {
        self.stop_bot().await?;
        let earlier = self.discord.ready_count();
        let starting = app::start_bot(&self.config, self.clock.clone(), JobMode::OnDemand);
        let bot = match tokio::time::timeout(START_TIMEOUT, starting).await {
            Ok(started) => {
                started.map_err(|e| StageError::Start(format!("{e}{}", proxy_hint())))?
            }
            Err(_) => {
                return Err(StageError::Start(format!(
                    "it did not reach the fake Discord and OpenRouter on 127.0.0.1 within {} seconds{}",
                    START_TIMEOUT.as_secs(),
                    proxy_hint()
                )));
            }
        };
        self.bot = Some(bot);
        fake_stage::wait_for_bot(&self.discord, earlier).await?;
        Ok(())
    }

    /// Stops the bot cleanly, closing its database; nothing happens when it is stopped already.
    pub async fn stop_bot(&mut self) -> Result<(), StageError> {
        match self.bot.take() {
            Some(bot) => bot
                .shutdown()
                .await
                .map_err(|e| StageError::Stop(e.to_string())),
            None => Ok(()),
        }
    }

    /// Stops the bot at once, as `kill -9` would: nothing is drained or written on the way out.
    pub async fn crash_bot(&mut self) {
        if let Some(bot) = self.bot.take() {
            bot.crash().await;
        }
    }

    /// The gateway's base URL (`http://127.0.0.1:PORT/api/v1`), while the bot runs one.
    pub fn gateway_url(&self) -> Option<String> {
        let addr = self.bot.as_ref()?.gateway_addr()?;
        Some(format!("http://{addr}/api/v1"))
    }

    /// Stops the bot and gives back the fakes, which stop when dropped.
    pub async fn close(mut self) -> Result<Fakes, StageError> {
        self.stop_bot().await?;
        Ok(Fakes {
            discord: self.discord,
            openrouter: self.openrouter,
        })
    }
}

/// Parses a config for the fakes: the bot is handed `discord_token` and the fake OpenRouter's
/// management key as its secrets, and nothing from the environment (a `DATABASE_URL` there
/// must not redirect a test or the demo).
fn parse_config(
    text: &str,
    discord_token: &str,
    openrouter: &FakeOpenRouter,
) -> Result<Config, ConfigError> {
    let management_key = openrouter.management_key();
    let inference_key = openrouter.regular_key();
    Config::parse(text, |name| match name {
        config::ENV_DISCORD_TOKEN => Some(discord_token.to_string()),
        config::ENV_MANAGEMENT_KEY => Some(management_key.clone()),
        config::ENV_INFERENCE_KEY => Some(inference_key.clone()),
        config::ENV_TOKEN_SECRET => Some(TOKEN_SECRET.to_string()),
        _ => None,
    })
}

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
            " ({name} is set and NO_PROXY does not name 127.0.0.1: run with NO_PROXY=127.0.0.1)"
        ),
        _ => String::new(),
    }
}
