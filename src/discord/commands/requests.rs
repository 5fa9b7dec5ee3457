//! `/requests`: pending key requests, each with its Approve and Deny buttons, five to a page.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed};

use crate::discord::custom_id::{Action, ListKind};
use crate::discord::respond::Responder;
use crate::discord::types::{BotError, Context, Data};
use crate::discord::{caller, render};
use crate::team::Caller;

/// Requests per page: one row of buttons each, and Discord allows five rows.
const PER_PAGE: usize = 4;

/// Pending key requests with their buttons (admins only).
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn requests(ctx: Context<'_>) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let data = ctx.data();
    let (embeds, rows) = page(data, &caller, 0).await?;
    let reply = embeds
        .into_iter()
        .fold(poise::CreateReply::default(), |reply, embed| {
            reply.embed(embed)
        });
    ctx.send(
        reply
            .components(rows)
            .ephemeral(true)
            .allowed_mentions(crate::discord::notify::quiet()),
    )
    .await?;
    Ok(())
}

/// Answers a page button with that page.
pub async fn send_page(
    _ctx: &serenity::Context,
    data: &Data,
    caller: &Caller,
    responder: &mut Responder<'_>,
    number: usize,
) -> Result<(), BotError> {
    let (embeds, rows) = page(data, caller, number).await?;
    responder.update_message(embeds, rows).await?;
    Ok(())
}

async fn page(
    data: &Data,
    caller: &Caller,
    number: usize,
) -> Result<(Vec<CreateEmbed>, Vec<CreateActionRow>), BotError> {
    let pending = data.team.pending_requests(caller).await?;
    if pending.is_empty() {
        return Ok((
            vec![
                CreateEmbed::new()
                    .title("Pending key requests")
                    .description("No requests are waiting.")
                    .color(render::GREY),
            ],
            vec![],
        ));
    }
    let pages = pending.len().div_ceil(PER_PAGE);
    let number = number.min(pages - 1);
    let mut embeds = vec![
        CreateEmbed::new()
            .title("Pending key requests")
            .description(format!(
                "{} waiting · page {} of {pages}",
                pending.len(),
                number + 1
            ))
            .color(render::YELLOW),
    ];
    let mut rows = Vec::new();
    for request in pending.iter().skip(number * PER_PAGE).take(PER_PAGE) {
        embeds.push(
            CreateEmbed::new()
                .title(format!("#{} · {}", request.id, request.member_name))
                .description(format!(
                    "<@{}> · tier {} · asked {} · expires {}\n{}",
                    request.requester,
                    request.tier,
                    render::relative(request.created_at),
                    render::relative(request.expires_at),
                    render::truncate(&request.reason, 300)
                ))
                .color(render::YELLOW),
        );
        rows.push(CreateActionRow::Buttons(vec![
            CreateButton::new(Action::Approve(request.id).id())
                .label(format!("Approve #{}", request.id))
                .style(ButtonStyle::Success),
            CreateButton::new(Action::OpenDenyForm(request.id).id())
                .label(format!("Deny #{}", request.id))
                .style(ButtonStyle::Danger),
        ]));
    }
    if pages > 1 {
        let mut nav = Vec::new();
        if number > 0 {
            nav.push(
                CreateButton::new(
                    Action::Page {
                        list: ListKind::Requests,
                        page: (number - 1) as u32,
                    }
                    .id(),
                )
                .label("Previous")
                .style(ButtonStyle::Secondary),
            );
        }
        if number + 1 < pages {
            nav.push(
                CreateButton::new(
                    Action::Page {
                        list: ListKind::Requests,
                        page: (number + 1) as u32,
                    }
                    .id(),
                )
                .label("Next")
                .style(ButtonStyle::Secondary),
            );
        }
        rows.push(CreateActionRow::Buttons(nav));
    }
    Ok((embeds, rows))
}
