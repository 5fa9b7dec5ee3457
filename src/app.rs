//! Wiring: turns the configuration into a database, an OpenRouter client and, for `run`, the bot.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::discord::{self, DiscordError, RunningBot};
use crate::openrouter::{ApiError, ClientSettings, HttpManagementApi, KeyListing, ManagementApi};
use crate::secret::redact_url;
use crate::store::{Store, StoreError};
use crate::team::usage::SyncError;
use crate::team::{Team, TeamRules};

/// Why a command could not do its job. Shown to the operator as written.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    OpenRouter(#[from] ApiError),
    #[error("{0}")]
    Sync(#[from] SyncError),
    #[error(
        "the configured OPENROUTER_MANAGEMENT_KEY is a regular API key, which can call models but cannot manage keys: create a management key at https://openrouter.ai/settings/management-keys"
    )]
    NotAManagementKey,
    #[error("{0}")]
    Discord(#[from] DiscordError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Failed(String),
}

/// Opens the configured database and brings its schema up to date.
pub async fn open_store(config: &Config) -> Result<Store, AppError> {
    let store = connect_store(config).await?;
    store.migrate().await?;
    Ok(store)
}

/// Opens the configured database as it is.
pub async fn connect_store(config: &Config) -> Result<Store, AppError> {
    let url = &config.database.url;
    Store::connect(url, config.database.max_connections)
        .await
        .map_err(|e| {
            AppError::Failed(format!(
                "cannot open the database {} (set by {}): {e}",
                redact_url(url),
                config.database.url_setting
            ))
        })
}

/// The OpenRouter client for the configured management key.
pub fn management_api(config: &Config) -> Result<Arc<dyn ManagementApi>, AppError> {
    let key = config.management_key()?.clone();
    let mut settings = ClientSettings::new(config.openrouter.base_url.clone(), key);
    settings.timeout = config.openrouter.timeout;
    settings.max_attempts = config.openrouter.max_attempts;
    Ok(Arc::new(HttpManagementApi::new(settings)?))
}

/// Which keys a sync lists: the configured workspace (or the default one), disabled ones too.
pub fn key_listing(config: &Config) -> KeyListing {
    KeyListing {
        workspaces: vec![config.openrouter.workspace_id.clone()],
        include_disabled: true,
        concurrency: config.sync.page_concurrency,
    }
}

/// Checks that the configured key can manage keys (`GET /key`).
pub async fn verify_management_key(api: &dyn ManagementApi) -> Result<String, AppError> {
    let current = api.current_key().await?;
    if !current.is_management_key {
        return Err(AppError::NotAManagementKey);
    }
    Ok(current.label)
}

/// A running bot: the Discord client and its background work.
pub struct Bot {
    pub team: Team,
    discord: RunningBot,
    housekeeping: tokio::task::JoinHandle<()>,
}

impl Bot {
    /// Disconnects from Discord, stops the background work and closes the database.
    pub async fn shutdown(self) -> Result<(), AppError> {
        self.housekeeping.abort();
        let result = self.discord.shutdown().await;
        self.team.store.close().await;
        Ok(result?)
    }

    /// Serves until `stop` resolves or the Discord client stops on its own (for example when
    /// Discord refuses the token), then cleans up.
    pub async fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), AppError> {
        let result = self.discord.serve_until(stop).await;
        self.housekeeping.abort();
        self.team.store.close().await;
        Ok(result?)
    }
}

/// Opens the database, checks both credentials and every configured id, recovers interrupted
/// key creations, and connects to Discord.
pub async fn start_bot(config: &Config, clock: Arc<dyn Clock>) -> Result<Bot, AppError> {
    let discord_settings = config.discord()?;
    let store = open_store(config).await?;
    let api = management_api(config)?;
    let label = verify_management_key(api.as_ref()).await?;
    tracing::info!(management_key = %label, "management key verified");
    let http = discord::http_client(discord_settings)?;
    let tier_roles: Vec<(String, u64)> = config
        .tiers
        .all()
        .iter()
        .flat_map(|t| t.role_ids.iter().map(|r| (t.name.to_string(), *r)))
        .collect();
    let (guild_id, channels, guild_name) =
        discord::resolve(&http, discord_settings, &tier_roles).await?;
    let team = Team {
        store,
        api,
        rules: Arc::new(TeamRules::from_config(config)),
        clock,
        announcer: Arc::new(discord::notify::ChannelAnnouncer {
            http: http.clone(),
            channel: channels.alerts,
        }),
    };
    let recovered = team
        .recover_provisioning()
        .await
        .map_err(|e| AppError::Failed(e.to_string()))?;
    if recovered > 0 {
        tracing::warn!(
            recovered,
            "recovered key requests interrupted while their key was created"
        );
    }
    let housekeeping = tokio::spawn(housekeeping(http.clone(), team.clone()));
    let discord = discord::start(http, team.clone(), guild_id, channels, guild_name).await?;
    Ok(Bot {
        team,
        discord,
        housekeeping,
    })
}

/// Work the bot does every minute: expiring requests nobody acted on.
async fn housekeeping(http: Arc<poise::serenity_prelude::Http>, team: Team) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        if let Err(e) = discord::notify::expire_requests(&http, &team).await {
            tracing::warn!(error = %e, "expiring requests failed; trying again in a minute");
        }
    }
}

/// `run`: start the bot and serve until SIGINT or SIGTERM.
pub async fn run(config: &Config) -> Result<(), AppError> {
    let bot = start_bot(config, Arc::new(SystemClock)).await?;
    tracing::info!("the bot is running; stop it with Ctrl-C");
    bot.serve_until(async {
        if let Err(e) = shutdown_signal().await {
            tracing::warn!(error = %e, "cannot listen for shutdown signals; stopping");
        }
        tracing::info!("shutting down");
    })
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() -> Result<(), AppError> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
