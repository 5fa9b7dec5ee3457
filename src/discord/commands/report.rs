//! `/report`: the weekly digest, previewed privately or posted now (admins only).

use poise::serenity_prelude as serenity;

use crate::discord::caller;
use crate::discord::digest::{DigestMessage, digest_message_parts};
use crate::discord::notify::quiet;
use crate::discord::types::{BotError, Context};
use crate::report::prepare_digest;
use crate::team::digest::Digest;

/// The weekly digest (admins only).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("preview", "post"),
    subcommand_required
)]
pub async fn report(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Show the digest of the last full week, only to you.
#[poise::command(slash_command, guild_only)]
pub async fn preview(ctx: Context<'_>) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let data = ctx.data();
    // Checked before deferring too, so a refusal is answered at once.
    data.team.require_admin(&caller)?;
    ctx.defer_ephemeral().await?;
    let week = Digest::last_full_week(data.team.now(), data.digest.timezone);
    let digest = data
        .team
        .weekly_digest_for(&caller, &data.digest, week)
        .await?;
    let (digest, chart) = prepare_digest(digest, None);
    for part in digest_message_parts(&digest, chart.as_ref()) {
        ctx.send(reply(&part)).await?;
    }
    Ok(())
}

/// Post the digest of the last full week in the reports channel now.
#[poise::command(slash_command, guild_only)]
pub async fn post(ctx: Context<'_>) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let data = ctx.data();
    // Checked before deferring too, so a refusal is answered at once.
    data.team.require_admin(&caller)?;
    ctx.defer_ephemeral().await?;
    let week = Digest::last_full_week(data.team.now(), data.digest.timezone);
    let digest = data
        .team
        .weekly_digest_for(&caller, &data.digest, week)
        .await?;
    let (digest, chart) = prepare_digest(digest, None);
    // The interaction's id makes the nonce: a retried request cannot post twice.
    let nonce = format!("rp{}", ctx.id() % 1_000_000_000_000_000);
    for (i, part) in digest_message_parts(&digest, chart.as_ref())
        .iter()
        .enumerate()
    {
        data.channels
            .reports
            .send_message(
                ctx.http(),
                part.to_message()
                    .nonce(serenity::Nonce::String(format!("{nonce}-{i}")))
                    .enforce_nonce(true)
                    .allowed_mentions(quiet()),
            )
            .await?;
    }
    data.team
        .audit(
            &(&caller).into(),
            "post_report",
            &week.iso_name(),
            "weekly digest posted by hand",
        )
        .await?;
    ctx.send(
        poise::CreateReply::default()
            .content(format!(
                "Posted the digest of {} in <#{}>.",
                week.iso_name(),
                data.channels.reports
            ))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// One digest message as a private reply.
fn reply(part: &DigestMessage) -> poise::CreateReply {
    let mut reply = poise::CreateReply::default()
        .ephemeral(true)
        .allowed_mentions(quiet());
    if let Some(content) = &part.content {
        reply = reply.content(content.clone());
    }
    for embed in &part.embeds {
        reply = reply.embed(embed.clone());
    }
    for file in &part.files {
        reply = reply.attachment(file.clone());
    }
    reply
}
