//! Server membership events: someone leaves, someone's roles change.

use poise::serenity_prelude as serenity;
use serenity::CreateEmbed;

use super::notify::{dm, dm_message};
use super::render;
use super::types::Data;
use crate::domain::Access;
use crate::team::DiscordId;
use crate::team::lifecycle::TierChange;
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
    tell_of_tier_change(&ctx.http, update.user.id, &change, "Your roles changed").await;
}

/// Tells a member by DM what their new tier means for them, and what to run when their old key
/// (or token) was retired because the tier gives the other kind of access.
pub async fn tell_of_tier_change(
    http: &serenity::Http,
    user: serenity::UserId,
    change: &TierChange,
    because: &str,
) -> bool {
    let rules = format!(
        "{}, models: {}",
        limit_words(&change.to),
        render::models_line(&change.to)
    );
    let description = if change.retired.is_empty() {
        format!(
            "{because}, so your {} follows the rules of tier **{}** from now on: {rules}.",
            what_you_hold(change.to.access),
            change.to.name,
        )
    } else {
        format!(
            "{because}, and tier **{}** gives you a {} instead: {rules}. Your old {} no longer works. Run `/mykey` to get your new one.",
            change.to.name,
            change.to.access.words(),
            what_you_hold(change.retired[0].access),
        )
    };
    let embed = CreateEmbed::new()
        .title(format!("Your tier is now {}", change.to.name))
        .description(description)
        .color(render::BLUE);
    dm(http, user, dm_message(embed, vec![])).await
}

/// What a member holds for a kind of access, in their words.
pub fn what_you_hold(access: Access) -> &'static str {
    match access {
        Access::Key => "key",
        Access::Gateway => "gateway token",
    }
}
