//! `/mykey` and `/budget`: what every member can do.

use poise::serenity_prelude as serenity;

use crate::discord::caller;
use crate::discord::render::{self, MyKeyView};
use crate::discord::types::{BotError, Context};
use crate::team::{DiscordId, MemberStatus, TeamError};

/// Your OpenRouter key: request one, reveal it once, rotate or revoke it.
#[poise::command(slash_command, guild_only)]
pub async fn mykey(ctx: Context<'_>) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let team = &ctx.data().team;
    let member = team
        .store
        .member_by_discord_id(caller.id)
        .await
        .map_err(TeamError::from)?
        .filter(|m| m.status == MemberStatus::Active);
    let key = match &member {
        Some(m) => team
            .store
            .keys_of_member(m.id)
            .await
            .map_err(TeamError::from)?
            .into_iter()
            .next(),
        None => None,
    };
    // A user has at most one request in flight, and it is always their latest.
    let last = team
        .store
        .latest_request_for(caller.id)
        .await
        .map_err(TeamError::from)?;
    let open = last.clone().filter(|r| r.status.is_open());
    let tier = team
        .rules
        .tiers
        .effective(
            member.as_ref().and_then(|m| m.tier.as_deref()),
            &caller.role_ids,
        )
        .clone();
    let view = match (&key, &open) {
        (_, Some(request)) => MyKeyView::Request(request),
        (Some(key), None) => MyKeyView::Key { key, tier: &tier },
        (None, None) => MyKeyView::NoKey {
            last: last.as_ref(),
        },
    };
    let (embed, rows) = render::mykey(view);
    ctx.send(
        poise::CreateReply::default()
            .embed(embed)
            .components(rows)
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// Your spend and limit (admins: anyone's).
#[poise::command(slash_command, guild_only)]
pub async fn budget(
    ctx: Context<'_>,
    #[description = "Whose budget (admins only)"] member: Option<serenity::Member>,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let team = &ctx.data().team;
    let (user, roles) = match &member {
        Some(m) if m.user.id.get() != caller.id.0 => {
            team.require_admin(&caller)
                .map_err(|_| TeamError::user("Only team admins can see other members' budgets."))?;
            (
                DiscordId(m.user.id.get()),
                m.roles.iter().map(|r| r.get()).collect(),
            )
        }
        _ => (caller.id, caller.role_ids.clone()),
    };
    ctx.defer_ephemeral().await?;
    let status = team
        .budget(user, &roles, ctx.data().live_budget_timeout)
        .await?;
    ctx.send(
        poise::CreateReply::default()
            .embed(render::budget(&status))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}
