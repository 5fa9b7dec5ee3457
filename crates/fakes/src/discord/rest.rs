//! The REST side: an HTTP server that takes `/api/v10/...` calls as serenity sends them through
//! its proxy setting, records each one, checks the token and (when a validator is installed)
//! the body, and routes it to the handlers of the other modules.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::errors::DiscordError;
use super::objects;
use super::record::{Attachment, RecordedRequest, RequestBody};
use super::state::{Shared, State};
use super::{messages, multipart, webhooks};

/// Bodies larger than this are cut off by the server itself (Discord's own cap is lower).
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// A successful answer.
pub(crate) enum Answer {
    /// 200 with a JSON body.
    Json(Value),
    /// 204 No Content.
    NoContent,
}

/// The result of a route handler.
pub(crate) type Handled = Result<Answer, DiscordError>;

/// A request as the handlers see it.
pub(crate) struct Call<'a> {
    /// The path segments after `/api/v10`.
    pub segments: Vec<&'a str>,
    /// Query parameters.
    pub query: HashMap<String, String>,
    /// The JSON body or `payload_json`; `Null` when there is none.
    pub json: Value,
    /// Uploaded files.
    pub files: Vec<Attachment>,
    /// The base URL of the gateway listener.
    pub gateway_url: &'a str,
    /// When the request's body had been read.
    pub received: Instant,
}

/// Serves REST calls until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, gateway_url: String) {
    let app = Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state((shared, Arc::new(gateway_url)));
    if let Err(error) = axum::serve(listener, app).await {
        tracing::warn!(%error, "the fake Discord REST server stopped");
    }
}

async fn handle(
    AxumState((shared, gateway_url)): AxumState<(Arc<Shared>, Arc<String>)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = method.as_str().to_string();
    let full_path = uri.path().to_string();
    let path = full_path
        .strip_prefix("/api/v10")
        .unwrap_or(&full_path)
        .to_string();
    let body = read_body(&headers, body).await;
    let recorded = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: uri.query().map(str::to_string),
        body: body.clone(),
        at: Instant::now(),
    };
    let (token, validator) =
        shared.read(|s| (s.guild.bot.token.clone(), s.settings.validator.clone()));
    let checked =
        check(&headers, &token, &full_path, &body).and_then(|()| match (&validator, body.json()) {
            (Some(validate), Some(json)) => {
                validate(&method, &path, json).map_err(|e| DiscordError::malformed_body(&e))
            }
            _ => Ok(()),
        });
    let query = parse_query(uri.query());
    let received = recorded.at;
    let result = shared.update(|state| {
        state.requests.push(recorded);
        let result = checked.and_then(|()| {
            let (json, files) = match body {
                RequestBody::Json(v) => (v, Vec::new()),
                RequestBody::Multipart {
                    payload_json,
                    files,
                } => (payload_json.unwrap_or(Value::Null), files),
                RequestBody::Empty | RequestBody::Unreadable(_) => (Value::Null, Vec::new()),
            };
            let call = Call {
                segments: path.trim_matches('/').split('/').collect(),
                query,
                json,
                files,
                gateway_url: &gateway_url,
                received,
            };
            route(state, &method, &call)
        });
        if let Err(error) = &result
            && error.is_violation
        {
            state.violation(
                &method,
                &path,
                error.status.as_u16(),
                error.code,
                &error.message,
                &error.detail,
            );
        }
        result
    });
    match result {
        Ok(Answer::Json(value)) => (StatusCode::OK, axum::Json(value)).into_response(),
        Ok(Answer::NoContent) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

/// The checks every request passes before routing: the API prefix, a readable body, the token.
fn check(
    headers: &HeaderMap,
    token: &str,
    full_path: &str,
    body: &RequestBody,
) -> Result<(), DiscordError> {
    if !full_path.starts_with("/api/v10/") {
        return Err(DiscordError::unknown_route());
    }
    if let RequestBody::Unreadable(reason) = body {
        return Err(DiscordError::malformed_body(reason));
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Interaction callbacks and webhook calls authenticate with their token in the path, and
    // `GET /gateway` is open to anyone.
    let needs_no_token = full_path.starts_with("/api/v10/interactions/")
        || full_path.starts_with("/api/v10/webhooks/")
        || full_path == "/api/v10/gateway";
    if !needs_no_token && authorization != format!("Bot {token}") {
        return Err(DiscordError::unauthorized());
    }
    Ok(())
}

async fn read_body(headers: &HeaderMap, body: Bytes) -> RequestBody {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if content_type.starts_with("multipart/form-data") {
        return match multipart::parse(&content_type, body).await {
            Ok(upload) => RequestBody::Multipart {
                payload_json: upload.payload_json,
                files: upload.files,
            },
            Err(reason) => RequestBody::Unreadable(reason),
        };
    }
    if body.is_empty() {
        return RequestBody::Empty;
    }
    match serde_json::from_slice(&body) {
        Ok(value) => RequestBody::Json(value),
        Err(e) => RequestBody::Unreadable(format!("the body is not JSON: {e}")),
    }
}

fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (pair.to_string(), String::new()),
        })
        .collect()
}

fn route(state: &mut State, method: &str, call: &Call) -> Handled {
    let guild_id = state.guild.id.to_string();
    let app_id = state.guild.bot.application_id.to_string();
    match (method, call.segments.as_slice()) {
        ("GET", ["gateway"]) => Ok(Answer::Json(json!({"url": call.gateway_url}))),
        ("GET", ["gateway", "bot"]) => Ok(Answer::Json(json!({
            "url": call.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1
            },
        }))),
        ("GET", ["users", "@me"]) => Ok(Answer::Json(objects::current_user(&state.guild.bot))),
        ("GET", ["users", user]) => user
            .parse()
            .ok()
            .and_then(|id| state.user_json(id))
            .map(Answer::Json)
            .ok_or_else(DiscordError::unknown_user),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => {
            let owner = state
                .user_json(state.guild.owner_id())
                .unwrap_or(Value::Null);
            let enabled = state.settings.members_intent_enabled;
            Ok(Answer::Json(objects::application(
                &state.guild,
                &owner,
                enabled,
            )))
        }
        (_, ["applications", app, ..]) if *app != app_id => Err(DiscordError::missing_access()),
        (_, ["applications", _, "guilds", guild, "commands"]) if *guild != guild_id => {
            Err(DiscordError::missing_access())
        }
        ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            messages::overwrite_commands(state, &call.json, true)
        }
        ("PUT", ["applications", _, "commands"]) => {
            messages::overwrite_commands(state, &call.json, false)
        }
        ("GET", ["applications", _, "guilds", _, "commands"]) => Ok(Answer::Json(json!(
            state.guild_commands.clone().unwrap_or_default()
        ))),
        ("GET", ["applications", _, "commands"]) => Ok(Answer::Json(json!(
            state.global_commands.clone().unwrap_or_default()
        ))),
        ("POST", ["interactions", id, token, "callback"]) => {
            webhooks::callback(state, id, token, call)
        }
        (_, ["webhooks", app, ..]) if *app != app_id => Err(DiscordError::unknown_webhook()),
        ("POST", ["webhooks", _, token]) => webhooks::followup(state, token, call),
        (_, ["webhooks", _, token, "messages", message]) => {
            webhooks::webhook_message(state, method, token, message, call)
        }
        (_, ["channels", ..] | ["users", "@me", "channels"]) => {
            messages::route(state, method, call)
        }
        (_, ["guilds", guild, ..]) if *guild != guild_id => Err(DiscordError::unknown_guild()),
        ("GET", ["guilds", _]) => Ok(Answer::Json(objects::guild(&state.current_guild()))),
        ("GET", ["guilds", _, "roles"]) => Ok(Answer::Json(objects::roles(&state.guild))),
        ("GET", ["guilds", _, "channels"]) => Ok(Answer::Json(objects::channels(&state.guild))),
        ("GET", ["guilds", _, "members"]) => list_members(state, call),
        ("GET", ["guilds", _, "members", user]) => {
            let user_id: u64 = user.parse().map_err(|_| DiscordError::unknown_member())?;
            if user_id == state.guild.bot.user_id {
                return Ok(Answer::Json(objects::member(
                    &objects::bot_member(&state.guild.bot),
                    true,
                )));
            }
            state
                .members
                .get(&user_id)
                .map(|m| Answer::Json(objects::member(m, true)))
                .ok_or_else(DiscordError::unknown_member)
        }
        _ => Err(DiscordError::unknown_route()),
    }
}

/// `GET /guilds/{id}/members?limit=&after=`: ordered by user id, `after` exclusive, the bot
/// included (it is a member too).
fn list_members(state: &State, call: &Call) -> Handled {
    if !state.settings.members_intent_enabled {
        return Err(DiscordError::missing_access());
    }
    let limit = match call.query.get("limit") {
        None => 1,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                let mut errors = super::errors::FormErrors::default();
                errors.add(
                    &["limit"],
                    "NUMBER_TYPE_MAX",
                    "int value should be less than or equal to 1000.",
                );
                return Err(DiscordError::invalid_form_body(errors));
            }
        },
    };
    let after: u64 = call
        .query
        .get("after")
        .and_then(|after| after.parse().ok())
        .unwrap_or(0);
    let bot = objects::bot_member(&state.guild.bot);
    let mut all: Vec<_> = state.members.values().chain([&bot]).collect();
    all.sort_by_key(|m| m.user_id);
    let page: Vec<Value> = all
        .into_iter()
        .filter(|m| m.user_id > after)
        .take(limit)
        .map(|m| objects::member(m, true))
        .collect();
    Ok(Answer::Json(Value::Array(page)))
}
