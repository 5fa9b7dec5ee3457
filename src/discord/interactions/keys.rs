//! Key clicks on `/mykey`: rotate the key, and revoke it after a confirmation.

use poise::serenity_prelude as serenity;

use super::Click;
use crate::discord::respond::Responder;
use crate::discord::types::BotError;
use crate::discord::{notify, render};

/// "Rotate": a new key shown once to its owner; a replaced key that is not gone yet is
/// posted in the alerts channel.
pub(super) async fn rotate(click: &Click<'_>, r: &mut Responder<'_>) -> Result<(), BotError> {
    r.defer_private().await?;
    let revealed = click.data.team.rotate_key(&click.caller).await?;
    if let Some(old) = revealed.replaced.as_ref().filter(|o| o.awaits_deletion()) {
        let notice = serenity::CreateMessage::new()
            .embed(render::replaced_key_pending(&revealed.member_name, old))
            .allowed_mentions(notify::quiet());
        if let Err(e) = click
            .data
            .channels
            .alerts
            .send_message(&click.ctx.http, notice)
            .await
        {
            tracing::warn!(error = %e, "could not post the pending deletion of a rotated key");
        }
    }
    r.private(
        vec![render::revealed(&revealed, &click.data.team_title)],
        vec![],
    )
    .await?;
    Ok(())
}

/// "Revoke": what revoking does, and the button that confirms it.
pub(super) async fn ask_revoke(r: &mut Responder<'_>) -> Result<(), BotError> {
    let (embed, rows) = render::revoke_confirmation();
    r.private(vec![embed], rows).await?;
    Ok(())
}

/// "Yes, revoke my key": revokes the caller's own keys.
pub(super) async fn revoke(click: &Click<'_>, r: &mut Responder<'_>) -> Result<(), BotError> {
    r.defer_private().await?;
    let keys = click
        .data
        .team
        .revoke_keys(&click.caller, click.caller.id)
        .await?;
    let names: Vec<String> = keys.iter().map(|k| format!("`{}`", k.name)).collect();
    r.say(&format!(
        "Revoked {}. Run /mykey to request a new key.",
        names.join(", ")
    ))
    .await?;
    Ok(())
}
