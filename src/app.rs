//! Wiring: turns the configuration into a database, an OpenRouter client and, for `run`, the bot.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::discord::{self, DiscordError, RunningBot};
use crate::jobs::{JobContext, JobSettings, Runner, standard_jobs};
use crate::openrouter::{ApiError, ClientSettings, HttpManagementApi, KeyListing, ManagementApi};
use crate::secret::redact_url;
use crate::store::{Store, StoreError};
use crate::team::digest::{DigestSettings, SpikeRule};
use crate::team::gateway_token::TokenKey;
use crate::team::usage::SyncError;
use crate::team::{GatewayRules, Team, TeamRules, provisioning_deadline};

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
    Gateway(#[from] crate::gateway::GatewayError),
    #[error("{0}")]
    Failed(String),
}

/// Opens the configured database and brings its schema up to date.
pub async fn open_store(config: &Config) -> Result<Store, AppError> {
    let store = connect_store(config).await?;
    if let Some(path) = store.created_file() {
        tracing::warn!(
            path = %path.display(),
            "created a new, empty database: if the bot ran here before, its database was moved or deleted; stop the bot and put the file back"
        );
    }
    store.migrate().await?;
    Ok(store)
}

/// Opens the configured database for a command that reads what the bot recorded: a SQLite
/// file that does not exist is reported, not created empty.
pub async fn open_recorded_store(config: &Config) -> Result<Store, AppError> {
    if let Some(path) = crate::store::sqlite_file(&config.database.url)
        && !path.exists()
    {
        return Err(AppError::Failed(format!(
            "there is no database at {} (set by {}): the bot creates it when it first runs; run `openrouter-team-bot sync` once, or point {} at the bot's database",
            path.display(),
            config.database.url_setting,
            config.database.url_setting
        )));
    }
    open_store(config).await
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

/// The team for commands that run outside Discord: audit lines go to the log only.
pub fn quiet_team(config: &Config, store: Store, api: Arc<dyn ManagementApi>) -> Team {
    Team::new(
        store,
        api,
        team_rules(config),
        Arc::new(SystemClock),
        Arc::new(crate::team::Silent),
    )
}

/// Which keys a sync lists: the configured workspace (or the default one), disabled ones too.
pub fn key_listing(config: &Config) -> KeyListing {
    KeyListing {
        workspaces: vec![config.openrouter.workspace_id.clone()],
        include_disabled: true,
        concurrency: config.sync.page_concurrency,
        expected_keys: 0,
    }
}

/// The settings the team's rules depend on, from the configuration.
pub fn team_rules(config: &Config) -> TeamRules {
    TeamRules {
        tiers: config.tiers.clone(),
        key_name_prefix: config.openrouter.key_name_prefix.clone(),
        workspace_id: config.openrouter.workspace_id.clone(),
        request_expiry_days: config.lifecycle.request_expiry_days,
        key_expiry_days: config.lifecycle.key_expiry_days,
        admin_role_ids: config.discord_unchecked().admin_role_ids.clone(),
        on_member_leave: config.lifecycle.on_member_leave,
        idle_key_days: config.lifecycle.idle_key_days,
        provisioning_deadline: provisioning_deadline(
            config.openrouter.timeout,
            config.openrouter.max_attempts,
        ),
        gateway: config.gateway.as_ref().map(|g| GatewayRules {
            token_key: g.token_secret.clone().and_then(TokenKey::new),
            public_url: g.public_url.clone(),
            on_disallowed_model: g.on_disallowed_model,
        }),
    }
}

/// The weekly digest's settings, from the configuration.
pub fn digest_settings(config: &Config) -> DigestSettings {
    DigestSettings {
        timezone: config.reports.timezone,
        idle_key_days: config.lifecycle.idle_key_days,
        spikes: SpikeRule {
            factor_percent: config.alerts.spike_factor_percent,
            min: config.alerts.spike_min,
        },
    }
}

/// The scheduled jobs' settings, from the configuration.
pub fn job_settings(config: &Config) -> JobSettings {
    JobSettings {
        alerts: config.alerts.clone(),
        sync: config.sync.clone(),
        reports: config.reports.clone(),
        lifecycle: config.lifecycle.clone(),
        listing: key_listing(config),
        digest: digest_settings(config),
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

/// Whether scheduled jobs run by themselves or only when asked (tests drive them with a clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobMode {
    /// The runner ticks every 30 seconds.
    Background,
    /// Nothing runs until [`Bot::run_due_jobs`] is called.
    OnDemand,
}

/// A running bot: the Discord client and its scheduled jobs.
pub struct Bot {
    pub team: Team,
    pub runner: Arc<Runner>,
    /// The database the team works on, for the operator's tools, the demo and tests.
    store: Store,
    discord: RunningBot,
    ticking: Option<tokio::task::JoinHandle<()>>,
    /// Shared-key mode's gateway, when configured.
    gateway: Option<crate::gateway::RunningGateway>,
}

impl Bot {
    /// The bot's database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Where the gateway listens, when it runs.
    pub fn gateway_addr(&self) -> Option<std::net::SocketAddr> {
        self.gateway.as_ref().map(|g| g.addr())
    }

    /// The gateway, when it runs.
    pub fn gateway(&self) -> Option<&crate::gateway::RunningGateway> {
        self.gateway.as_ref()
    }

    /// Stops everything at once, as a crash would (the gateway's queued ledger rows are lost,
    /// its holds left for the next start to settle). For tests of recovery.
    pub async fn crash(self) {
        if let Some(gateway) = self.gateway {
            gateway.abort();
        }
        if let Some(ticking) = self.ticking {
            ticking.abort();
        }
        let _ = self.discord.serve_until(async {}).await;
        self.store.close().await;
    }

    /// Runs the jobs that are due now (what the background ticker does every 30 seconds).
    pub async fn run_due_jobs(&self) -> Vec<crate::jobs::RunReport> {
        self.runner.tick().await
    }

    /// Disconnects from Discord, stops the jobs and closes the database.
    pub async fn shutdown(self) -> Result<(), AppError> {
        self.serve_until(async {}).await
    }

    /// Serves until `stop` resolves or the Discord client stops on its own (for example when
    /// Discord refuses the token), then cleans up.
    pub async fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), AppError> {
        let result = self.discord.serve_until(stop).await;
        if let Some(ticking) = self.ticking {
            ticking.abort();
        }
        if let Some(gateway) = self.gateway {
            gateway.stop().await;
        }
        self.store.close().await;
        Ok(result?)
    }
}

/// Opens the database, checks both credentials and every configured id, recovers interrupted
/// key creations, connects to Discord and starts the jobs.
pub async fn start_bot(
    config: &Config,
    clock: Arc<dyn Clock>,
    jobs: JobMode,
) -> Result<Bot, AppError> {
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
    let team = Team::new(
        store.clone(),
        api,
        team_rules(config),
        clock,
        Arc::new(discord::notify::ChannelAnnouncer {
            http: http.clone(),
            alerts: channels.alerts,
            audit: channels.audit,
        }),
    );
    // Not a reason to stay down: the housekeeping job and the member's next Reveal try again.
    if let Err(e) = team.recover_provisioning().await {
        tracing::error!(
            error = %e,
            "recovering key requests interrupted while their key was created failed; retrying later"
        );
    }
    let notifier = Arc::new(discord::alerts::DiscordNotifier {
        http: http.clone(),
        guild_id,
        channels,
        team: team.clone(),
    });
    match team.sync_guardrails().await {
        Ok(changes) => {
            for change in changes {
                tracing::info!(%change, "guardrails");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "could not bring the tiers' guardrails in line with the config; they are tried again at the next start")
        }
    }
    let runner = Arc::new(Runner::new(
        standard_jobs(),
        JobContext {
            team: team.clone(),
            notifier: notifier.clone(),
            directory: notifier,
            settings: job_settings(config),
        },
    ));
    // Members who left while the bot was down are handled before it serves anyone; this is the
    // day's reconcile, so the runner's first tick does not read the member list again.
    match runner.run_now(crate::jobs::MEMBER_RECONCILE).await {
        Some(Ok(outcome)) => {
            tracing::info!(outcome = %outcome.summary, "roster reconciled with the server")
        }
        Some(Err(e)) => {
            tracing::warn!(error = %e, "could not reconcile the roster with the server; the next tick tries again")
        }
        None => {}
    }
    let gateway = match &config.gateway {
        Some(settings) => {
            Some(crate::gateway::start(settings, &config.openrouter.base_url, &team).await?)
        }
        None => None,
    };
    let discord = discord::start(
        http,
        team.clone(),
        guild_id,
        channels,
        guild_name,
        config.alerts.top_up_max,
        digest_settings(config),
    )
    .await?;
    let ticking =
        (jobs == JobMode::Background).then(|| runner.clone().spawn(Duration::from_secs(30)));
    Ok(Bot {
        team,
        runner,
        store,
        discord,
        ticking,
        gateway,
    })
}

/// `run`: start the bot and serve until SIGINT or SIGTERM.
pub async fn run(config: &Config) -> Result<(), AppError> {
    let bot = start_bot(config, Arc::new(SystemClock), JobMode::Background).await?;
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
