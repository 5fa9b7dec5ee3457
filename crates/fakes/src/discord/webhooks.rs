//! Answers to interactions: the initial callback (once, within the deadline, of a type that fits
//! the interaction), then edits of `@original` and follow-ups through the interaction's webhook
//! token, which works only after the initial callback and for 15 minutes.

use std::time::Duration;

use serde_json::Value;

use super::errors::{DiscordError, FormErrors};
use super::limits;
use super::messages::check_body;
use super::record::{EPHEMERAL, InteractionId, LOADING, Modal, ResponseStep};
use super::rest::{Answer, Call, Handled};
use super::state::State;

/// How long an interaction token works for webhook calls.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

const MESSAGE: u8 = 4;
const DEFERRED_MESSAGE: u8 = 5;
const DEFERRED_UPDATE: u8 = 6;
const UPDATE_MESSAGE: u8 = 7;
const MODAL: u8 = 9;

const APPLICATION_COMMAND: u8 = 2;
const MODAL_SUBMIT: u8 = 5;

/// `POST /interactions/{id}/{token}/callback`.
pub(crate) fn callback(state: &mut State, id: &str, token: &str, call: &Call) -> Handled {
    let interaction_id = id
        .parse()
        .ok()
        .map(InteractionId)
        .filter(|id| state.tokens.get(token) == Some(id))
        .ok_or_else(DiscordError::unknown_interaction)?;
    let deadline = state.settings.interaction_deadline;
    let Some(interaction) = state.interactions.get(&interaction_id) else {
        return Err(DiscordError::unknown_interaction());
    };
    if let Some(first) = interaction.initial {
        return Err(DiscordError::already_acknowledged().with_detail(format!(
            "a second initial response; the first was type {first}"
        )));
    }
    if let Some(at) = interaction.dispatched_at
        && at.elapsed() > deadline
    {
        return Err(DiscordError::unknown_interaction().with_detail(format!(
            "initial response {} ms after the interaction was sent; the deadline is {} ms",
            at.elapsed().as_millis(),
            deadline.as_millis()
        )));
    }
    let kind = call
        .json
        .get("type")
        .and_then(Value::as_u64)
        .and_then(|k| u8::try_from(k).ok())
        .unwrap_or(0);
    let data = call.json.get("data").cloned().unwrap_or(Value::Null);
    let interaction_kind = interaction.kind;
    let source = interaction.source_message;
    let channel_id = interaction.channel_id;
    let allowed = match kind {
        MESSAGE | DEFERRED_MESSAGE => true,
        DEFERRED_UPDATE | UPDATE_MESSAGE => source.is_some(),
        MODAL => interaction_kind != MODAL_SUBMIT,
        _ => false,
    };
    if !allowed {
        let mut errors = FormErrors::default();
        let what = match interaction_kind {
            APPLICATION_COMMAND => "an application command",
            MODAL_SUBMIT => "a modal submit",
            _ => "a message component",
        };
        errors.add(
            &["type"],
            "INTERACTION_CALLBACK_TYPE_INVALID",
            &format!("Callback type {kind} is not a valid response to {what}"),
        );
        return Err(DiscordError::invalid_form_body(errors));
    }
    let original = match kind {
        MESSAGE => {
            check_body(&data, &call.files)?;
            if limits::is_empty_message(&data, call.files.len()) {
                return Err(DiscordError::empty_message());
            }
            let message =
                state.create_message(channel_id, &data, call.files.clone(), Some(interaction_id));
            Some(message.id)
        }
        DEFERRED_MESSAGE => {
            let ephemeral = data.get("flags").and_then(Value::as_u64).unwrap_or(0) & EPHEMERAL;
            let placeholder = serde_json::json!({"flags": LOADING | ephemeral});
            let message =
                state.create_message(channel_id, &placeholder, Vec::new(), Some(interaction_id));
            Some(message.id)
        }
        DEFERRED_UPDATE => source,
        UPDATE_MESSAGE => {
            check_body(&data, &call.files)?;
            if let Some(message_id) = source {
                state.edit_message(message_id, &data, call.files.clone());
            }
            source
        }
        _ => {
            let errors = limits::check_modal(&data);
            if !errors.is_empty() {
                return Err(DiscordError::invalid_form_body(errors));
            }
            None
        }
    };
    if let Some(interaction) = state.interactions.get_mut(&interaction_id) {
        interaction.initial = Some(kind);
        interaction.answered_at = Some(call.received);
        interaction.original = original;
        if kind == MODAL {
            interaction.modal = Some(modal_of(&data));
        }
        interaction.steps.push(ResponseStep::Callback {
            kind,
            data: data.clone(),
        });
    }
    Ok(Answer::NoContent)
}

fn modal_of(data: &Value) -> Modal {
    let text = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Modal {
        custom_id: text("custom_id"),
        title: text("title"),
        components: data
            .get("components")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    }
}

/// The interaction a webhook token belongs to, once it may be used.
fn usable_token(state: &State, token: &str) -> Result<InteractionId, DiscordError> {
    let id = *state
        .tokens
        .get(token)
        .ok_or_else(DiscordError::unknown_webhook)?;
    let interaction = state
        .interactions
        .get(&id)
        .ok_or_else(DiscordError::unknown_webhook)?;
    let expired = interaction
        .dispatched_at
        .is_some_and(|at| at.elapsed() > TOKEN_LIFETIME);
    if interaction.initial.is_none() {
        return Err(DiscordError::unknown_webhook()
            .with_detail("the interaction has no initial response yet"));
    }
    if expired {
        return Err(DiscordError::unknown_webhook().with_detail("the token has expired"));
    }
    Ok(id)
}

/// `POST /webhooks/{app}/{token}`: a follow-up message. The first follow-up after a deferred
/// message fills the "thinking..." placeholder instead, as on Discord.
pub(crate) fn followup(state: &mut State, token: &str, call: &Call) -> Handled {
    let id = usable_token(state, token)?;
    check_body(&call.json, &call.files)?;
    if limits::is_empty_message(&call.json, call.files.len()) {
        return Err(DiscordError::empty_message());
    }
    let Some(interaction) = state.interactions.get(&id) else {
        return Err(DiscordError::unknown_webhook());
    };
    let channel_id = interaction.channel_id;
    let placeholder = interaction
        .original
        .filter(|_| interaction.initial == Some(DEFERRED_MESSAGE))
        .filter(|m| {
            state
                .messages
                .get(m)
                .is_some_and(|m| m.flags & LOADING != 0)
        });
    let message = match placeholder {
        Some(original) => {
            let message = state.edit_message(original, &call.json, call.files.clone());
            if let Some(interaction) = state.interactions.get_mut(&id) {
                interaction.original_edits += 1;
            }
            message.ok_or_else(DiscordError::unknown_message)?
        }
        None => state.create_message(channel_id, &call.json, call.files.clone(), Some(id)),
    };
    if let Some(interaction) = state.interactions.get_mut(&id) {
        interaction.followups.push(message.id);
        interaction.steps.push(ResponseStep::Followup {
            message_id: message.id,
            body: call.json.clone(),
        });
    }
    Ok(Answer::Json(state.message_json(&message)))
}

/// `GET`, `PATCH`, `DELETE /webhooks/{app}/{token}/messages/{@original | id}`.
pub(crate) fn webhook_message(
    state: &mut State,
    method: &str,
    token: &str,
    message: &str,
    call: &Call,
) -> Handled {
    let id = usable_token(state, token)?;
    let Some(interaction) = state.interactions.get(&id) else {
        return Err(DiscordError::unknown_webhook());
    };
    let is_original = message == "@original";
    let message_id = if is_original {
        interaction.original
    } else {
        message
            .parse::<u64>()
            .ok()
            .filter(|m| interaction.followups.contains(m) || interaction.original == Some(*m))
    }
    .filter(|m| state.messages.contains_key(m))
    .ok_or_else(|| match method {
        "GET" => DiscordError::unknown_message_lookup(),
        _ => DiscordError::unknown_message(),
    })?;
    match method {
        "GET" => {
            let message = state.messages.get(&message_id);
            Ok(Answer::Json(
                message.map_or(Value::Null, |m| state.message_json(m)),
            ))
        }
        "PATCH" => {
            check_body(&call.json, &call.files)?;
            let edited = state
                .edit_message(message_id, &call.json, call.files.clone())
                .ok_or_else(DiscordError::unknown_message)?;
            if let Some(interaction) = state.interactions.get_mut(&id) {
                let step = if is_original || interaction.original == Some(message_id) {
                    interaction.original_edits += 1;
                    ResponseStep::EditOriginal(call.json.clone())
                } else {
                    ResponseStep::EditFollowup {
                        message_id,
                        body: call.json.clone(),
                    }
                };
                interaction.steps.push(step);
            }
            Ok(Answer::Json(state.message_json(&edited)))
        }
        "DELETE" => {
            state.delete_message(message_id);
            if let Some(interaction) = state.interactions.get_mut(&id)
                && is_original
            {
                interaction.steps.push(ResponseStep::DeleteOriginal);
            }
            Ok(Answer::NoContent)
        }
        _ => Err(DiscordError::method_not_allowed()),
    }
}
