//! Posting: approval cards, DMs, and audit lines in the alerts channel. Posts never mention
//! (ping) anyone; a DM that cannot be delivered is reported, never fatal.

use std::sync::Arc;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::{CreateAllowedMentions, CreateEmbed, CreateMessage, EditMessage, Http};

use super::render;
use crate::team::audit;
use crate::team::{Announcer, AuditEntry, KeyRequest, Tier};

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

/// Posts audit lines in the audit channel, when there is one, and the entries that are alerts
/// (a member left, the bot disabled a key) in the alerts channel as well.
pub struct ChannelAnnouncer {
    pub http: Arc<Http>,
    pub alerts: serenity::ChannelId,
    pub audit: Option<serenity::ChannelId>,
}

#[async_trait]
impl Announcer for ChannelAnnouncer {
    async fn announce(&self, entry: &AuditEntry) {
        let line = render::truncate(&audit::describe(entry), 2000);
        let channels = [
            self.audit.map(|channel| (channel, "audit")),
            audit::is_alert(entry).then_some((self.alerts, "alerts")),
        ];
        for (channel, name) in channels.into_iter().flatten() {
            let message = CreateMessage::new()
                .content(line.clone())
                .allowed_mentions(quiet());
            if let Err(e) = channel.send_message(&self.http, message).await {
                tracing::warn!(error = %e, channel = name, "could not post an audit line");
            }
        }
    }
}
