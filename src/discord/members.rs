//! Server membership events: someone leaves, someone's roles change.

use poise::serenity_prelude as serenity;
use serenity::CreateEmbed;

use super::notify::{dm, dm_message};
use super::render;
use super::types::Data;
use crate::team::DiscordId;
use crate::team::provisioning::limit_words;

/// A member left the server (`GUILD_MEMBER_REMOVE`).
pub async fn left(data: &Data, user: serenity::UserId) {
    match data.team.member_left(DiscordId(user.get())).await {
        Ok(Some(departure)) => {
            tracing::info!(member = %departure.member.name, keys = departure.keys.len(), "member left; keys handled")
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "handling a departure failed; the daily reconcile tries again")
        }
    }
}

/// A member's roles changed (`GUILD_MEMBER_UPDATE`): their tier may follow.
pub async fn roles_changed(
    ctx: &serenity::Context,
    data: &Data,
    update: &serenity::GuildMemberUpdateEvent,
) {
    let roles: Vec<u64> = update.roles.iter().map(|r| r.get()).collect();
    let change = match data
        .team
        .roles_changed(DiscordId(update.user.id.get()), &roles)
        .await
    {
        Ok(Some(change)) => change,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "applying a role change failed");
            return;
        }
    };
    let embed = CreateEmbed::new()
        .title(format!("Your tier is now {}", change.to.name))
        .description(format!(
            "Your roles changed, so your key follows the rules of tier **{}** from now on: {}, models: {}.",
            change.to.name,
            limit_words(&change.to),
            render::models_line(&change.to)
        ))
        .color(render::BLUE);
    dm(&ctx.http, update.user.id, dm_message(embed, vec![])).await;
}
