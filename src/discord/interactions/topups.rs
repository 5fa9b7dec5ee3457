//! Top-up clicks and forms: the member asks from a budget alert, an admin approves on a card.

use poise::serenity_prelude as serenity;
use serenity::{CreateMessage, EditMessage};

use super::Click;
use crate::discord::notify::{dm, dm_message, quiet};
use crate::discord::render;
use crate::discord::respond::Responder;
use crate::discord::types::BotError;
use crate::money::Usd;
use crate::team::requests::Decided;
use crate::team::{DiscordId, TeamError};

/// "Request top-up" on a budget alert: the top-up form for the key `key_hash`.
pub(super) async fn open_form(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    key_hash: &str,
) -> Result<(), BotError> {
    r.modal(render::top_up_form(key_hash, click.data.top_up_max))
        .await?;
    Ok(())
}

/// The top-up form was sent: files the top-up and posts its card in the approvals channel.
pub(super) async fn submit(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    key_hash: &str,
) -> Result<(), BotError> {
    let team = &click.data.team;
    let amount = Usd::parse(click.value(render::FIELD_AMOUNT).unwrap_or(""))
        .map_err(|e| TeamError::user(format!("The amount: {e}.")))?;
    let (top_up, key) = team
        .request_top_up(
            &click.caller,
            key_hash,
            amount,
            click.value(render::FIELD_REASON).unwrap_or(""),
            click.data.top_up_max,
        )
        .await?;
    r.say(&format!(
        "Top-up #{} of {amount} for `{}` sent to the admins. You will get a DM when they decide.",
        top_up.id, key.name
    ))
    .await?;
    let who = team.key_owner_name(&key.hash).await?;
    let (embed, rows) = render::top_up_card(&top_up, &who, &key.name);
    let approvals = click.data.channels.approvals;
    match approvals
        .send_message(
            &click.ctx.http,
            CreateMessage::new()
                .embed(embed)
                .components(rows)
                .allowed_mentions(quiet()),
        )
        .await
    {
        Ok(message) => {
            team.record_top_up_card(
                top_up.id,
                DiscordId(approvals.get()),
                DiscordId(message.id.get()),
            )
            .await?;
        }
        Err(e) => {
            tracing::error!(error = %e, top_up = top_up.id, "could not post the top-up card")
        }
    }
    Ok(())
}

/// "Approve top-up" on a top-up's card.
pub(super) async fn approve(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    top_up_id: i64,
) -> Result<(), BotError> {
    decide(click, r, top_up_id, true).await
}

/// "Deny top-up" on a top-up's card.
pub(super) async fn deny(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    top_up_id: i64,
) -> Result<(), BotError> {
    decide(click, r, top_up_id, false).await
}

/// An admin's decision on a top-up: answers the admin, updates the card and tells the member.
async fn decide(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    id: i64,
    approve: bool,
) -> Result<(), BotError> {
    let team = &click.data.team;
    team.require_admin(&click.caller)?;
    r.defer_private().await?;
    let decided = if approve {
        team.approve_top_up(&click.caller, id).await?
    } else {
        team.deny_top_up(&click.caller, id).await?
    };
    let top_up = match decided {
        Decided::AlreadyDecided(top_up) => {
            let by = top_up
                .decided_by
                .map(|d| format!(" by <@{d}>"))
                .unwrap_or_default();
            r.say(&format!(
                "Top-up #{id} was already {}{by}.",
                top_up.status.as_str()
            ))
            .await?;
            return Ok(());
        }
        Decided::Done(top_up) => top_up,
    };
    let key_name = team.key_name_of(&top_up.key_hash).await?;
    let who = team.key_owner_name(&top_up.key_hash).await?;
    r.say(&format!(
        "Top-up #{id} {}.",
        if approve {
            "approved and applied"
        } else {
            "denied"
        }
    ))
    .await?;
    if let Some((channel, message)) = top_up.approval_message {
        let (embed, rows) = render::top_up_card(&top_up, &who, &key_name);
        if let Err(e) = serenity::ChannelId::new(channel.0)
            .edit_message(
                &click.ctx.http,
                serenity::MessageId::new(message.0),
                EditMessage::new().embed(embed).components(rows),
            )
            .await
        {
            tracing::warn!(error = %e, top_up = id, "could not update the top-up card");
        }
    }
    dm(
        &click.ctx.http,
        serenity::UserId::new(top_up.requested_by.0),
        dm_message(
            render::top_up_decision_dm(&top_up, &key_name, approve),
            vec![],
        ),
    )
    .await;
    Ok(())
}
