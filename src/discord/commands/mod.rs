//! The slash commands, one file per group.

pub mod audit;
pub mod keys;
pub mod member;
pub mod report;
pub mod requests;
pub mod team;

use super::types::{BotError, Data};

/// Every command the bot registers.
pub fn all() -> Vec<poise::Command<Data, BotError>> {
    vec![
        member::mykey(),
        member::budget(),
        team::team(),
        keys::keys(),
        requests::requests(),
        audit::audit(),
        report::report(),
    ]
}

/// Sends embeds privately, one page per message (the first as the reply, the rest as follow-ups).
pub async fn send_pages(
    ctx: super::types::Context<'_>,
    pages: Vec<poise::serenity_prelude::CreateEmbed>,
) -> Result<(), BotError> {
    for page in pages {
        ctx.send(
            poise::CreateReply::default()
                .embed(page)
                .ephemeral(true)
                .allowed_mentions(super::notify::quiet()),
        )
        .await?;
    }
    Ok(())
}
