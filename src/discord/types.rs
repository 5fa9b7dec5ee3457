//! The bot's shared state and the error and context types every command uses.

use std::time::Duration;

use poise::serenity_prelude as serenity;

use crate::team::{Team, TeamError};

/// Channels the bot posts to, resolved once at start-up.
#[derive(Debug, Clone, Copy)]
pub struct Channels {
    pub approvals: serenity::ChannelId,
    pub alerts: serenity::ChannelId,
    pub reports: serenity::ChannelId,
    /// `discord.audit_channel_id`, when set.
    pub audit: Option<serenity::ChannelId>,
}

/// What every command and click can reach.
pub struct Data {
    pub team: Team,
    pub guild_id: serenity::GuildId,
    pub channels: Channels,
    /// How long `/budget` waits for live figures before showing stored ones.
    pub live_budget_timeout: Duration,
    /// The team's name for quick-start attribution headers (the server's name).
    pub team_title: String,
    /// The largest top-up a member can ask for.
    pub top_up_max: crate::money::Usd,
    /// How the weekly digest is computed.
    pub digest: crate::team::digest::DigestSettings,
}

/// Why a command or click failed.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error("Discord: {0}")]
    Discord(#[from] serenity::Error),
}

impl BotError {
    /// What the person who clicked or typed is told.
    pub fn for_user(&self) -> String {
        match self {
            BotError::Team(e) => e.for_user(),
            BotError::Discord(_) => {
                "Discord did not accept the bot's answer. Please try again; the details are in the bot's log.".into()
            }
        }
    }

    /// Whether the failure is the person's own (not worth a log line).
    pub fn is_user_error(&self) -> bool {
        matches!(self, BotError::Team(e) if e.is_user_error())
    }
}

pub type Context<'a> = poise::Context<'a, Data, BotError>;
