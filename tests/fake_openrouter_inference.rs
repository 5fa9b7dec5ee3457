//! The fake OpenRouter's inference side behaves as the real one does for the gateway: exact costs
//! in `usage.cost`, streams with keep-alive comments and a usage chunk, `X-Generation-Id`, a
//! `/generation` that is ready only after a delay, and the planned faults (an error mid-stream, a
//! cut connection, a client that hangs up, an error status). Its answers are checked against
//! `../shared/specs/openrouter-openapi.yaml` when that is here.

mod support;

use std::time::Duration;

use fakes::openrouter::{Caller, CompletionPlan, FakeOpenRouter};
use serde_json::{Value, json};
use support::gateway::{generation_id, hang_up_after, until};
use support::openapi::Spec;

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn chat(fake: &FakeOpenRouter, key: &str, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn hello(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Hello there"}]})
}

/// The `data:` payloads of a stream, in order, and whether a comment came first.
fn events(text: &str) -> (bool, Vec<String>) {
    let comment_first = text.starts_with(": OPENROUTER PROCESSING\n\n");
    let data = text
        .split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_string)
        .collect();
    (comment_first, data)
}

async fn generation(fake: &FakeOpenRouter, id: &str) -> reqwest::Response {
    http()
        .get(format!("{}/generation", fake.base_url()))
        .query(&[("id", id)])
        .bearer_auth(fake.inference_key())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_json_answer_carries_the_exact_cost_and_its_generation() {
    let fake = FakeOpenRouter::start().await.unwrap();
    let mut body = hello("openai/gpt-4o-mini");
    body["user"] = json!("member-1");
    let response = chat(&fake, &fake.inference_key(), &body).await;
    assert_eq!(response.status(), 200);
    let id = generation_id(&response);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["id"], json!(id));
    assert_eq!(answer["choices"][0]["finish_reason"], json!("stop"));
    // The messages are 43 bytes of compact JSON: 11 prompt tokens; the plan writes 20.
    assert_eq!(answer["usage"]["prompt_tokens"], json!(11));
    assert_eq!(answer["usage"]["completion_tokens"], json!(20));
    let expected_nanos = 11 * 150 + 20 * 600;
    assert_eq!(answer["usage"]["cost"], json!(expected_nanos as f64 / 1e9));

    let generations = fake.generations();
    assert_eq!(generations.len(), 1);
    assert_eq!(generations[0].id, id);
    assert_eq!(generations[0].cost_nanos, expected_nanos);
    assert_eq!(generations[0].user.as_deref(), Some("member-1"));
    assert!(!generations[0].streamed && !generations[0].cancelled);
    let requests = fake.completion_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].caller, Caller::Regular);
    assert_eq!(requests[0].raw_body, serde_json::to_vec(&body).unwrap());
}

#[tokio::test]
async fn generation_is_found_only_after_its_delay() {
    let fake = FakeOpenRouter::start().await.unwrap();
    fake.set_generation_delay(Duration::from_secs(3600));
    let response = chat(&fake, &fake.inference_key(), &hello("openai/gpt-4o")).await;
    let id = generation_id(&response);
    assert_eq!(generation(&fake, &id).await.status(), 404);
    fake.set_generation_delay(Duration::ZERO);
    let found: Value = generation(&fake, &id).await.json().await.unwrap();
    assert_eq!(found["data"]["id"], json!(id));
    assert_eq!(found["data"]["tokens_completion"], json!(20));
    let nanos = fake.generation(&id).unwrap().cost_nanos;
    assert_eq!(found["data"]["total_cost"], json!(nanos as f64 / 1e9));
    assert_eq!(generation(&fake, "gen-unknown").await.status(), 404);
}

#[tokio::test]
async fn a_stream_sends_a_comment_chunks_a_usage_chunk_and_done() {
    let fake = FakeOpenRouter::start().await.unwrap();
    let mut body = hello("anthropic/claude-sonnet-4");
    body["stream"] = json!(true);
    body["max_tokens"] = json!(12);
    let response = chat(&fake, &fake.inference_key(), &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let id = generation_id(&response);
    let (comment_first, data) = events(&response.text().await.unwrap());
    assert!(comment_first);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    // 12 tokens in chunks of 5: three content chunks, then the usage chunk.
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], json!("length"));
    let usage = &chunks[3];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], json!(12));
    let nanos = 11 * 3000 + 12 * 15_000;
    assert_eq!(usage["usage"]["cost"], json!(nanos as f64 / 1e9));
    let generation = fake.generation(&id).unwrap();
    assert!(generation.streamed && !generation.cancelled);
    assert_eq!(generation.cost_nanos, nanos);
}

#[tokio::test]
async fn usage_can_come_on_the_last_content_chunk() {
    let fake = FakeOpenRouter::start().await.unwrap();
    fake.plan_next_completion(CompletionPlan {
        usage_on_last_content_chunk: true,
        ..CompletionPlan::new()
    });
    let mut body = hello("openai/gpt-4o-mini");
    body["stream"] = json!(true);
    let text = chat(&fake, &fake.inference_key(), &body)
        .await
        .text()
        .await
        .unwrap();
    let (_, data) = events(&text);
    let last: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], json!("stop"));
    assert_eq!(last["usage"]["completion_tokens"], json!(20));
}

#[tokio::test]
async fn an_error_mid_stream_ends_it_and_charges_what_was_sent() {
    let fake = FakeOpenRouter::start().await.unwrap();
    fake.plan_next_completion(CompletionPlan {
        error_after_chunks: Some(2),
        ..CompletionPlan::new()
    });
    let mut body = hello("openai/gpt-4o");
    body["stream"] = json!(true);
    let response = chat(&fake, &fake.inference_key(), &body).await;
    let id = generation_id(&response);
    let (_, data) = events(&response.text().await.unwrap());
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], json!(502));
    assert_eq!(last["choices"][0]["finish_reason"], json!("error"));
    assert!(!data.iter().any(|d| d == "[DONE]"));
    let generation = fake.generation(&id).unwrap();
    assert_eq!(generation.completion_tokens, 10);
    assert_eq!(generation.finish_reason.as_deref(), Some("error"));
}

#[tokio::test]
async fn a_cut_connection_leaves_the_client_an_incomplete_stream() {
    let fake = FakeOpenRouter::start().await.unwrap();
    fake.plan_next_completion(CompletionPlan {
        drop_after_chunks: Some(1),
        ..CompletionPlan::new()
    });
    let mut body = hello("openai/gpt-4o");
    body["stream"] = json!(true);
    let response = chat(&fake, &fake.inference_key(), &body).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.is_err(), "the body ends in an error");
    let generation = fake.generations().pop().unwrap();
    assert_eq!(generation.completion_tokens, 5);
}

#[tokio::test]
async fn a_client_that_hangs_up_is_charged_for_what_it_got() {
    let fake = FakeOpenRouter::start().await.unwrap();
    fake.plan_next_completion(CompletionPlan {
        completion_tokens: 1000,
        tokens_per_chunk: 1,
        chunk_delay: Duration::from_millis(5),
        ..CompletionPlan::new()
    });
    let mut body = hello("openai/gpt-4o");
    body["stream"] = json!(true);
    let response = chat(&fake, &fake.inference_key(), &body).await;
    let id = generation_id(&response);
    hang_up_after(response, 3).await;
    let generation = until("the cancelled generation", || {
        let found = fake.generation(&id);
        async move { found }
    })
    .await;
    assert!(generation.cancelled);
    assert!(generation.completion_tokens >= 3 && generation.completion_tokens < 1000);
}

#[tokio::test]
async fn bad_requests_and_planned_errors_serve_nothing() {
    let fake = FakeOpenRouter::start().await.unwrap();
    let key = fake.inference_key();
    let refused = |status: u16, body: Value| {
        let fake = &fake;
        let key = key.clone();
        async move {
            let response = chat(fake, &key, &body).await;
            assert_eq!(response.status(), status, "{body}");
            let answer: Value = response.json().await.unwrap();
            answer["error"]["message"].as_str().unwrap().to_string()
        }
    };
    assert!(
        refused(400, json!({"messages": []}))
            .await
            .contains("`model`")
    );
    assert!(
        refused(400, json!({"model": "openai/gpt-4o"}))
            .await
            .contains("`messages`")
    );
    assert!(
        refused(400, hello("nobody/nothing"))
            .await
            .contains("not a valid model")
    );
    let management = chat(&fake, &fake.management_key(), &hello("openai/gpt-4o")).await;
    assert_eq!(management.status(), 403);
    let stranger = chat(&fake, "sk-or-v1-nope", &hello("openai/gpt-4o")).await;
    assert_eq!(stranger.status(), 401);

    fake.plan_next_completion(CompletionPlan {
        status: Some((429, Some("7".into()))),
        ..CompletionPlan::new()
    });
    let limited = chat(&fake, &key, &hello("openai/gpt-4o")).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert!(fake.generations().is_empty());
}

#[tokio::test]
async fn the_model_list_has_each_models_prices_and_limits() {
    let fake = FakeOpenRouter::start().await.unwrap();
    let list: Value = http()
        .get(format!("{}/models", fake.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mini = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "openai/gpt-4o-mini")
        .unwrap();
    assert_eq!(mini["pricing"]["prompt"], json!("0.00000015"));
    assert_eq!(mini["pricing"]["completion"], json!("0.0000006"));
    assert_eq!(mini["top_provider"]["max_completion_tokens"], json!(16384));
    assert_eq!(list["total_count"], json!(5));
}

#[tokio::test]
async fn every_inference_answer_matches_the_spec() {
    let Some(spec) = Spec::load("openrouter-openapi.yaml") else {
        return;
    };
    let fake = FakeOpenRouter::start().await.unwrap();
    fake.set_generation_delay(Duration::ZERO);
    let key = fake.inference_key();
    let check = |method: &str, path: &str, status: u16, body: &Value| {
        spec.check_response(method, path, status, body)
            .unwrap_or_else(|e| panic!("{e}\n{body}"));
    };

    let body = hello("openai/gpt-4o-mini");
    spec.check_request("POST", "/chat/completions", &body)
        .unwrap();
    let response = chat(&fake, &key, &body).await;
    let id = generation_id(&response);
    check(
        "POST",
        "/chat/completions",
        200,
        &response.json().await.unwrap(),
    );

    let mut streamed = hello("openai/gpt-4o");
    streamed["stream"] = json!(true);
    fake.plan_next_completion(CompletionPlan {
        error_after_chunks: Some(1),
        ..CompletionPlan::new()
    });
    for _ in 0..2 {
        let text = chat(&fake, &key, &streamed).await.text().await.unwrap();
        for data in events(&text).1.iter().filter(|d| *d != "[DONE]") {
            let chunk: Value = serde_json::from_str(data).unwrap();
            spec.check_component("ChatStreamChunk", &chunk)
                .unwrap_or_else(|e| panic!("{e}\n{chunk}"));
        }
    }

    for (status, body) in [
        (400, json!({"model": "openai/gpt-4o"})),
        (400, hello("nobody/nothing")),
    ] {
        let answer: Value = chat(&fake, &key, &body).await.json().await.unwrap();
        check("POST", "/chat/completions", status, &answer);
    }
    let answer: Value = chat(&fake, "sk-or-v1-nope", &hello("openai/gpt-4o"))
        .await
        .json()
        .await
        .unwrap();
    check("POST", "/chat/completions", 401, &answer);
    for status in [402, 429, 500, 502, 503] {
        fake.plan_next_completion(CompletionPlan {
            status: Some((status, None)),
            ..CompletionPlan::new()
        });
        let answer: Value = chat(&fake, &key, &hello("openai/gpt-4o"))
            .await
            .json()
            .await
            .unwrap();
        check("POST", "/chat/completions", status, &answer);
    }

    let responses = json!({"model": "openai/gpt-4o-mini", "input": "Tell me a joke"});
    spec.check_request("POST", "/responses", &responses)
        .unwrap();
    let answer: Value = http()
        .post(format!("{}/responses", fake.base_url()))
        .bearer_auth(&key)
        .json(&responses)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("POST", "/responses", 200, &answer);

    // A streamed response: created, text deltas, completed with the usage; or an error event.
    let mut streamed = responses.clone();
    streamed["stream"] = json!(true);
    fake.plan_next_completion(CompletionPlan {
        error_after_chunks: Some(1),
        ..CompletionPlan::new()
    });
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let text = http()
            .post(format!("{}/responses", fake.base_url()))
            .bearer_auth(&key)
            .json(&streamed)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for data in events(&text).1 {
            let event: Value = serde_json::from_str(&data).unwrap();
            spec.check_component("StreamEvents", &event)
                .unwrap_or_else(|e| panic!("{e}\n{event}"));
            kinds.push(event["type"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(kinds.first().map(String::as_str), Some("response.created"));
    assert!(kinds.contains(&"error".to_string()), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("response.completed"));

    let list: Value = http()
        .get(format!("{}/models", fake.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("GET", "/models", 200, &list);

    let found: Value = generation(&fake, &id).await.json().await.unwrap();
    check("GET", "/generation", 200, &found);
    let missing: Value = generation(&fake, "gen-unknown").await.json().await.unwrap();
    check("GET", "/generation", 404, &missing);
}
