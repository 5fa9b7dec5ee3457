//! Key request clicks and forms: the member's request form, withdraw and reveal; an admin's
//! approve and deny on the request's card.

use poise::serenity_prelude as serenity;

use super::Click;
use crate::discord::respond::{Defer, Responder};
use crate::discord::types::BotError;
use crate::discord::{notify, render};
use crate::team::requests::{Decided, Filed};
use crate::team::{DiscordId, KeyRequest, RequestStatus, Tier};

/// "Request a key" on `/mykey`: the request form, unless a request is already in progress.
pub(super) async fn open_form(click: &Click<'_>, r: &mut Responder<'_>) -> Result<(), BotError> {
    let team = &click.data.team;
    if let Some(open) = team.open_request_of(click.caller.id).await? {
        r.say(&format!(
            "You already have a key request in progress (#{}, {}). Run /mykey to see it.",
            open.id, open.status
        ))
        .await?;
        return Ok(());
    }
    let linked = team.is_on_roster(click.caller.id).await?;
    r.modal(render::request_form(linked)).await?;
    Ok(())
}

/// The request form was sent: files the request and, when it needs an admin, posts its card.
pub(super) async fn submit(click: &Click<'_>, r: &mut Responder<'_>) -> Result<(), BotError> {
    let team = &click.data.team;
    // Filing and the approval card together: the card and its record exist before the
    // member hears the request was sent, and a slow step is acknowledged in time.
    let filed = r
        .in_time(Defer::Private, async {
            let filed = team
                .request_key(
                    &click.caller,
                    click.value(render::FIELD_NAME),
                    click.value(render::FIELD_REASON).unwrap_or(""),
                )
                .await?;
            if let Filed::AwaitingApproval { request, tier } = &filed {
                post_approval_card(click, request, tier).await?;
            }
            Ok::<_, BotError>(filed)
        })
        .await?;
    match filed {
        Filed::AwaitingApproval { request, tier } => {
            r.private(vec![render::request_sent(&request, &tier)], vec![])
                .await?;
        }
        Filed::AutoApproved { request, tier } => {
            let (embed, rows) = render::auto_approved(&request, &tier);
            r.private(vec![embed], rows).await?;
        }
    }
    Ok(())
}

/// "Approve" on a request's card.
pub(super) async fn approve(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    request_id: i64,
) -> Result<(), BotError> {
    let decided = r
        .in_time(
            Defer::Update,
            click.data.team.approve_request(&click.caller, request_id),
        )
        .await?;
    after_decision(click, r, decided, "approved").await
}

/// "Deny" on a request's card: the form for the reason, while the request is still pending.
pub(super) async fn open_deny_form(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    request_id: i64,
) -> Result<(), BotError> {
    let team = &click.data.team;
    let request = team.request_to_decide(&click.caller, request_id).await?;
    if request.status != RequestStatus::Pending {
        r.say(&already(&request)).await?;
        return Ok(());
    }
    r.modal(render::deny_form(request_id)).await?;
    Ok(())
}

/// The deny form was sent with the admin's reason.
pub(super) async fn deny(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    request_id: i64,
) -> Result<(), BotError> {
    let reason = click.value(render::FIELD_REASON).unwrap_or("");
    let decided = r
        .in_time(
            Defer::Update,
            click
                .data
                .team
                .deny_request(&click.caller, request_id, reason),
        )
        .await?;
    after_decision(click, r, decided, "denied").await
}

/// "Withdraw request" on `/mykey`.
pub(super) async fn withdraw(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    request_id: i64,
) -> Result<(), BotError> {
    let cancelled = r
        .in_time(
            Defer::Update,
            click.data.team.cancel_request(&click.caller, request_id),
        )
        .await?;
    match cancelled {
        Decided::Done(request) => {
            refresh_card(click, &request).await;
            r.update_message(vec![render::withdrawn(&request)], vec![])
                .await?;
        }
        Decided::AlreadyDecided(request) => r.say(&already(&request)).await?,
    }
    Ok(())
}

/// "Reveal my key" on `/mykey` or in the approval DM: the key, shown this once.
pub(super) async fn reveal(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    request_id: i64,
) -> Result<(), BotError> {
    let team = &click.data.team;
    r.defer_private().await?;
    let revealed = team.reveal_key(&click.caller, request_id).await?;
    r.private(
        vec![render::revealed(&revealed, &click.data.team_title)],
        vec![],
    )
    .await?;
    if let Ok(request) = team.request_or_error(request_id).await {
        refresh_card(click, &request).await;
    }
    Ok(())
}

/// Posts a filed request's card in the approvals channel and records where it is. A card
/// that cannot be posted is logged: `/requests` still lists the request.
async fn post_approval_card(
    click: &Click<'_>,
    request: &KeyRequest,
    tier: &Tier,
) -> Result<(), BotError> {
    let linked = request.member_id.is_some();
    let approvals = click.data.channels.approvals;
    match notify::post_card(&click.ctx.http, approvals, request, tier, linked).await {
        Ok(message) => {
            click
                .data
                .team
                .record_approval_card(
                    request.id,
                    DiscordId(approvals.get()),
                    DiscordId(message.get()),
                )
                .await?;
        }
        Err(e) => {
            tracing::error!(error = %e, request = request.id, "could not post the approval card; /requests still lists it")
        }
    }
    Ok(())
}

/// Shows an admin's decision on the card and tells the member.
async fn after_decision(
    click: &Click<'_>,
    r: &mut Responder<'_>,
    decided: Decided,
    verb: &str,
) -> Result<(), BotError> {
    let request = match decided {
        Decided::AlreadyDecided(request) => {
            r.say(&already(&request)).await?;
            return Ok(());
        }
        Decided::Done(request) => request,
    };
    let (tier, linked) = card_context(click, &request);
    let on_card = request
        .approval_message
        .map(|(_, m)| Some(serenity::MessageId::new(m.0)) == click.message)
        .unwrap_or(false);
    // The decision is made: a reply Discord refuses must not keep the card or the member
    // from hearing of it.
    let replied = if on_card {
        let (embed, rows) = render::approval_card(&request, &tier, linked);
        r.update_message(vec![embed], rows).await
    } else {
        r.say(&format!("Request #{} {verb}.", request.id)).await
    };
    if let Err(e) = &replied {
        tracing::warn!(error = %e, request = request.id, "could not answer the decision; updating the card directly");
    }
    if !on_card || replied.is_err() {
        refresh_card(click, &request).await;
    }
    let (embed, rows) = render::decision_dm(&request, tier.access);
    let delivered = notify::dm(
        &click.ctx.http,
        serenity::UserId::new(request.requester.0),
        notify::dm_message(embed, rows),
    )
    .await;
    if !delivered {
        click
            .data
            .team
            .record_decision_dm_failed(request.id)
            .await?;
        if let Ok(request) = click.data.team.request_or_error(request.id).await {
            refresh_card(click, &request).await;
        }
    }
    Ok(())
}

/// The request's tier and whether its member is on the roster, as its card shows them.
fn card_context(click: &Click<'_>, request: &KeyRequest) -> (Tier, bool) {
    let tier = click.data.team.tier_of_request(request).clone();
    (tier, request.member_id.is_some())
}

/// Re-renders the request's card where it was posted; a card that cannot be edited is logged.
async fn refresh_card(click: &Click<'_>, request: &KeyRequest) {
    let (tier, linked) = card_context(click, request);
    if let Err(e) = notify::refresh_card(&click.ctx.http, request, &tier, linked).await {
        tracing::warn!(error = %e, request = request.id, "could not update the approval card");
    }
}

/// "Request #4 was already approved by @Dana."
fn already(request: &KeyRequest) -> String {
    let by = request
        .decided_by
        .map(|id| format!(" by <@{id}>"))
        .unwrap_or_default();
    match request.status {
        RequestStatus::Approved | RequestStatus::Provisioning | RequestStatus::Fulfilled => {
            format!("Request #{} was already approved{by}.", request.id)
        }
        RequestStatus::Denied => format!("Request #{} was already denied{by}.", request.id),
        RequestStatus::Expired => format!("Request #{} has expired.", request.id),
        RequestStatus::Cancelled => format!("Request #{} was withdrawn by the member.", request.id),
        RequestStatus::Pending => format!("Request #{} is still pending.", request.id),
    }
}
