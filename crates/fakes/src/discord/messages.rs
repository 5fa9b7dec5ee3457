//! Channel messages and DMs: posting (JSON or with files, with `enforce_nonce`), editing,
//! reading and deleting; opening DM channels and refusing DMs to users who closed them; and the
//! bulk overwrite of application commands.

use std::time::Instant;

use serde_json::{Value, json};

use super::errors::DiscordError;
use super::limits;
use super::objects;
use super::record::Attachment;
use super::rest::{Answer, Call, Handled};
use super::state::{NONCE_WINDOW, State, id_of, nonce_text};

/// Routes `/channels/...` and `/users/@me/channels`.
pub(crate) fn route(state: &mut State, method: &str, call: &Call) -> Handled {
    match (method, call.segments.as_slice()) {
        ("POST", ["users", "@me", "channels"]) => open_dm(state, &call.json),
        ("GET", ["channels", channel]) => {
            let channel = channel_id(state, channel)?;
            Ok(Answer::Json(channel_json(state, channel)))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel = channel_id(state, channel)?;
            post(state, channel, &call.json, call.files.clone())
        }
        ("GET", ["channels", channel, "messages"]) => {
            let channel = channel_id(state, channel)?;
            let limit = call
                .query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(50usize);
            let log = state.channel_log.get(&channel).cloned().unwrap_or_default();
            let newest_first: Vec<Value> = log
                .iter()
                .rev()
                .take(limit)
                .filter_map(|id| state.messages.get(id))
                .map(|m| state.message_json(m))
                .collect();
            Ok(Answer::Json(Value::Array(newest_first)))
        }
        (_, ["channels", channel, "messages", message]) => {
            let channel = channel_id(state, channel)?;
            let message_id = message
                .parse::<u64>()
                .ok()
                .filter(|id| {
                    state
                        .messages
                        .get(id)
                        .is_some_and(|m| m.channel_id == channel)
                })
                .ok_or_else(DiscordError::unknown_message)?;
            message_route(state, method, message_id, call)
        }
        _ => Err(DiscordError::unknown_route()),
    }
}

fn message_route(state: &mut State, method: &str, message_id: u64, call: &Call) -> Handled {
    match method {
        "GET" => Ok(Answer::Json(
            state
                .messages
                .get(&message_id)
                .map(|m| state.message_json(m))
                .unwrap_or(Value::Null),
        )),
        "PATCH" => {
            let author = state.messages.get(&message_id).map(|m| m.author_id);
            if author != Some(state.guild.bot.user_id) {
                return Err(DiscordError::cannot_edit_others_message());
            }
            check_body(&call.json, &call.files)?;
            let edited = state
                .edit_message(message_id, &call.json, call.files.clone())
                .ok_or_else(DiscordError::unknown_message)?;
            Ok(Answer::Json(state.message_json(&edited)))
        }
        "DELETE" => {
            state.delete_message(message_id);
            Ok(Answer::NoContent)
        }
        _ => Err(DiscordError::method_not_allowed()),
    }
}

/// `POST /channels/{id}/messages`.
fn post(state: &mut State, channel_id: u64, body: &Value, files: Vec<Attachment>) -> Handled {
    if let Some(user) = state.dm_recipient(channel_id)
        && state.closed_dms.contains(&user)
    {
        return Err(DiscordError::cannot_message_user());
    }
    check_body(body, &files)?;
    if limits::is_empty_message(body, files.len()) {
        return Err(DiscordError::empty_message());
    }
    let nonce = body.get("nonce").and_then(nonce_text);
    let enforce = body.get("enforce_nonce").and_then(Value::as_bool) == Some(true);
    if let (Some(nonce), true) = (&nonce, enforce) {
        let key = (channel_id, nonce.clone());
        if let Some((first, at)) = state.nonces.get(&key)
            && at.elapsed() < NONCE_WINDOW
            && let Some(message) = state.messages.get(first)
        {
            return Ok(Answer::Json(state.message_json(message)));
        }
    }
    let message = state.create_message(channel_id, body, files, None);
    if let (Some(nonce), true) = (nonce, enforce) {
        state
            .nonces
            .insert((channel_id, nonce), (message.id, Instant::now()));
    }
    Ok(Answer::Json(state.message_json(&message)))
}

/// Checks a message body and its files against Discord's limits.
pub(crate) fn check_body(body: &Value, files: &[Attachment]) -> Result<(), DiscordError> {
    if files.iter().any(|f| f.bytes.len() > limits::FILE_MAX_BYTES) {
        return Err(DiscordError::entity_too_large());
    }
    let errors = limits::check_message(body);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DiscordError::invalid_form_body(errors))
    }
}

/// `POST /users/@me/channels`: opening a DM works even when the user closed DMs, as on Discord.
fn open_dm(state: &mut State, body: &Value) -> Handled {
    let recipient = id_of(body.get("recipient_id"))
        .filter(|id| state.members.contains_key(id))
        .ok_or_else(|| {
            let mut errors = super::errors::FormErrors::default();
            errors.add(
                &["recipient_id"],
                "INVALID_RECIPIENT",
                "Invalid Recipient(s)",
            );
            DiscordError::invalid_form_body(errors)
        })?;
    let channel_id = match state.dm_channels.get(&recipient) {
        Some(id) => *id,
        None => {
            let id = state.new_id();
            state.dm_channels.insert(recipient, id);
            id
        }
    };
    Ok(Answer::Json(channel_json(state, channel_id)))
}

fn channel_id(state: &State, text: &str) -> Result<u64, DiscordError> {
    text.parse()
        .ok()
        .filter(|id| state.channel_exists(*id))
        .ok_or_else(DiscordError::unknown_channel)
}

fn channel_json(state: &State, channel_id: u64) -> Value {
    if let Some(member) = state
        .dm_recipient(channel_id)
        .and_then(|user| state.members.get(&user))
    {
        return objects::dm_channel(channel_id, member);
    }
    state
        .guild
        .channels
        .iter()
        .enumerate()
        .find(|(_, c)| c.id == channel_id)
        .map_or(Value::Null, |(i, c)| {
            objects::text_channel(state.guild.id, c, i)
        })
}

/// `PUT /applications/{app}/guilds/{guild}/commands` and the global variant: replaces the set.
pub(crate) fn overwrite_commands(state: &mut State, body: &Value, in_guild: bool) -> Handled {
    let sent = body
        .as_array()
        .ok_or_else(|| DiscordError::malformed_body("the body must be an array of commands"))?;
    let errors = limits::check_commands(sent);
    if !errors.is_empty() {
        return Err(DiscordError::invalid_form_body(errors));
    }
    let application_id = state.guild.bot.application_id;
    let guild_id = in_guild.then_some(state.guild.id);
    let previous = if in_guild {
        &state.guild_commands
    } else {
        &state.global_commands
    };
    let previous_ids: Vec<(String, u64)> = previous
        .iter()
        .flatten()
        .filter_map(|c| Some((c.get("name")?.as_str()?.to_string(), id_of(c.get("id"))?)))
        .collect();
    let mut registered = Vec::new();
    for command in sent {
        let name = command
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // Discord keeps a command's id when a bulk overwrite names it again.
        let id = match previous_ids.iter().find(|(n, _)| n == name) {
            Some((_, id)) => *id,
            None => state.new_id(),
        };
        registered.push(objects::command(command, id, application_id, guild_id));
    }
    if in_guild {
        state.guild_commands = Some(registered.clone());
    } else {
        state.global_commands = Some(registered.clone());
    }
    Ok(Answer::Json(json!(registered)))
}
