//! The fake's inference endpoints over HTTP: `POST /chat/completions` (a JSON answer or a
//! server-sent event stream), `POST /responses`, `GET /models` and `GET /generation`, in the
//! official spec's shapes, with the errors a plan asks for.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State as AxumState};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};

use super::inference::{CompletionPlan, CompletionRequest, FakeGeneration, FakeModel};
use super::server::{API_ROOT, Connection, bearer_token};
use super::{Caller, Shared};

/// The comment OpenRouter sends while a stream waits for its first token.
const KEEP_ALIVE: &[u8] = b": OPENROUTER PROCESSING\n\n";
/// The header that names an answer's generation.
const GENERATION_HEADER: &str = "x-generation-id";

/// The inference routes, ahead of the management fallback.
pub(super) fn routes(router: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    router
        .route(&format!("{API_ROOT}/chat/completions"), post(chat))
        .route(&format!("{API_ROOT}/responses"), post(responses))
        .route(&format!("{API_ROOT}/models"), get(models))
        .route(&format!("{API_ROOT}/generation"), get(generation))
}

/// Which completion API a request came in on.
#[derive(Clone, Copy, PartialEq)]
enum Api {
    Chat,
    Responses,
}

impl Api {
    fn path(self) -> &'static str {
        match self {
            Api::Chat => "/chat/completions",
            Api::Responses => "/responses",
        }
    }

    /// The field the conversation is in.
    fn conversation(self) -> &'static str {
        match self {
            Api::Chat => "messages",
            Api::Responses => "input",
        }
    }
}

async fn chat(
    AxumState(shared): AxumState<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    complete(Api::Chat, shared, connection, headers, body).await
}

async fn responses(
    AxumState(shared): AxumState<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    complete(Api::Responses, shared, connection, headers, body).await
}

/// A completion that is going to be served.
struct Served {
    id: String,
    model: FakeModel,
    prompt_tokens: u64,
    completion_tokens: u64,
    finish_reason: &'static str,
    user: Option<String>,
    created: i64,
    plan: CompletionPlan,
}

async fn complete(
    api: Api,
    shared: Arc<Shared>,
    connection: Connection,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = shared.lock().caller(bearer_token(&headers).as_deref());
    let parsed = serde_json::from_slice::<Value>(&body);
    {
        let mut inference = shared.inference();
        if inference.record_requests {
            inference.requests.push(CompletionRequest {
                path: api.path().to_string(),
                caller: caller.clone(),
                referer: header(&headers, "http-referer"),
                title: header(&headers, "x-openrouter-title").or(header(&headers, "x-title")),
                body: parsed.as_ref().cloned().unwrap_or(Value::Null),
                raw_body: body.to_vec(),
                received_at: Instant::now(),
            });
        }
    }
    if let Err(refusal) = admit(&caller) {
        return refusal.into_response();
    }
    let request = match parsed {
        Ok(Value::Object(request)) => request,
        Ok(_) => return error(400, "The request body must be a JSON object").into_response(),
        Err(e) => {
            return error(400, &format!("Invalid JSON in the request body: {e}")).into_response();
        }
    };
    let served = match serve(api, &shared, &request) {
        Ok(served) => served,
        Err(refusal) => return refusal.into_response(),
    };
    if let Some((status, retry_after)) = &served.plan.status {
        let mut response = error(*status, status_message(*status)).into_response();
        if let Some(value) = retry_after.as_deref().and_then(|v| v.parse().ok()) {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        return response;
    }
    let stream = request.get("stream") == Some(&Value::Bool(true));
    if stream {
        return stream_answer(api, shared, served);
    }
    json_answer(api, shared, connection, served).await
}

/// Only inference keys may complete: the account's regular key or a key it created.
fn admit(caller: &Caller) -> Result<(), Refusal> {
    match caller {
        Caller::Regular | Caller::IssuedKey(_) => Ok(()),
        Caller::Missing => Err(error(401, "Missing Authentication header")),
        Caller::Unknown => Err(error(401, "User not found.")),
        Caller::Management => Err(error(
            403,
            "Management keys cannot be used for inference; use a regular API key",
        )),
    }
}

/// Checks the request and decides what the answer holds.
fn serve(api: Api, shared: &Shared, request: &Map<String, Value>) -> Result<Served, Refusal> {
    let model_id = match request.get("model") {
        Some(Value::String(model)) => model.clone(),
        None => match request.get("models").and_then(Value::as_array) {
            Some(models) => models
                .first()
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| error(400, "`models` must list at least one model id"))?,
            None => return Err(error(400, "`model` is required")),
        },
        Some(_) => return Err(error(400, "`model` must be a string")),
    };
    let conversation = match request.get(api.conversation()) {
        Some(Value::Null) | None => {
            return Err(error(400, &format!("`{}` is required", api.conversation())));
        }
        Some(conversation) => conversation,
    };
    let cap = ["max_tokens", "max_completion_tokens", "max_output_tokens"]
        .iter()
        .filter_map(|field| request.get(*field))
        .find(|v| !v.is_null());
    let cap = match cap {
        None => None,
        Some(value) => match value.as_u64() {
            Some(cap) if cap > 0 => Some(cap),
            _ => {
                return Err(error(400, "max_tokens must be a positive integer"));
            }
        },
    };
    let prompt_tokens = prompt_tokens(conversation);
    let created = shared.lock().now().timestamp();
    let mut inference = shared.inference();
    let model = inference
        .model(&model_id)
        .cloned()
        .ok_or_else(|| error(400, &format!("{model_id} is not a valid model ID")))?;
    let plan = inference.next_plan();
    let mut completion_tokens = plan.completion_tokens;
    let mut finish_reason = "stop";
    for limit in [cap, model.max_completion_tokens].into_iter().flatten() {
        if limit < completion_tokens {
            completion_tokens = limit;
            finish_reason = "length";
        }
    }
    Ok(Served {
        id: inference.generation_id(),
        model,
        prompt_tokens,
        completion_tokens,
        finish_reason,
        user: request
            .get("user")
            .and_then(Value::as_str)
            .map(str::to_string),
        created,
        plan,
    })
}

/// A token is four bytes of the conversation as compact JSON, at least one.
fn prompt_tokens(conversation: &Value) -> u64 {
    let bytes = serde_json::to_vec(conversation).map_or(0, |b| b.len() as u64);
    bytes.div_ceil(4).max(1)
}

/// The words of an answer of `tokens` tokens, starting at token `from`.
fn words(from: u64, tokens: u64) -> String {
    const WORDS: [&str; 8] = ["The", "quick", "brown", "fox", "jumps", "over", "a", "dog"];
    (from..from + tokens)
        .map(|i| WORDS[(i % 8) as usize])
        .collect::<Vec<_>>()
        .join(" ")
        + " "
}

fn usage_json(served: &Served, completion_tokens: u64, cost_nanos: i64) -> Value {
    json!({
        "prompt_tokens": served.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": served.prompt_tokens + completion_tokens,
        "cost": cost_nanos as f64 / 1e9,
        "is_byok": false,
    })
}

/// Records what was served, once per answer; `/generation` shows it after the delay.
fn record(shared: &Shared, served: &Served, sent: u64, streamed: bool, end: End) {
    let created_at = shared.lock().now();
    shared.inference().generations.push(FakeGeneration {
        id: served.id.clone(),
        model: served.model.id.clone(),
        prompt_tokens: served.prompt_tokens,
        completion_tokens: sent,
        cost_nanos: served.model.cost_nanos(served.prompt_tokens, sent),
        streamed,
        cancelled: end == End::Cancelled,
        user: served.user.clone(),
        finish_reason: match end {
            End::Finished => Some(served.finish_reason.to_string()),
            End::Failed => Some("error".to_string()),
            End::Cancelled => None,
        },
        created_at,
        finished_at: Instant::now(),
    });
}

/// How an answer ended.
#[derive(Clone, Copy, PartialEq)]
enum End {
    Finished,
    /// A mid-stream error or a cut connection.
    Failed,
    /// The client went away.
    Cancelled,
}

/// Records a JSON answer's generation, written to its end.
fn record_whole(shared: &Shared, served: &Served) {
    record(
        shared,
        served,
        served.completion_tokens,
        false,
        End::Finished,
    );
}

/// A JSON answer. A slow one is sent as OpenRouter sends it: the headers (with the generation
/// id) at once, a whitespace keep-alive, and the JSON once the model has finished, which it does
/// even when the client has gone.
async fn json_answer(
    api: Api,
    shared: Arc<Shared>,
    connection: Connection,
    served: Served,
) -> Response {
    let chunks = served
        .completion_tokens
        .div_ceil(served.plan.tokens_per_chunk.max(1));
    let wait = served.plan.chunk_delay * chunks as u32;
    if served.plan.drop_after_chunks.is_some() {
        tokio::time::sleep(wait).await;
        record_whole(&shared, &served);
        connection.close();
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let id = served.id.clone();
    let mut response = if wait.is_zero() {
        record_whole(&shared, &served);
        (StatusCode::OK, axum::Json(json_body(api, &served))).into_response()
    } else {
        let (done, finished) = tokio::sync::oneshot::channel::<Bytes>();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            record_whole(&shared, &served);
            let _ = done.send(Bytes::from(json_body(api, &served).to_string()));
        });
        let keep_alive = futures_util::stream::once(async { Ok(Bytes::from_static(b"\n")) });
        let answer = futures_util::stream::once(async move {
            finished
                .await
                .map_err(|_| std::io::Error::other("the fake stopped"))
        });
        let mut response = Response::new(Body::from_stream(keep_alive.chain(answer)));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    };
    insert_generation_id(&mut response, &id);
    response
}

/// The JSON of a finished answer.
fn json_body(api: Api, served: &Served) -> Value {
    let cost = served
        .model
        .cost_nanos(served.prompt_tokens, served.completion_tokens);
    let text = words(0, served.completion_tokens);
    match api {
        Api::Chat => json!({
            "id": served.id,
            "object": "chat.completion",
            "created": served.created,
            "model": served.model.id,
            "system_fingerprint": null,
            "choices": [{
                "index": 0,
                "finish_reason": served.finish_reason,
                "message": {"role": "assistant", "content": text},
            }],
            "usage": usage_json(served, served.completion_tokens, cost),
        }),
        Api::Responses => json!({
            "id": served.id,
            "object": "response",
            "created_at": served.created,
            "completed_at": served.created,
            "model": served.model.id,
            "status": if served.finish_reason == "stop" { "completed" } else { "incomplete" },
            "error": null,
            "incomplete_details": if served.finish_reason == "stop" {
                Value::Null
            } else {
                json!({"reason": "max_output_tokens"})
            },
            "instructions": null,
            "max_output_tokens": null,
            "metadata": null,
            "frequency_penalty": null,
            "presence_penalty": null,
            "temperature": null,
            "top_p": null,
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "tools": [],
            "output": [{
                "type": "message",
                "id": format!("msg-{}", served.id),
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }],
            "usage": {
                "input_tokens": served.prompt_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": served.completion_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": served.prompt_tokens + served.completion_tokens,
                "cost": cost as f64 / 1e9,
            },
        }),
    }
}

fn insert_generation_id(response: &mut Response, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(GENERATION_HEADER, value);
    }
}

/// A stream's progress; dropping it (the client hung up) records what was sent.
struct Streaming {
    api: Api,
    shared: Arc<Shared>,
    served: Served,
    keep_alive_left: usize,
    chunks_sent: usize,
    tokens_sent: u64,
    phase: Phase,
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    KeepAlive,
    Content,
    Usage,
    Done,
    Over,
}

impl Drop for Streaming {
    fn drop(&mut self) {
        if self.phase != Phase::Over {
            record(
                &self.shared,
                &self.served,
                self.tokens_sent,
                true,
                End::Cancelled,
            );
        }
    }
}

impl Streaming {
    /// A Responses API event of `kind` with `fields`, numbered in the stream's order.
    fn response_event(&self, kind: &str, mut fields: Value) -> Bytes {
        fields["type"] = json!(kind);
        fields["sequence_number"] = json!(self.chunks_sent + 1);
        event(&fields)
    }

    /// The Responses API's view of the answer so far (`in_progress` until it is whole).
    fn response_so_far(&self, status: &str) -> Value {
        let mut response = json_body(Api::Responses, &self.served);
        response["status"] = json!(status);
        if status != "completed" {
            response["output"] = json!([]);
            response["completed_at"] = Value::Null;
            if let Some(fields) = response.as_object_mut() {
                fields.remove("usage");
            }
        }
        response
    }

    fn chunk(&self, choices: Value, usage: Option<Value>) -> Bytes {
        let mut chunk = json!({
            "id": self.served.id,
            "object": "chat.completion.chunk",
            "created": self.served.created,
            "model": self.served.model.id,
            "choices": choices,
        });
        if let Some(usage) = usage {
            chunk["usage"] = usage;
        }
        event(&chunk)
    }

    fn usage(&self) -> Value {
        let cost = self
            .served
            .model
            .cost_nanos(self.served.prompt_tokens, self.tokens_sent);
        usage_json(&self.served, self.tokens_sent, cost)
    }

    /// Ends the stream here, recording it.
    fn finish(&mut self, end: End) {
        record(&self.shared, &self.served, self.tokens_sent, true, end);
        self.phase = Phase::Over;
    }

    /// The next piece of the stream; `None` at its end.
    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        let plan = &self.served.plan;
        match self.phase {
            Phase::KeepAlive => {
                if self.keep_alive_left > 0 {
                    self.keep_alive_left -= 1;
                    return Some(Ok(Bytes::from_static(KEEP_ALIVE)));
                }
                self.phase = Phase::Content;
                if self.api == Api::Responses {
                    let created = json!({"response": self.response_so_far("in_progress")});
                    return Some(Ok(self.response_event("response.created", created)));
                }
                Box::pin(self.next()).await
            }
            Phase::Content => {
                if plan.drop_after_chunks == Some(self.chunks_sent) {
                    // What was sent goes out first: the cut comes after it, not instead of it.
                    tokio::task::yield_now().await;
                    self.finish(End::Failed);
                    return Some(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "the fake cuts the stream as planned",
                    )));
                }
                if plan.error_after_chunks == Some(self.chunks_sent) && self.api == Api::Responses {
                    let failed = json!({
                        "code": "server_error",
                        "message": "Provider returned error: the upstream connection was reset",
                        "param": null,
                    });
                    self.finish(End::Failed);
                    return Some(Ok(self.response_event("error", failed)));
                }
                if plan.error_after_chunks == Some(self.chunks_sent) {
                    let mut chunk = json!({
                        "id": self.served.id,
                        "object": "chat.completion.chunk",
                        "created": self.served.created,
                        "model": self.served.model.id,
                        "error": {"code": 502, "message": "Provider returned error: the upstream connection was reset"},
                        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
                    });
                    chunk["error"]["metadata"] = json!({"error_type": "provider_unavailable"});
                    self.finish(End::Failed);
                    return Some(Ok(event(&chunk)));
                }
                if self.tokens_sent >= self.served.completion_tokens && self.chunks_sent > 0 {
                    self.phase = if plan.usage_on_last_content_chunk && self.api == Api::Chat {
                        Phase::Done
                    } else {
                        Phase::Usage
                    };
                    return Box::pin(self.next()).await;
                }
                if !plan.chunk_delay.is_zero() {
                    tokio::time::sleep(plan.chunk_delay).await;
                }
                let tokens = plan
                    .tokens_per_chunk
                    .max(1)
                    .min(self.served.completion_tokens - self.tokens_sent);
                if self.api == Api::Responses {
                    let delta = json!({
                        "item_id": format!("msg-{}", self.served.id),
                        "output_index": 0,
                        "content_index": 0,
                        "delta": words(self.tokens_sent, tokens),
                        "logprobs": [],
                    });
                    let event = self.response_event("response.output_text.delta", delta);
                    self.tokens_sent += tokens;
                    self.chunks_sent += 1;
                    return Some(Ok(event));
                }
                let mut delta = json!({"content": words(self.tokens_sent, tokens)});
                if self.chunks_sent == 0 {
                    delta["role"] = json!("assistant");
                }
                self.tokens_sent += tokens;
                self.chunks_sent += 1;
                let last = self.tokens_sent >= self.served.completion_tokens;
                let finish_reason = if last {
                    json!(self.served.finish_reason)
                } else {
                    Value::Null
                };
                let usage = (last && plan.usage_on_last_content_chunk).then(|| self.usage());
                let choices = json!([{"index": 0, "delta": delta, "finish_reason": finish_reason}]);
                Some(Ok(self.chunk(choices, usage)))
            }
            Phase::Usage if self.api == Api::Responses => {
                // The Responses API ends with the whole response, its usage and cost in it.
                let completed = json!({"response": self.response_so_far("completed")});
                let event = self.response_event("response.completed", completed);
                self.finish(End::Finished);
                Some(Ok(event))
            }
            Phase::Usage => {
                self.phase = Phase::Done;
                Some(Ok(self.chunk(json!([]), Some(self.usage()))))
            }
            Phase::Done => {
                self.finish(End::Finished);
                Some(Ok(Bytes::from_static(b"data: [DONE]\n\n")))
            }
            Phase::Over => None,
        }
    }
}

fn event(chunk: &Value) -> Bytes {
    let mut bytes = b"data: ".to_vec();
    bytes.extend_from_slice(chunk.to_string().as_bytes());
    bytes.extend_from_slice(b"\n\n");
    Bytes::from(bytes)
}

fn stream_answer(api: Api, shared: Arc<Shared>, served: Served) -> Response {
    let id = served.id.clone();
    let streaming = Streaming {
        api,
        shared,
        keep_alive_left: served.plan.keep_alive_comments,
        served,
        chunks_sent: 0,
        tokens_sent: 0,
        phase: Phase::KeepAlive,
    };
    let pieces = futures_util::stream::unfold(streaming, |mut streaming| async move {
        let piece = streaming.next().await?;
        Some((piece, streaming))
    });
    let mut response = Response::new(Body::from_stream(pieces));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    insert_generation_id(&mut response, &id);
    response
}

/// `GET /models`: every model, as the spec's `ModelsListResponse`. Like OpenRouter's, it needs
/// no key.
async fn models(AxumState(shared): AxumState<Arc<Shared>>) -> Response {
    let created = shared.lock().now().timestamp();
    let inference = shared.inference();
    let data: Vec<Value> = inference
        .models
        .iter()
        .map(|model| model_json(model, created))
        .collect();
    let total = data.len();
    axum::Json(json!({"data": data, "total_count": total, "links": {"next": null}})).into_response()
}

fn model_json(model: &FakeModel, created: i64) -> Value {
    let name = model.id.split('/').next_back().unwrap_or(&model.id);
    json!({
        "id": model.id,
        "canonical_slug": model.id,
        "name": name,
        "created": created,
        "description": format!("{name}, as served by the fake OpenRouter"),
        "context_length": model.context_length,
        "architecture": {
            "modality": "text->text",
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "tokenizer": "Other",
        },
        "pricing": {
            "prompt": model.prompt,
            "completion": model.completion,
            "request": model.request,
        },
        "top_provider": {
            "context_length": model.context_length,
            "max_completion_tokens": model.max_completion_tokens,
            "is_moderated": false,
        },
        "per_request_limits": null,
        "supported_parameters": ["max_tokens", "temperature", "top_p", "stop", "tools"],
        "default_parameters": null,
        "supported_voices": null,
        "links": {"details": format!("{API_ROOT}/models/{}/endpoints", model.id)},
    })
}

/// `GET /generation?id=`: a served generation once its delay has passed; 404 before.
async fn generation(
    AxumState(shared): AxumState<Arc<Shared>>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let caller = shared.lock().caller(bearer_token(&headers).as_deref());
    if let Err(refusal) = admit(&caller) {
        return refusal.into_response();
    }
    let Some(id) = query.iter().find(|(k, _)| k == "id").map(|(_, v)| v) else {
        return error(400, "`id` is required").into_response();
    };
    let inference = shared.inference();
    match inference.ready_generation(id) {
        Some(generation) => axum::Json(generation_json(generation)).into_response(),
        None => error(404, "Generation not found").into_response(),
    }
}

fn generation_json(generation: &FakeGeneration) -> Value {
    let cost = generation.cost_nanos as f64 / 1e9;
    let mut data = json!({
        "id": generation.id,
        "upstream_id": format!("chatcmpl-{}", generation.id),
        "total_cost": cost,
        "cache_discount": null,
        "upstream_inference_cost": null,
        "created_at": generation.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        "model": generation.model,
        "app_id": null,
        "streamed": generation.streamed,
        "cancelled": generation.cancelled,
        "provider_name": "Fake",
        "latency": 0,
        "moderation_latency": null,
        "generation_time": 0,
        "finish_reason": generation.finish_reason,
        "native_finish_reason": generation.finish_reason,
        "service_tier": null,
        "tokens_prompt": generation.prompt_tokens,
        "tokens_completion": generation.completion_tokens,
        "native_tokens_prompt": generation.prompt_tokens,
        "native_tokens_completion": generation.completion_tokens,
        "native_tokens_completion_images": 0,
        "native_tokens_reasoning": 0,
        "native_tokens_cached": 0,
    });
    let counts = json!({
        "num_media_prompt": 0,
        "num_input_audio_prompt": 0,
        "num_media_completion": 0,
        "num_search_results": 0,
        "num_fetches": 0,
        "web_search_engine": null,
        "origin": "",
        "usage": cost,
        "is_byok": false,
        "external_user": generation.user,
        "api_type": "completions",
        "preset_id": null,
        "router": null,
        "provider_responses": null,
        "user_agent": null,
        "http_referer": null,
        "data_region": "global",
        "workspace_id": super::DEFAULT_WORKSPACE_ID,
    });
    if let (Value::Object(data), Value::Object(counts)) = (&mut data, counts) {
        data.extend(counts);
    }
    json!({ "data": data })
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// An error answer: a status and OpenRouter's error shape.
struct Refusal {
    status: u16,
    message: String,
}

fn error(status: u16, message: &str) -> Refusal {
    Refusal {
        status,
        message: message.to_string(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({"error": {"code": self.status, "message": self.message}});
        (code, axum::Json(body)).into_response()
    }
}

fn status_message(status: u16) -> &'static str {
    match status {
        402 => "Insufficient credits. Add more using https://openrouter.ai/credits",
        408 => "Operation timed out. Please try again later.",
        429 => "Rate limit exceeded: free-models-per-min",
        500 => "Internal Server Error",
        502 => "Provider returned error",
        503 => "Service temporarily unavailable",
        _ => "The request failed",
    }
}
