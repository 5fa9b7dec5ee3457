//! `/keys`: every key, and what admins can do to a member's key.

use poise::serenity_prelude as serenity;

use super::team::say;
use crate::discord::types::{BotError, Context};
use crate::discord::{caller, pages, render};
use crate::money::Usd;
use crate::reset::LimitReset;
use crate::team::key_table::KeyFilter;
use crate::team::{DiscordId, TeamError};

/// Manage the team's keys (admins only).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("list", "revoke", "disable", "enable", "limit"),
    subcommand_required
)]
pub async fn keys(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

fn id(user: &serenity::User) -> DiscordId {
    DiscordId(user.id.get())
}

/// Every key with its owner, spend and limit (as of the last sync).
#[poise::command(slash_command, guild_only)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Only keys that no member owns"] unowned: Option<bool>,
    #[description = "Only keys without spend for lifecycle.idle_key_days"] idle: Option<bool>,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let filter = KeyFilter {
        unowned: unowned.unwrap_or(false),
        idle: idle.unwrap_or(false),
    };
    // Every key of a big team takes longer to read than Discord waits for a first answer.
    ctx.defer_ephemeral().await?;
    let rows = ctx.data().team.key_table(&caller, filter).await?;
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let k = &row.key;
            let owner = row
                .owner
                .as_ref()
                .map(|name| name.to_string())
                .unwrap_or_else(|| "(unowned)".into());
            format!(
                "**{owner}** `{}` · today {} · week {} · month {} · {}{}{}",
                k.name,
                k.usage.daily,
                k.usage.weekly,
                k.usage.monthly,
                match k.limit {
                    Some(l) => format!("limit {l} {}", k.reset.per_period()),
                    None => "no limit".into(),
                },
                if k.disabled { " · disabled" } else { "" },
                row.idle_since
                    .map(|at| format!(" · no spend since {}", render::when(at)))
                    .unwrap_or_default()
            )
        })
        .collect();
    let title = if filter.unowned {
        "Keys no member owns"
    } else {
        "Team keys"
    };
    super::send_list(
        ctx,
        pages::List {
            title,
            lines: &lines,
            empty: "No keys.",
            color: render::BLUE,
        },
        "team-keys.txt",
    )
    .await
}

/// Delete a member's key at OpenRouter.
#[poise::command(slash_command, guild_only)]
pub async fn revoke(
    ctx: Context<'_>,
    #[description = "The member"] user: serenity::User,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    ctx.defer_ephemeral().await?;
    let keys = ctx.data().team.revoke_keys(&caller, id(&user)).await?;
    say(ctx, format!("Revoked {} for <@{}>.", names(&keys), user.id)).await
}

/// Disable a member's key at OpenRouter (it can be enabled again).
#[poise::command(slash_command, guild_only)]
pub async fn disable(
    ctx: Context<'_>,
    #[description = "The member"] user: serenity::User,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    ctx.defer_ephemeral().await?;
    let keys = ctx
        .data()
        .team
        .set_keys_disabled(&caller, id(&user), true)
        .await?;
    say(
        ctx,
        format!("Disabled {} for <@{}>.", names(&keys), user.id),
    )
    .await
}

/// Enable a member's disabled key again.
#[poise::command(slash_command, guild_only)]
pub async fn enable(
    ctx: Context<'_>,
    #[description = "The member"] user: serenity::User,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    ctx.defer_ephemeral().await?;
    let keys = ctx
        .data()
        .team
        .set_keys_disabled(&caller, id(&user), false)
        .await?;
    say(ctx, format!("Enabled {} for <@{}>.", names(&keys), user.id)).await
}

/// The reset periods an admin can pick.
#[derive(Debug, poise::ChoiceParameter)]
pub enum ResetChoice {
    #[name = "daily"]
    Daily,
    #[name = "weekly"]
    Weekly,
    #[name = "monthly"]
    Monthly,
    #[name = "none (lifetime)"]
    Never,
}

impl From<ResetChoice> for LimitReset {
    fn from(choice: ResetChoice) -> LimitReset {
        match choice {
            ResetChoice::Daily => LimitReset::Daily,
            ResetChoice::Weekly => LimitReset::Weekly,
            ResetChoice::Monthly => LimitReset::Monthly,
            ResetChoice::Never => LimitReset::Never,
        }
    }
}

/// Change a member's spending limit (and optionally its reset period).
#[poise::command(slash_command, guild_only)]
pub async fn limit(
    ctx: Context<'_>,
    #[description = "The member"] user: serenity::User,
    #[description = "The new limit in US dollars, e.g. 25 or 12.50"] usd: String,
    #[description = "How often the limit resets (default: unchanged)"] reset: Option<ResetChoice>,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let amount = Usd::parse(&usd).map_err(|e| TeamError::user(format!("The limit: {e}.")))?;
    ctx.defer_ephemeral().await?;
    let keys = ctx
        .data()
        .team
        .set_key_limit(&caller, id(&user), amount, reset.map(LimitReset::from))
        .await?;
    let reset = keys.first().map(|k| k.reset).unwrap_or(LimitReset::Never);
    say(
        ctx,
        format!(
            "The limit of {} for <@{}> is now {amount} {}.",
            names(&keys),
            user.id,
            reset.per_period()
        ),
    )
    .await
}

fn names(keys: &[crate::team::TeamKey]) -> String {
    keys.iter()
        .map(|k| format!("`{}`", k.name))
        .collect::<Vec<_>>()
        .join(", ")
}
