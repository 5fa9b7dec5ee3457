//! `/team`: the roster (admins only).

use poise::serenity_prelude as serenity;

use crate::discord::types::{BotError, Context};
use crate::discord::{caller, pages, render};
use crate::team::{DiscordId, MemberStatus};

/// Manage the team roster (admins only).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("link", "unlink", "tier", "list", "adopt"),
    subcommand_required
)]
pub async fn team(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// The configured tiers whose names contain what the admin has typed so far.
async fn tier_choices(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let typed = partial.trim().to_lowercase();
    let choices = ctx
        .data()
        .team
        .tier_names()
        .into_iter()
        .filter(|name| name.to_lowercase().contains(&typed))
        // Discord shows at most 25 choices.
        .take(25)
        .map(|name| serenity::AutocompleteChoice::new(name.clone(), name))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

fn id(user: &serenity::User) -> DiscordId {
    DiscordId(user.id.get())
}

/// Link a Discord user to a member name, optionally with a tier.
#[poise::command(slash_command, guild_only)]
pub async fn link(
    ctx: Context<'_>,
    #[description = "The Discord user"] user: serenity::User,
    #[description = "Their member name (used in key names)"] name: String,
    #[description = "Their tier (default: from roles or the default tier)"]
    #[autocomplete = "tier_choices"]
    tier: Option<String>,
) -> Result<(), BotError> {
    // A database write may wait: acknowledge within Discord's deadline first.
    ctx.defer_ephemeral().await?;
    let caller = caller::of_command(&ctx);
    let member = ctx
        .data()
        .team
        .link_member(&caller, id(&user), &name, tier.as_deref())
        .await?;
    say(
        ctx,
        format!("<@{}> is now on the team as **{}**.", user.id, member.name),
    )
    .await
}

/// Remove a user's link to their member name (their keys stay until revoked).
#[poise::command(slash_command, guild_only)]
pub async fn unlink(
    ctx: Context<'_>,
    #[description = "The Discord user"] user: serenity::User,
) -> Result<(), BotError> {
    ctx.defer_ephemeral().await?;
    let caller = caller::of_command(&ctx);
    let member = ctx.data().team.unlink_member(&caller, id(&user)).await?;
    say(
        ctx,
        format!(
            "<@{}> is no longer linked to **{}**. Their keys still work; use /keys revoke to remove them.",
            user.id, member.name
        ),
    )
    .await
}

/// Set a member's tier; their key's limit follows at OpenRouter.
#[poise::command(slash_command, guild_only)]
pub async fn tier(
    ctx: Context<'_>,
    #[description = "The Discord user"] user: serenity::User,
    #[description = "The tier"]
    #[autocomplete = "tier_choices"]
    tier: String,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    ctx.defer_ephemeral().await?;
    let change = ctx
        .data()
        .team
        .set_member_tier(&caller, id(&user), &tier)
        .await?;
    let mut reply = format!("**{}** is now in tier **{tier}**.", change.member.name);
    if !change.retired.is_empty() {
        let told = crate::discord::members::tell_of_tier_change(
            ctx.http(),
            user.id,
            &change,
            "An admin moved you to another tier",
        )
        .await;
        reply.push_str(&format!(
            " The tier gives a {}, so their old {} was retired; {}",
            change.to.access.words(),
            crate::discord::members::what_you_hold(change.retired[0].access),
            if told {
                "they were told by DM to run `/mykey` for the new one."
            } else {
                "their DMs are closed, so tell them to run `/mykey` for the new one."
            }
        ));
    }
    say(ctx, reply).await
}

/// Everyone on the roster, with tier and key.
#[poise::command(slash_command, guild_only)]
pub async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    // A big team's roster takes longer to read than Discord waits for a first answer.
    ctx.defer_ephemeral().await?;
    let lines: Vec<String> = ctx
        .data()
        .team
        .roster(&caller)
        .await?
        .iter()
        .map(|entry| {
            let who = entry
                .member
                .discord_user_id
                .map(|id| format!("<@{id}>"))
                .unwrap_or_else(|| "not linked".into());
            let key = match &entry.key {
                Some(k) => format!(
                    "`{}` {}{}",
                    k.name,
                    match k.limit {
                        Some(l) => format!("{l} {}", k.reset.per_period()),
                        None => "no limit".into(),
                    },
                    if k.disabled { " (disabled)" } else { "" }
                ),
                None => "no key".into(),
            };
            let departed = if entry.member.status == MemberStatus::Departed {
                " · departed"
            } else {
                ""
            };
            format!(
                "**{}** · {who} · tier {} · {key}{departed}",
                entry.member.name, entry.tier
            )
        })
        .collect();
    super::send_list(
        ctx,
        pages::List {
            title: "Team roster",
            lines: &lines,
            empty: "Nobody is on the roster yet. /team link adds people; /mykey lets them ask.",
            color: render::BLUE,
        },
        "team-roster.txt",
    )
    .await
}

/// Take over a key that already exists at OpenRouter for a linked member.
#[poise::command(slash_command, guild_only)]
pub async fn adopt(
    ctx: Context<'_>,
    #[description = "The Discord user (linked with /team link)"] user: serenity::User,
    #[description = "The key's hash (from /keys list or the OpenRouter dashboard)"]
    key_hash: String,
    #[description = "Rename it to the bot's naming scheme (default: keep its name)"] rename: Option<
        bool,
    >,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    ctx.defer_ephemeral().await?;
    let key = ctx
        .data()
        .team
        .adopt_key(&caller, id(&user), &key_hash, rename.unwrap_or(false))
        .await?;
    say(
        ctx,
        format!("The key `{}` now belongs to <@{}>.", key.name, user.id),
    )
    .await
}

/// A private plain-text answer.
pub async fn say(ctx: Context<'_>, text: String) -> Result<(), BotError> {
    ctx.send(
        poise::CreateReply::default()
            .content(render::truncate(&text, 2000))
            .ephemeral(true)
            .allowed_mentions(crate::discord::notify::quiet()),
    )
    .await?;
    Ok(())
}
