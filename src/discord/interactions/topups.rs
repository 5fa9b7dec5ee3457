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

impl Click<'_> {
    pub(super) async fn open_top_up_form(
        &self,
        r: &mut Responder<'_>,
        hash: &str,
    ) -> Result<(), BotError> {
        r.modal(render::top_up_form(hash, self.data.top_up_max))
            .await?;
        Ok(())
    }

    pub(super) async fn submit_top_up(
        &self,
        r: &mut Responder<'_>,
        hash: &str,
    ) -> Result<(), BotError> {
        let team = &self.data.team;
        let amount = Usd::parse(self.value(render::FIELD_AMOUNT).unwrap_or(""))
            .map_err(|e| TeamError::user(format!("The amount: {e}.")))?;
        let (top_up, key) = team
            .request_top_up(
                &self.caller,
                hash,
                amount,
                self.value(render::FIELD_REASON).unwrap_or(""),
                self.data.top_up_max,
            )
            .await?;
        r.say(&format!(
            "Top-up #{} of {amount} for `{}` sent to the admins. You will get a DM when they decide.",
            top_up.id, key.name
        ))
        .await?;
        let who = team.key_owner_name(&key.hash).await?;
        let (embed, rows) = render::top_up_card(&top_up, &who, &key.name);
        match self
            .data
            .channels
            .approvals
            .send_message(
                &self.ctx.http,
                CreateMessage::new()
                    .embed(embed)
                    .components(rows)
                    .allowed_mentions(quiet()),
            )
            .await
        {
            Ok(message) => {
                team.store
                    .set_top_up_card(
                        top_up.id,
                        DiscordId(self.data.channels.approvals.get()),
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

    pub(super) async fn decide_top_up(
        &self,
        r: &mut Responder<'_>,
        id: i64,
        approve: bool,
    ) -> Result<(), BotError> {
        let team = &self.data.team;
        team.require_admin(&self.caller)?;
        r.defer_private().await?;
        let decided = if approve {
            team.approve_top_up(&self.caller, id).await?
        } else {
            team.deny_top_up(&self.caller, id).await?
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
        let key_name = team
            .store
            .key(&top_up.key_hash)
            .await?
            .map(|k| k.name)
            .unwrap_or_else(|| top_up.key_hash.clone());
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
                    &self.ctx.http,
                    serenity::MessageId::new(message.0),
                    EditMessage::new().embed(embed).components(rows),
                )
                .await
            {
                tracing::warn!(error = %e, top_up = id, "could not update the top-up card");
            }
        }
        dm(
            &self.ctx.http,
            serenity::UserId::new(top_up.requested_by.0),
            dm_message(
                render::top_up_decision_dm(&top_up, &key_name, approve),
                vec![],
            ),
        )
        .await;
        Ok(())
    }
}
