//! `/mykey` and `/budget`: what every member can do.

use poise::serenity_prelude as serenity;

use crate::discord::caller;
use crate::discord::render::{self, MyKeyView};
use crate::discord::types::{BotError, Context};
use crate::team::DiscordId;

/// Your OpenRouter key: request one, reveal it once, rotate or revoke it.
#[poise::command(slash_command, guild_only)]
pub async fn mykey(ctx: Context<'_>) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let my_key = ctx.data().team.my_key(&caller).await?;
    let (embed, rows) = render::mykey(MyKeyView::from(&my_key));
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
        Some(m) if m.user.id.get() != caller.id.0 => (
            DiscordId(m.user.id.get()),
            m.roles.iter().map(|r| r.get()).collect(),
        ),
        _ => (caller.id, caller.role_ids.clone()),
    };
    // Checked before deferring too, so a refusal is answered at once.
    team.may_see_budget_of(&caller, user)?;
    ctx.defer_ephemeral().await?;
    let status = team
        .budget(&caller, user, &roles, ctx.data().live_budget_timeout)
        .await?;
    ctx.send(
        poise::CreateReply::default()
            .embed(render::budget(&status))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}
