//! Buttons and forms: each click re-reads the request or key, re-checks who clicked, and answers
//! clearly when the state has moved on.

mod topups;

use poise::serenity_prelude as serenity;
use serenity::ActionRowComponent;

use super::custom_id::Action;
use super::respond::{Defer, Responder};
use super::types::{BotError, Data};
use super::{caller, commands, notify, render};
use crate::team::requests::{Decided, Filed};
use crate::team::{Caller, KeyRequest, RequestStatus};

/// Handles a button click or a form submission meant for this bot.
pub async fn handle(ctx: &serenity::Context, interaction: &serenity::Interaction, data: &Data) {
    let (kind, id, token, user, member, custom_id, message, values) = match interaction {
        serenity::Interaction::Component(c) => (
            Unrecognised::Button,
            c.id,
            c.token.as_str(),
            &c.user,
            c.member.as_ref(),
            c.data.custom_id.as_str(),
            Some(c.message.id),
            Vec::new(),
        ),
        serenity::Interaction::Modal(m) => (
            Unrecognised::Form,
            m.id,
            m.token.as_str(),
            &m.user,
            m.member.as_ref(),
            m.data.custom_id.as_str(),
            m.message.as_ref().map(|msg| msg.id),
            form_values(&m.data.components),
        ),
        _ => return,
    };
    let mut responder = Responder::new(&ctx.http, id, token);
    let Some(action) = Action::parse(custom_id) else {
        // Unanswered, Discord would show "This interaction failed" and leave the person guessing.
        if let Err(e) = responder.say(kind.answer()).await {
            tracing::warn!(error = %e, "could not answer a click with an unknown id");
        }
        return;
    };
    let caller = caller::caller(user, member);
    let click = Click {
        ctx,
        data,
        caller,
        message,
        values,
    };
    if let Err(error) = click.run(action, &mut responder).await {
        if !error.is_user_error() {
            tracing::error!(error = %error, custom_id, "a click failed");
        }
        if let Err(e) = responder.say(&error.for_user()).await {
            tracing::warn!(error = %e, "could not tell the user about a failed click");
        }
    }
}

/// What carried an id this bot cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unrecognised {
    Button,
    Form,
}

impl Unrecognised {
    /// The private answer: what happened and how to get a working button again.
    fn answer(self) -> &'static str {
        match self {
            Unrecognised::Button => {
                "This button is not one I recognise (it may be from an older version of the bot). Run /mykey or /requests again."
            }
            Unrecognised::Form => {
                "This form is not one I recognise (it may be from an older version of the bot). Run /mykey or /requests again."
            }
        }
    }
}

fn form_values(rows: &[serenity::ActionRow]) -> Vec<(String, String)> {
    rows.iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|component| match component {
            ActionRowComponent::InputText(input) => Some((
                input.custom_id.clone(),
                input.value.clone().unwrap_or_default(),
            )),
            _ => None,
        })
        .collect()
}

struct Click<'a> {
    ctx: &'a serenity::Context,
    data: &'a Data,
    caller: Caller,
    /// The message the clicked button (or the form's button) was on.
    message: Option<serenity::MessageId>,
    values: Vec<(String, String)>,
}

impl Click<'_> {
    fn value(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(id, _)| id == field)
            .map(|(_, v)| v.as_str())
    }

    async fn run(&self, action: Action, r: &mut Responder<'_>) -> Result<(), BotError> {
        let team = &self.data.team;
        match action {
            Action::OpenRequestForm => self.open_request_form(r).await,
            Action::SubmitRequest => self.submit_request(r).await,
            Action::Approve(id) => {
                let decided = r
                    .in_time(Defer::Update, team.approve_request(&self.caller, id))
                    .await?;
                self.after_decision(r, decided, "approved").await
            }
            Action::OpenDenyForm(id) => {
                team.require_admin(&self.caller)?;
                let request = team.request_or_error(id).await?;
                if request.status != RequestStatus::Pending {
                    r.say(&already(&request)).await?;
                    return Ok(());
                }
                r.modal(render::deny_form(id)).await?;
                Ok(())
            }
            Action::SubmitDeny(id) => {
                let reason = self.value(render::FIELD_REASON).unwrap_or("");
                let decided = r
                    .in_time(Defer::Update, team.deny_request(&self.caller, id, reason))
                    .await?;
                self.after_decision(r, decided, "denied").await
            }
            Action::Cancel(id) => {
                match r
                    .in_time(Defer::Update, team.cancel_request(&self.caller, id))
                    .await?
                {
                    Decided::Done(request) => {
                        self.refresh_card(&request).await;
                        r.update_message(vec![render::withdrawn(&request)], vec![])
                            .await?;
                    }
                    Decided::AlreadyDecided(request) => r.say(&already(&request)).await?,
                }
                Ok(())
            }
            Action::Reveal(id) => {
                r.defer_private().await?;
                let revealed = team.reveal_key(&self.caller, id).await?;
                r.private(
                    vec![render::revealed(&revealed, &self.data.team_title)],
                    vec![],
                )
                .await?;
                if let Ok(request) = team.request_or_error(id).await {
                    self.refresh_card(&request).await;
                }
                Ok(())
            }
            Action::Rotate => {
                r.defer_private().await?;
                let revealed = team.rotate_key(&self.caller).await?;
                if let Some(old) = revealed.replaced.as_ref().filter(|o| o.awaits_deletion()) {
                    let notice = serenity::CreateMessage::new()
                        .embed(render::replaced_key_pending(&revealed.member_name, old))
                        .allowed_mentions(notify::quiet());
                    if let Err(e) = self
                        .data
                        .channels
                        .alerts
                        .send_message(&self.ctx.http, notice)
                        .await
                    {
                        tracing::warn!(error = %e, "could not post the pending deletion of a rotated key");
                    }
                }
                r.private(
                    vec![render::revealed(&revealed, &self.data.team_title)],
                    vec![],
                )
                .await?;
                Ok(())
            }
            Action::AskRevoke => {
                let (embed, rows) = render::revoke_confirmation();
                r.private(vec![embed], rows).await?;
                Ok(())
            }
            Action::ConfirmRevoke => {
                r.defer_private().await?;
                let keys = team.revoke_keys(&self.caller, self.caller.id).await?;
                let names: Vec<String> = keys.iter().map(|k| format!("`{}`", k.name)).collect();
                r.say(&format!(
                    "Revoked {}. Run /mykey to request a new key.",
                    names.join(", ")
                ))
                .await?;
                Ok(())
            }
            Action::Page { page, .. } => {
                commands::requests::send_page(self.ctx, self.data, &self.caller, r, page as usize)
                    .await
            }
            Action::OpenTopUpForm(hash) => self.open_top_up_form(r, &hash).await,
            Action::SubmitTopUp(hash) => self.submit_top_up(r, &hash).await,
            Action::ApproveTopUp(id) => self.decide_top_up(r, id, true).await,
            Action::DenyTopUp(id) => self.decide_top_up(r, id, false).await,
        }
    }

    async fn open_request_form(&self, r: &mut Responder<'_>) -> Result<(), BotError> {
        let team = &self.data.team;
        if let Some(open) = team.open_request_of(self.caller.id).await? {
            r.say(&format!(
                "You already have a key request in progress (#{}, {}). Run /mykey to see it.",
                open.id, open.status
            ))
            .await?;
            return Ok(());
        }
        let linked = team
            .store
            .member_by_discord_id(self.caller.id)
            .await?
            .is_some();
        r.modal(render::request_form(linked)).await?;
        Ok(())
    }

    async fn submit_request(&self, r: &mut Responder<'_>) -> Result<(), BotError> {
        let team = &self.data.team;
        // Filing and the approval card together: the card and its record exist before the
        // member hears the request was sent, and a slow step is acknowledged in time.
        let filed = r
            .in_time(Defer::Private, async {
                let filed = team
                    .request_key(
                        &self.caller,
                        self.value(render::FIELD_NAME),
                        self.value(render::FIELD_REASON).unwrap_or(""),
                    )
                    .await?;
                if let Filed::AwaitingApproval { request, tier } = &filed {
                    self.post_approval_card(request, tier).await?;
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

    /// Posts a filed request's card in the approvals channel and records where it is. A card
    /// that cannot be posted is logged: `/requests` still lists the request.
    async fn post_approval_card(
        &self,
        request: &KeyRequest,
        tier: &crate::team::Tier,
    ) -> Result<(), BotError> {
        let linked = request.member_id.is_some();
        match notify::post_card(
            &self.ctx.http,
            self.data.channels.approvals,
            request,
            tier,
            linked,
        )
        .await
        {
            Ok(message) => {
                self.data
                    .team
                    .store
                    .set_approval_message(
                        request.id,
                        crate::team::DiscordId(self.data.channels.approvals.get()),
                        crate::team::DiscordId(message.get()),
                    )
                    .await
                    .map_err(crate::team::TeamError::from)?;
            }
            Err(e) => {
                tracing::error!(error = %e, request = request.id, "could not post the approval card; /requests still lists it")
            }
        }
        Ok(())
    }

    /// Shows an admin's decision on the card and tells the member.
    async fn after_decision(
        &self,
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
        let (tier, linked) = self.card_context(&request).await;
        let on_card = request
            .approval_message
            .map(|(_, m)| Some(serenity::MessageId::new(m.0)) == self.message)
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
            self.refresh_card(&request).await;
        }
        let delivered = notify::dm(
            &self.ctx.http,
            serenity::UserId::new(request.requester.0),
            {
                let (embed, rows) = render::decision_dm(&request);
                notify::dm_message(embed, rows)
            },
        )
        .await;
        if !delivered {
            self.data
                .team
                .store
                .set_request_dm_failed(request.id, true)
                .await
                .map_err(crate::team::TeamError::from)?;
            if let Ok(request) = self.data.team.request_or_error(request.id).await {
                self.refresh_card(&request).await;
            }
        }
        Ok(())
    }

    async fn card_context(&self, request: &KeyRequest) -> (crate::team::Tier, bool) {
        let tiers = &self.data.team.rules.tiers;
        let tier = tiers
            .get(&request.tier)
            .unwrap_or_else(|| tiers.default_tier())
            .clone();
        (tier, request.member_id.is_some())
    }

    async fn refresh_card(&self, request: &KeyRequest) {
        let (tier, linked) = self.card_context(request).await;
        if let Err(e) = notify::refresh_card(&self.ctx.http, request, &tier, linked).await {
            tracing::warn!(error = %e, request = request.id, "could not update the approval card");
        }
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
