//! The slash commands, one file per group.

pub mod audit;
pub mod keys;
pub mod member;
pub mod report;
pub mod requests;
pub mod team;

use poise::serenity_prelude::{CreateAttachment, CreateEmbedFooter};

use super::pages;
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

/// A list longer than this many messages is sent as its first page and a file of every line.
const MOST_PAGE_MESSAGES: usize = 3;

/// Sends a list privately: one page per message (the first as the reply, the rest as
/// follow-ups), or, when that would take more than [`MOST_PAGE_MESSAGES`], its first page with
/// the whole list attached as `file_name`.
pub async fn send_list(
    ctx: super::types::Context<'_>,
    list: pages::List<'_>,
    file_name: &str,
) -> Result<(), BotError> {
    let mut embeds = list.pages();
    if embeds.len() <= MOST_PAGE_MESSAGES {
        for page in embeds {
            ctx.send(
                poise::CreateReply::default()
                    .embed(page)
                    .ephemeral(true)
                    .allowed_mentions(super::notify::quiet()),
            )
            .await?;
        }
        return Ok(());
    }
    let pages = embeds.len();
    let first = embeds.swap_remove(0).footer(CreateEmbedFooter::new(format!(
        "{} lines on {pages} pages: all of them are in {file_name}",
        list.lines.len()
    )));
    ctx.send(
        poise::CreateReply::default()
            .embed(first)
            .attachment(CreateAttachment::bytes(list.plain_text(), file_name))
            .ephemeral(true)
            .allowed_mentions(super::notify::quiet()),
    )
    .await?;
    Ok(())
}
