//! Posting: approval cards, DMs, and audit lines in the alerts channel. Posts never mention
//! (ping) anyone; a DM that cannot be delivered is reported, never fatal.

use std::sync::Arc;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::{CreateAllowedMentions, CreateEmbed, CreateMessage, EditMessage, Http};

use super::render;
use crate::team::{Announcer, KeyRequest, Tier};

/// No pings: names render as mentions but nobody is notified by them.
pub fn quiet() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

/// Posts an approval card; returns the message id.
pub async fn post_card(
    http: &Http,
    channel: serenity::ChannelId,
    request: &KeyRequest,
    tier: &Tier,
    linked: bool,
) -> Result<serenity::MessageId, serenity::Error> {
    let (embed, rows) = render::approval_card(request, tier, linked);
    let message = channel
        .send_message(
            http,
            CreateMessage::new()
                .embed(embed)
                .components(rows)
                .allowed_mentions(quiet()),
        )
        .await?;
    Ok(message.id)
}

/// Re-renders a request's card where it was posted (if it was).
pub async fn refresh_card(
    http: &Http,
    request: &KeyRequest,
    tier: &Tier,
    linked: bool,
) -> Result<(), serenity::Error> {
    let Some((channel, message)) = request.approval_message else {
        return Ok(());
    };
    let (embed, rows) = render::approval_card(request, tier, linked);
    serenity::ChannelId::new(channel.0)
        .edit_message(
            http,
            serenity::MessageId::new(message.0),
            EditMessage::new().embed(embed).components(rows),
        )
        .await?;
    Ok(())
}

/// Sends a DM. False when the user cannot be reached (closed DMs, left the server, ...).
pub async fn dm(http: &Http, user: serenity::UserId, message: CreateMessage) -> bool {
    let channel = match user.create_dm_channel(http).await {
        Ok(channel) => channel,
        Err(e) => {
            tracing::info!(error = %e, "could not open a DM channel");
            return false;
        }
    };
    match channel
        .send_message(http, message.allowed_mentions(quiet()))
        .await
    {
        Ok(_) => true,
        Err(e) => {
            tracing::info!(error = %e, "could not deliver a DM");
            false
        }
    }
}

/// A DM with one embed and optional buttons.
pub fn dm_message(embed: CreateEmbed, rows: Vec<serenity::CreateActionRow>) -> CreateMessage {
    CreateMessage::new().embed(embed).components(rows)
}

/// Announces audit lines in the alerts channel.
pub struct ChannelAnnouncer {
    pub http: Arc<Http>,
    pub channel: serenity::ChannelId,
}

#[async_trait]
impl Announcer for ChannelAnnouncer {
    async fn announce(&self, line: String) {
        let message = CreateMessage::new()
            .content(render::truncate(&line, 2000))
            .allowed_mentions(quiet());
        if let Err(e) = self.channel.send_message(&self.http, message).await {
            tracing::warn!(error = %e, "could not post an audit line to the alerts channel");
        }
    }
}
