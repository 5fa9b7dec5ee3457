//! The gateway's routes, on OpenRouter's own paths: `POST /api/v1/chat/completions`,
//! `POST /api/v1/responses`, `GET /api/v1/models`, and `GET /healthz` and `GET /metrics` for
//! the operator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::body::{RequestBody, Rewrite, Route};
use super::fair_use::{FairUse, MemberCaps};
use super::metrics::{Gauges, Metrics};
use super::model_cache::ModelCache;
use super::refusal::Refusal;
use super::relay::{Relay, Settlement};
use super::upstream::Upstream;
use super::usage::AnswerUsage;
use crate::domain::{CostSource, GatewayRequest, Outcome};
use crate::money::NanoUsd;
use crate::team::budget_hold::{ModelPrices, RequestSize, whole_bound};
use crate::team::gateway_token::GatewayToken;
use crate::team::model_policy::{ModelDecision, RequestedModels};
use crate::team::shared_key::{Denied, GatewayMember, SharedKey};

/// The response header that tells a client its request was served by another model.
pub const DOWNGRADED_HEADER: &str = "x-gateway-model-downgraded";

/// What every request of the gateway shares.
pub struct GatewayState {
    pub shared: SharedKey,
    pub upstream: Upstream,
    pub models: ModelCache,
    pub fair_use: FairUse,
    pub metrics: Metrics,
    pub max_body_bytes: u64,
    pub default_caps: MemberCaps,
}

/// The gateway's routes.
pub fn router(state: Arc<GatewayState>) -> Router {
    Router::new()
        .route("/api/v1/chat/completions", post(chat_completions))
        .route("/api/v1/responses", post(responses))
        .route("/api/v1/models", get(models))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .fallback(no_route)
        // The body is read with the gateway's own limit, which answers in OpenAI's shape.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn chat_completions(
    State(state): State<Arc<GatewayState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    complete(state, Route::ChatCompletions, headers, body).await
}

async fn responses(
    State(state): State<Arc<GatewayState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    complete(state, Route::Responses, headers, body).await
}

async fn no_route(uri: Uri) -> Response {
    refusal_response(
        &Refusal::NoRoute {
            path: uri.path().chars().take(200).collect(),
        },
        chrono::Utc::now(),
    )
}

async fn health(State(state): State<Arc<GatewayState>>) -> Response {
    let models = state.models.current().map_or(0, |list| list.len());
    let body = serde_json::json!({
        "status": "ok",
        "models": models,
        "requests_running": state.shared.running(),
        "ledger_queue": state.shared.ledger().depth(),
    });
    json_response(StatusCode::OK, body.to_string().into_bytes())
}

async fn metrics(State(state): State<Arc<GatewayState>>) -> Response {
    let gauges = Gauges {
        holds_outstanding: state.shared.running(),
        held_usd: state.shared.held().nanos() as f64 / 1e9,
        ledger_queue: state.shared.ledger().depth(),
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&gauges),
    )
        .into_response()
}

/// `GET /api/v1/models`: OpenRouter's list, with only the models the caller's tier allows.
async fn models(State(state): State<Arc<GatewayState>>, headers: HeaderMap) -> Response {
    let member = match authenticate(&state, &headers).await {
        Ok(member) => member,
        Err(refusal) => return refuse(&state, &refusal, ""),
    };
    let Some(list) = state
        .models
        .refresh(super::model_cache::REFRESH_EVERY)
        .await
    else {
        return refuse(&state, &Refusal::Unreachable, "");
    };
    let rules = state.shared.model_rules(&member);
    let body = list.body_for(|model| rules.allows(model));
    state.metrics.request(200, "");
    json_response(StatusCode::OK, body)
}

/// The member behind the request's token, or the refusal that answers it.
async fn authenticate(
    state: &GatewayState,
    headers: &HeaderMap,
) -> Result<Arc<GatewayMember>, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .and_then(GatewayToken::parse)
        .ok_or(Refusal::NoToken)?;
    match state.shared.authenticate(&token).await {
        Ok(Ok(member)) => Ok(member),
        Ok(Err(Denied::Unknown)) => Err(Refusal::UnknownToken),
        Ok(Err(Denied::Revoked(why))) => Err(Refusal::TokenRevoked { why }),
        Err(e) => {
            tracing::error!(error = %e, "a gateway token could not be checked");
            Err(Refusal::NotConfigured {
                what: "the bot's database (it did not answer)",
            })
        }
    }
}

/// A chat completion or a response: checked, held, forwarded, relayed and settled.
async fn complete(
    state: Arc<GatewayState>,
    route: Route,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let arrived = Instant::now();
    let member = match authenticate(&state, &headers).await {
        Ok(member) => member,
        Err(refusal) => return refuse(&state, &refusal, ""),
    };
    let caps = MemberCaps {
        max_in_flight: member
            .tier
            .max_in_flight
            .unwrap_or(state.default_caps.max_in_flight),
        requests_per_minute: member
            .tier
            .requests_per_minute
            .unwrap_or(state.default_caps.requests_per_minute),
    };
    let running = match state.fair_use.start(member.member_id, caps, arrived) {
        Ok(running) => running,
        Err(throttled) => {
            let row = refused_row(&state, &member, "", Outcome::Throttled, 429);
            state.shared.record(row);
            return refuse(&state, &Refusal::Throttled(throttled), "");
        }
    };
    let bytes = match read_body(&headers, body, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(refusal) => {
            let row = refused_row(&state, &member, "", Outcome::BadRequest, refusal.status());
            state.shared.record(row);
            return refuse(&state, &refusal, "");
        }
    };
    let request = match RequestBody::parse(route, &bytes) {
        Ok(request) => request,
        Err(error) => {
            let row = refused_row(&state, &member, "", Outcome::BadRequest, 400);
            state.shared.record(row);
            return refuse(&state, &Refusal::BadBody(error), "");
        }
    };
    let decision = state.shared.model_rules(&member).decide(&RequestedModels {
        model: request.model.clone(),
        fallbacks: request.models.clone(),
    });
    let (serve_with, downgraded) = match decision {
        ModelDecision::Allowed => (None, None),
        ModelDecision::Downgraded { requested, served } => {
            (Some(served.clone()), Some((requested, served)))
        }
        ModelDecision::Refused {
            disallowed,
            allowed,
        } => {
            let row = refused_row(&state, &member, &request.model, Outcome::RefusedModel, 403);
            state.shared.record(row);
            let refusal = Refusal::ModelNotAllowed {
                model: disallowed,
                tier: member.tier.name.to_string(),
                allowed,
            };
            return refuse(&state, &refusal, &request.model);
        }
    };
    // The models that may serve it: the fallback alone, or the model and its fallbacks.
    let serving: Vec<&str> = match &serve_with {
        Some(model) => vec![model.as_str()],
        None => std::iter::once(request.model.as_str())
            .chain(request.models.iter().map(String::as_str))
            .collect(),
    };
    let served_model = serving[0].to_string();
    let size = RequestSize {
        // Every byte of the body is at most one token of input, so the body's size bounds it.
        input_tokens: bytes.len() as u64,
        asked_output_tokens: request.output_cap,
        tier_output_cap: member.tier.max_output_tokens,
    };
    let prices = match dearest(&state, &serving, &size).await {
        Ok(prices) => prices,
        Err(refusal) => {
            let outcome = match refusal {
                Refusal::Unreachable => Outcome::Unreachable,
                _ => Outcome::BadRequest,
            };
            let row = refused_row(&state, &member, &request.model, outcome, refusal.status());
            state.shared.record(row);
            return refuse(&state, &refusal, &served_model);
        }
    };
    let hold = match state.shared.hold(&member, &prices, &size).await {
        Ok(Ok(hold)) => hold,
        Ok(Err(over)) => {
            let row = refused_row(&state, &member, &request.model, Outcome::RefusedBudget, 429);
            state.shared.record(row);
            let refusal = Refusal::OverBudget {
                remaining: over.remaining,
                window: Refusal::window_words(over.reset),
                resets_at: over.window.end,
            };
            return refuse(&state, &refusal, &served_model);
        }
        Err(e) => {
            tracing::error!(error = %e, "a budget hold could not be taken");
            return refuse(
                &state,
                &Refusal::NotConfigured {
                    what: "the bot's database (it did not answer)",
                },
                &served_model,
            );
        }
    };
    let forwarded = request.rewritten(&Rewrite {
        serve_with: serve_with.clone(),
        output_cap: hold.output_cap,
        member: member.pseudonym.clone(),
    });
    let mut row = state.shared.new_row(&member, &request.model);
    row.served_model = served_model.clone();
    row.outcome = if downgraded.is_some() {
        Outcome::Downgraded
    } else {
        Outcome::Served
    };
    row.hold = hold.amount;
    row.streamed = request.stream;
    state.shared.record(row.clone());
    if downgraded.is_some() {
        state.metrics.downgrade();
    }
    state.metrics.overhead(arrived.elapsed());
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let upstream = match state
        .upstream
        .forward(route.path(), forwarded, accept)
        .await
    {
        Ok(upstream) => upstream,
        Err(e) => {
            tracing::warn!(error = %crate::secret::redact_keys(&e.to_string()), "OpenRouter could not be reached");
            row.outcome = Outcome::Unreachable;
            row.http_status = Some(502);
            settle_free(&state, &hold, row).await;
            return refuse(&state, &Refusal::Unreachable, &served_model);
        }
    };
    state.metrics.first_byte(arrived.elapsed());
    let status = upstream.status();
    row.http_status = Some(status.as_u16());
    row.generation_id = upstream
        .headers()
        .get("x-generation-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| !id.is_empty())
        .map(str::to_string);
    let mut answer_headers = passed_headers(upstream.headers());
    if let Some((requested, served)) = &downgraded
        && let Ok(value) = HeaderValue::from_str(&format!("requested={requested}; served={served}"))
    {
        answer_headers.insert(HeaderName::from_static(DOWNGRADED_HEADER), value);
    }
    state.metrics.request(status.as_u16(), &served_model);
    let is_stream = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if status.is_success() && row.generation_id.is_some() {
        // The held row now has its generation id, for recovery if the bot dies before the
        // answer is read to its end.
        state.shared.record(row.clone());
    }
    if status.is_success() && is_stream {
        let settlement = Settlement::new(state.clone(), hold, row, running);
        let relay = Relay::new(upstream.bytes_stream(), settlement);
        return answer(status, answer_headers, Body::from_stream(relay));
    }
    let body = match upstream.bytes().await {
        Ok(body) => body,
        Err(e) => {
            // OpenRouter cut the answer: what it charged is asked of /generation.
            tracing::warn!(error = %crate::secret::redact_keys(&e.to_string()), "OpenRouter's answer was cut off");
            let settlement = Settlement::new(state.clone(), hold, row, running);
            drop(settlement);
            return refuse(&state, &Refusal::Unreachable, &served_model);
        }
    };
    if !status.is_success() {
        // OpenRouter's own refusal reaches the client as it is; nothing was generated.
        row.outcome = Outcome::UpstreamError;
        settle_free(&state, &hold, row).await;
        drop(running);
        return answer(status, answer_headers, Body::from(body));
    }
    let usage = AnswerUsage::of_json(&body);
    let mut settlement = Settlement::new(state.clone(), hold, row, running);
    settlement.take_usage(usage);
    drop(settlement);
    answer(status, answer_headers, Body::from(body))
}

/// The prices of the dearest model that may serve the request, so the hold covers any of them.
async fn dearest(
    state: &GatewayState,
    serving: &[&str],
    size: &RequestSize,
) -> Result<ModelPrices, Refusal> {
    let Some(list) = state.models.with_models(serving).await else {
        return Err(Refusal::Unreachable);
    };
    let mut dearest: Option<(NanoUsd, ModelPrices)> = None;
    for model in serving {
        let Some(prices) = list.prices(model) else {
            return Err(Refusal::UnknownModel {
                model: model.to_string(),
            });
        };
        let bound = whole_bound(prices, size);
        if dearest.is_none_or(|(most, _)| bound > most) {
            dearest = Some((bound, *prices));
        }
    }
    dearest
        .map(|(_, prices)| prices)
        .ok_or(Refusal::Unreachable)
}

/// Reads the body, at most `max` bytes.
async fn read_body(headers: &HeaderMap, body: Body, max: u64) -> Result<bytes::Bytes, Refusal> {
    let too_large = Refusal::TooLarge { max_bytes: max };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max) {
        return Err(too_large);
    }
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large)
}

/// A row for a request answered by the gateway itself: nothing held, nothing charged.
fn refused_row(
    state: &GatewayState,
    member: &GatewayMember,
    model: &str,
    outcome: Outcome,
    status: u16,
) -> GatewayRequest {
    let mut row = state.shared.new_row(member, model);
    row.outcome = outcome;
    row.http_status = Some(status);
    row.cost = Some(NanoUsd::ZERO);
    row.cost_source = Some(CostSource::NotCharged);
    row.settled_at = Some(row.started_at);
    row
}

/// Settles a forwarded request that cost nothing (OpenRouter refused it, or was not reached).
async fn settle_free(
    state: &GatewayState,
    hold: &crate::team::shared_key::Hold,
    mut row: GatewayRequest,
) {
    row.cost = Some(NanoUsd::ZERO);
    row.cost_source = Some(CostSource::NotCharged);
    row.settled_at = Some(state.shared.now());
    state.shared.settle(hold, row).await;
}

/// The gateway's own answer to a request it did not forward.
fn refuse(state: &GatewayState, refusal: &Refusal, model: &str) -> Response {
    state.metrics.refusal(refusal.reason());
    state.metrics.request(refusal.status(), model);
    refusal_response(refusal, state.shared.now())
}

fn refusal_response(refusal: &Refusal, now: chrono::DateTime<chrono::Utc>) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json_response(status, refusal.body().to_string().into_bytes());
    if let Some(wait) = refusal.retry_after(now) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn answer(status: reqwest::StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = headers;
    response
}

/// OpenRouter's response headers a client should see: all but those about the connection
/// itself, which the gateway's own connection sets.
fn passed_headers(upstream: &reqwest::header::HeaderMap) -> HeaderMap {
    const HOP_BY_HOP: [&str; 9] = [
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    ];
    let mut headers = HeaderMap::with_capacity(upstream.len());
    for (name, value) in upstream {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

/// How long a stream may run before the sweeper treats its hold as abandoned.
pub const STREAM_DEADLINE: Duration = Duration::from_secs(3_600);
