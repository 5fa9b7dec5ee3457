//! The bot in Discord: turns slash commands, clicks and forms into calls on the team, and the
//! results into replies. No business rules live here.

pub mod alerts;
pub mod caller;
pub mod commands;
pub mod custom_id;
pub mod digest;
pub mod interactions;
pub mod members;
pub mod notify;
pub mod pages;
pub mod render;
pub mod respond;
pub mod types;

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use secrecy::ExposeSecret;

use crate::config::DiscordSettings;
use crate::team::Team;
use types::{BotError, Channels, Data};

/// The gateway intents the bot needs: guilds, and members (privileged) for departures and roles.
pub fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS | serenity::GatewayIntents::GUILD_MEMBERS
}

/// Why the bot could not start or keep running in Discord, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    #[error(
        "Discord refused the bot's token (close code 4004 / 401). Copy a fresh token from the Developer Portal (your application > Bot > Reset Token) into DISCORD_TOKEN."
    )]
    BadToken,
    #[error(
        "Discord refused the Server Members intent (close code 4014). In the Developer Portal, open your application > Bot > Privileged Gateway Intents and turn on SERVER MEMBERS INTENT, then start the bot again."
    )]
    MembersIntentDisabled,
    #[error("setting `{setting}`: {reason}")]
    Setting { setting: String, reason: String },
    #[error("Discord: {0}")]
    Other(String),
}

impl From<serenity::Error> for DiscordError {
    fn from(error: serenity::Error) -> DiscordError {
        use serenity::GatewayError;
        match &error {
            serenity::Error::Gateway(GatewayError::InvalidAuthentication) => DiscordError::BadToken,
            serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents) => {
                DiscordError::MembersIntentDisabled
            }
            serenity::Error::Http(http)
                if http.status_code() == Some(serenity::StatusCode::UNAUTHORIZED) =>
            {
                DiscordError::BadToken
            }
            _ => DiscordError::Other(error.to_string()),
        }
    }
}

/// The REST client for the configured token, through `discord.api_base_url` when it is not
/// Discord itself.
pub fn http_client(settings: &DiscordSettings) -> Result<Arc<serenity::Http>, DiscordError> {
    let token = settings
        .token
        .as_ref()
        .ok_or(DiscordError::BadToken)?
        .expose_secret()
        .to_string();
    let mut builder = serenity::HttpBuilder::new(token);
    if settings.api_base_url != "https://discord.com" {
        // serenity's own rate limiter bypasses the proxy, and a proxy in front of Discord (such
        // as twilight-http-proxy) does the rate limiting itself.
        builder = builder
            .proxy(settings.api_base_url.clone())
            .ratelimiter_disabled(true);
    }
    Ok(Arc::new(builder.build()))
}

/// Checks the token and the configured ids against Discord, once, before connecting.
pub async fn resolve(
    http: &serenity::Http,
    settings: &DiscordSettings,
    tier_roles: &[(String, u64)],
) -> Result<(serenity::GuildId, Channels, String), DiscordError> {
    http.get_current_user().await?;
    let guild_id = serenity::GuildId::new(settings.guild_id);
    let guild = http
        .get_guild(guild_id)
        .await
        .map_err(|e| DiscordError::Setting {
            setting: "discord.guild_id".into(),
            reason: format!(
                "{} is not a server the bot is in ({e}); invite the bot with the URL in README.md",
                settings.guild_id
            ),
        })?;
    let channel = |setting: &'static str, id: u64| async move {
        let found = http.get_channel(serenity::ChannelId::new(id)).await;
        match found {
            Ok(serenity::Channel::Guild(channel)) if channel.guild_id == guild_id => Ok(channel.id),
            Ok(_) => Err(DiscordError::Setting {
                setting: setting.into(),
                reason: format!("{id} is not a channel of the configured server"),
            }),
            Err(e) => Err(DiscordError::Setting {
                setting: setting.into(),
                reason: format!("{id} is not a channel the bot can see ({e})"),
            }),
        }
    };
    let channels = Channels {
        approvals: channel(
            "discord.approvals_channel_id",
            settings.approvals_channel_id,
        )
        .await?,
        alerts: channel("discord.alerts_channel_id", settings.alerts_channel_id).await?,
        reports: channel("discord.reports_channel_id", settings.reports_channel_id).await?,
        audit: match settings.audit_channel_id {
            Some(id) => Some(channel("discord.audit_channel_id", id).await?),
            None => None,
        },
    };
    let roles = http.get_guild_roles(guild_id).await?;
    let known = |id: u64| roles.iter().any(|r| r.id.get() == id);
    for id in &settings.admin_role_ids {
        if !known(*id) {
            return Err(DiscordError::Setting {
                setting: "discord.admin_role_ids".into(),
                reason: format!("{id} is not a role of the configured server"),
            });
        }
    }
    for (tier, id) in tier_roles {
        if !known(*id) {
            return Err(DiscordError::Setting {
                setting: format!("tiers.{tier}.role_ids"),
                reason: format!("{id} is not a role of the configured server"),
            });
        }
    }
    Ok((guild_id, channels, guild.name))
}

/// A connected bot.
pub struct RunningBot {
    shard_manager: Arc<serenity::ShardManager>,
    task: tokio::task::JoinHandle<Result<(), DiscordError>>,
}

impl RunningBot {
    /// Disconnects cleanly and waits for the client to stop.
    pub async fn shutdown(self) -> Result<(), DiscordError> {
        self.shard_manager.shutdown_all().await;
        self.wait().await
    }

    /// Waits until the client stops on its own (an error such as a refused token or intent).
    pub async fn wait(self) -> Result<(), DiscordError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(DiscordError::Other(format!(
                "the Discord client stopped: {e}"
            ))),
        }
    }

    /// Serves until `stop` resolves (then disconnects cleanly) or the client stops on its own.
    pub async fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), DiscordError> {
        let RunningBot {
            shard_manager,
            mut task,
        } = self;
        let ended = tokio::select! {
            _ = stop => {
                shard_manager.shutdown_all().await;
                (&mut task).await
            }
            ended = &mut task => ended,
        };
        match ended {
            Ok(result) => result,
            Err(e) => Err(DiscordError::Other(format!(
                "the Discord client stopped: {e}"
            ))),
        }
    }
}

/// Connects to the gateway, registers the commands in the guild and starts serving.
pub async fn start(
    http: Arc<serenity::Http>,
    team: Team,
    guild_id: serenity::GuildId,
    channels: Channels,
    team_title: String,
    top_up_max: crate::money::Usd,
    digest: crate::team::digest::DigestSettings,
) -> Result<RunningBot, DiscordError> {
    let data = Data {
        team,
        guild_id,
        channels,
        live_budget_timeout: Duration::from_millis(2000),
        team_title,
        top_up_max,
        digest,
    };
    // Registering before connecting makes a refused command list stop the start-up with
    // Discord's reason, instead of leaving a connected bot without commands.
    let application = http.get_current_application_info().await?;
    http.set_application_id(application.id);
    let commands = commands::all();
    guild_id
        .set_commands(
            &http,
            poise::builtins::create_application_commands(&commands),
        )
        .await?;
    tracing::info!(guild = %guild_id, count = commands.len(), "commands registered");
    let options = poise::FrameworkOptions {
        commands,
        on_error: |error| Box::pin(on_error(error)),
        event_handler: |framework, event| {
            Box::pin(async move {
                let ctx = framework.serenity_context;
                let data = framework.user_data;
                match event {
                    serenity::FullEvent::InteractionCreate { interaction } => {
                        interactions::handle(ctx, interaction, data).await;
                    }
                    serenity::FullEvent::GuildMemberRemoval { guild_id, user, .. }
                        if *guild_id == data.guild_id =>
                    {
                        members::left(data, user.id).await;
                    }
                    serenity::FullEvent::GuildMemberUpdate { event: update, .. }
                        if update.guild_id == data.guild_id =>
                    {
                        members::roles_changed(ctx, data, update).await;
                    }
                    _ => {}
                }
                Ok(())
            })
        },
        ..Default::default()
    };
    let framework = poise::Framework::builder()
        .options(options)
        .initialize_owners(false)
        .setup(move |_ctx, _ready, _framework| Box::pin(async move { Ok(data) }))
        .build();
    let http = Arc::try_unwrap(http).unwrap_or_else(|shared| clone_http(&shared));
    let mut client = serenity::ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .await?;
    let shard_manager = client.shard_manager.clone();
    let task = tokio::spawn(async move { client.start().await.map_err(DiscordError::from) });
    Ok(RunningBot {
        shard_manager,
        task,
    })
}

/// A second client with the same token and base URL (the gateway client needs its own).
fn clone_http(http: &serenity::Http) -> serenity::Http {
    let mut builder = serenity::HttpBuilder::new(http.token());
    if let Some(proxy) = &http.proxy {
        builder = builder.proxy(proxy.clone()).ratelimiter_disabled(true);
    }
    builder.build()
}

async fn on_error(error: poise::FrameworkError<'_, Data, BotError>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            if !error.is_user_error() {
                tracing::error!(error = %error, command = %ctx.command().qualified_name, "a command failed");
            }
            let reply = poise::CreateReply::default()
                .content(render::truncate(&error.for_user(), 2000))
                .ephemeral(true)
                .allowed_mentions(notify::quiet());
            if let Err(e) = ctx.send(reply).await {
                tracing::warn!(error = %e, "could not tell the user about a failed command");
            }
        }
        poise::FrameworkError::ArgumentParse {
            ctx, input, error, ..
        } => {
            let what = input.map(|i| format!(" `{i}`")).unwrap_or_default();
            let reply = poise::CreateReply::default()
                .content(render::truncate(
                    &format!("I could not read the option{what}: {error}. Please check /{} and try again.", ctx.command().qualified_name),
                    2000,
                ))
                .ephemeral(true)
                .allowed_mentions(notify::quiet());
            if let Err(e) = ctx.send(reply).await {
                tracing::warn!(error = %e, "could not tell the user about an unreadable option");
            }
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::warn!(error = %e, "could not handle a framework error");
            }
        }
    }
}
