//! Buttons and forms: each click is routed by its id to the one function of its flow that
//! answers it. Every such function re-reads the request or key, re-checks who clicked, and
//! answers clearly when the state has moved on.

mod keys;
mod requests;
mod topups;

use poise::serenity_prelude as serenity;
use serenity::ActionRowComponent;

use super::custom_id::Action;
use super::respond::Responder;
use super::types::{BotError, Data};
use super::{caller, commands};
use crate::team::Caller;

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
    if let Err(error) = route(&click, action, &mut responder).await {
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

/// The answers of a submitted form, by field id.
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

/// One click or form submission: who made it, on which message, and what the form said.
struct Click<'a> {
    ctx: &'a serenity::Context,
    data: &'a Data,
    caller: Caller,
    /// The message the clicked button (or the form's button) was on.
    message: Option<serenity::MessageId>,
    /// A submitted form's answers by field id; none for a button.
    values: Vec<(String, String)>,
}

impl Click<'_> {
    /// What the form said in the field `field`, if it has one.
    fn value(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(id, _)| id == field)
            .map(|(_, v)| v.as_str())
    }
}

/// Hands a click to the function that answers its action.
async fn route(click: &Click<'_>, action: Action, r: &mut Responder<'_>) -> Result<(), BotError> {
    match action {
        Action::OpenRequestForm => requests::open_form(click, r).await,
        Action::SubmitRequest => requests::submit(click, r).await,
        Action::Approve(id) => requests::approve(click, r, id).await,
        Action::OpenDenyForm(id) => requests::open_deny_form(click, r, id).await,
        Action::SubmitDeny(id) => requests::deny(click, r, id).await,
        Action::Cancel(id) => requests::withdraw(click, r, id).await,
        Action::Reveal(id) => requests::reveal(click, r, id).await,
        Action::Rotate => keys::rotate(click, r).await,
        Action::AskRevoke => keys::ask_revoke(r).await,
        Action::ConfirmRevoke => keys::revoke(click, r).await,
        Action::Page { page, .. } => {
            commands::requests::send_page(click.ctx, click.data, &click.caller, r, page as usize)
                .await
        }
        Action::OpenTopUpForm(key_hash) => topups::open_form(click, r, &key_hash).await,
        Action::SubmitTopUp(key_hash) => topups::submit(click, r, &key_hash).await,
        Action::ApproveTopUp(id) => topups::approve(click, r, id).await,
        Action::DenyTopUp(id) => topups::deny(click, r, id).await,
    }
}
