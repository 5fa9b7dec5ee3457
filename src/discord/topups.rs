//! Top-up clicks and forms: the member asks from a budget alert, an admin approves on a card.

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter, CreateInputText,
    CreateMessage, CreateModal, EditMessage, InputTextStyle,
};

use super::custom_id::Action;
use super::interactions::Click;
use super::notify::{dm, dm_message, quiet};
use super::render;
use super::respond::Responder;
use super::types::BotError;
use crate::money::Usd;
use crate::team::reason::REASON_MAX_CHARS;
use crate::team::requests::Decided;
use crate::team::topup::{TopUp, TopUpStatus};
use crate::team::{DiscordId, TeamError};

const FIELD_AMOUNT: &str = "amount";
const FIELD_REASON: &str = "reason";

/// The top-up card in the approvals channel.
pub fn card(top_up: &TopUp, who: &str, key_name: &str) -> (CreateEmbed, Vec<CreateActionRow>) {
    let mut embed = CreateEmbed::new()
        .title(format!("Top-up request #{}", top_up.id))
        .field("Who", format!("{who} (<@{}>)", top_up.requested_by), true)
        .field("Key", render::key_name(key_name), true)
        .field("Amount", top_up.amount.to_string(), true)
        .field(
            "Reason",
            if top_up.reason.is_empty() {
                "(none given)".to_string()
            } else {
                render::truncate(&top_up.reason, REASON_MAX_CHARS)
            },
            false,
        )
        .footer(CreateEmbedFooter::new(
            "An approved top-up raises the key's limit until its budget window resets.",
        ));
    let mut rows = Vec::new();
    let by = top_up
        .decided_by
        .map(|id| format!(" by <@{id}>"))
        .unwrap_or_default();
    match top_up.status {
        TopUpStatus::Pending => {
            embed = embed
                .color(render::YELLOW)
                .description("Waiting for an admin.");
            rows.push(CreateActionRow::Buttons(vec![
                CreateButton::new(Action::ApproveTopUp(top_up.id).id())
                    .label("Approve top-up")
                    .style(ButtonStyle::Success),
                CreateButton::new(Action::DenyTopUp(top_up.id).id())
                    .label("Deny top-up")
                    .style(ButtonStyle::Danger),
            ]));
        }
        TopUpStatus::Denied => embed = embed.color(render::RED).description(format!("Denied{by}.")),
        TopUpStatus::Applied | TopUpStatus::Approved => {
            let until = top_up
                .window_end
                .map(|end| format!(" until {}", render::when(end)))
                .unwrap_or_default();
            embed = embed
                .color(render::GREEN)
                .description(format!("Approved{by}: the limit is raised{until}."));
        }
        TopUpStatus::Reverted | TopUpStatus::Expired => {
            embed = embed
                .color(render::GREY)
                .description(format!("Approved{by}; ended when the window reset."));
        }
    }
    (embed, rows)
}

impl Click<'_> {
    pub(super) async fn open_top_up_form(
        &self,
        r: &mut Responder<'_>,
        hash: &str,
    ) -> Result<(), BotError> {
        let max = self.data.top_up_max;
        let amount = CreateInputText::new(
            InputTextStyle::Short,
            format!("Amount in US dollars (at most {max})"),
            FIELD_AMOUNT,
        )
        .placeholder("10")
        .required(true)
        .max_length(12);
        let reason =
            CreateInputText::new(InputTextStyle::Paragraph, "Why (optional)", FIELD_REASON)
                .required(false)
                .max_length(REASON_MAX_CHARS as u16);
        r.modal(
            CreateModal::new(
                Action::SubmitTopUp(hash.to_string()).id(),
                "Request a top-up",
            )
            .components(vec![
                CreateActionRow::InputText(amount),
                CreateActionRow::InputText(reason),
            ]),
        )
        .await?;
        Ok(())
    }

    pub(super) async fn submit_top_up(
        &self,
        r: &mut Responder<'_>,
        hash: &str,
    ) -> Result<(), BotError> {
        let team = &self.data.team;
        let amount = Usd::parse(self.value(FIELD_AMOUNT).unwrap_or(""))
            .map_err(|e| TeamError::user(format!("The amount: {e}.")))?;
        let (top_up, key) = team
            .request_top_up(
                &self.caller,
                hash,
                amount,
                self.value(FIELD_REASON).unwrap_or(""),
                self.data.top_up_max,
            )
            .await?;
        r.say(&format!(
            "Top-up #{} of {amount} for `{}` sent to the admins. You will get a DM when they decide.",
            top_up.id, key.name
        ))
        .await?;
        let who = team.key_owner_name(&key.hash).await?;
        let (embed, rows) = card(&top_up, &who, &key.name);
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
            let (embed, rows) = card(&top_up, &who, &key_name);
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
        let text = if approve {
            format!(
                "Your top-up of {} for `{key_name}` was approved: the limit is raised{}.",
                top_up.amount,
                top_up
                    .window_end
                    .map(|end| format!(" until {}", render::when(end)))
                    .unwrap_or_default()
            )
        } else {
            format!(
                "Your top-up of {} for `{key_name}` was denied.",
                top_up.amount
            )
        };
        dm(
            &self.ctx.http,
            serenity::UserId::new(top_up.requested_by.0),
            dm_message(
                CreateEmbed::new()
                    .title("Top-up")
                    .description(text)
                    .color(render::BLUE),
                vec![],
            ),
        )
        .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_with_an_overlong_stored_reason_and_key_name_still_fits_discord() {
        let top_up = TopUp {
            id: 1,
            key_hash: "ab".repeat(32),
            member_id: Some(1),
            requested_by: DiscordId(20),
            amount: Usd::from_dollars(5),
            reason: "demo tomorrow ".repeat(400),
            status: TopUpStatus::Pending,
            decided_by: None,
            original_limit: None,
            window_end: None,
            approval_message: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let (embed, _) = card(&top_up, "mia", &"laptop-".repeat(800));
        let body = serde_json::json!({ "embeds": [embed] });
        let refused = fakes::discord::limits::check_message(&body).summary();
        assert_eq!(refused, "");
    }
}
