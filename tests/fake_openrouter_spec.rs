//! The fake OpenRouter and the client speak the official spec's JSON: every answer the fake gives
//! (successes and errors, endpoint by endpoint) and every body the client sends is checked against
//! `../shared/specs/openrouter-openapi.yaml`. Without the spec the test says so and passes.

mod support;

use std::collections::HashSet;

use fakes::openrouter::{self as fake, Endpoint, FakeOpenRouter, Fault, KeySeed};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{
    GuardrailSpec, KeyHash, KeyUpdate, LimitChange, ManagementApi,
};
use openrouter_team_bot::reset::LimitReset;
use serde_json::{Value, json};
use support::openapi::Spec;
use support::openrouter::{Harness, new_key};

/// Sends raw requests to the fake and checks each answer against the spec.
struct Probe<'a> {
    spec: &'a Spec,
    fake: &'a FakeOpenRouter,
    http: reqwest::Client,
    checked: usize,
}

/// Who a probe request authenticates as.
#[derive(Clone, Copy)]
enum As {
    Management,
    Regular,
    Stranger,
    Nobody,
}

impl Probe<'_> {
    /// Sends `method path?query` with `body`, expects `status`, checks the answer, returns it.
    async fn expect(
        &mut self,
        who: As,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let url = format!("{}{}", self.fake.base_url(), path_and_query);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method.clone(), url);
        request = match who {
            As::Management => request.bearer_auth(self.fake.management_key()),
            As::Regular => request.bearer_auth(self.fake.regular_key()),
            As::Stranger => request.bearer_auth(format!("sk-or-v1-{}", "f".repeat(64))),
            As::Nobody => request,
        };
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        let path = path_and_query.split('?').next().unwrap();
        assert_eq!(got, status, "{method} {path_and_query}: {answer}");
        check_answer(self.spec, method.as_str(), path, status, &answer);
        self.checked += 1;
        answer
    }
}

/// Checks an answer against its operation's schema for the status. Some operations do not list
/// every status the real service uses (`GET /keys` has no 403, though a non-management key gets
/// one); those answers are checked against the spec's shared error schema for the status.
fn check_answer(spec: &Spec, method: &str, path: &str, status: u16, answer: &Value) {
    match spec.check_response(method, path, status, answer) {
        Ok(()) => {}
        Err(e) if e.contains("does not document status") => {
            let component = match status {
                400 => "BadRequestResponse",
                401 => "UnauthorizedResponse",
                402 => "PaymentRequiredResponse",
                403 => "ForbiddenResponse",
                404 => "NotFoundResponse",
                429 => "TooManyRequestsResponse",
                _ => "InternalServerResponse",
            };
            spec.check_component(component, answer)
                .unwrap_or_else(|e| panic!("{method} {path} {status}: {e}"));
        }
        Err(e) => panic!("{e}\nanswer: {answer}"),
    }
}

#[tokio::test]
async fn every_answer_of_the_fake_matches_the_spec() {
    let Some(spec) = Spec::load("openrouter-openapi.yaml") else {
        return;
    };
    let fake = FakeOpenRouter::start().await.unwrap();
    let mut probe = Probe {
        spec: &spec,
        fake: &fake,
        http: reqwest::Client::new(),
        checked: 0,
    };
    let mut limited = KeySeed::named("team:alice:r1");
    limited.limit = Some(fake::Usd::from_dollars(10));
    limited.limit_reset = fake::LimitReset::Daily;
    limited.usage = fake::Usage {
        total: fake::Usd::from_micros(25_500_000),
        daily: fake::Usd::from_micros(2_500_000),
        weekly: fake::Usd::from_dollars(5),
        monthly: fake::Usd::from_dollars(12),
    };
    let alice = fake.add_key(limited);
    let mut disabled = KeySeed::named("team:bob:r2");
    disabled.disabled = true;
    let bob = fake.add_key(disabled);
    fake.add_activity(
        &alice,
        fake::ActivityRow {
            date: "2026-11-23".into(),
            model: "openai/gpt-4o-mini".into(),
            usage: fake::Usd::from_micros(12_000),
            requests: 3,
            prompt_tokens: 300,
            completion_tokens: 150,
        },
    );

    // GET /key
    let me = probe.expect(As::Management, "GET", "/key", None, 200).await;
    assert_eq!(me["data"]["is_management_key"], json!(true));
    let regular = probe.expect(As::Regular, "GET", "/key", None, 200).await;
    assert_eq!(regular["data"]["is_management_key"], json!(false));
    probe.expect(As::Stranger, "GET", "/key", None, 401).await;
    probe.expect(As::Nobody, "GET", "/key", None, 401).await;

    // GET /keys
    let page = probe
        .expect(
            As::Management,
            "GET",
            "/keys?offset=0&include_disabled=true",
            None,
            200,
        )
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let enabled = probe
        .expect(As::Management, "GET", "/keys", None, 200)
        .await;
    assert_eq!(enabled["data"].as_array().unwrap().len(), 1);
    probe
        .expect(As::Management, "GET", "/keys?offset=abc", None, 400)
        .await;
    probe.expect(As::Stranger, "GET", "/keys", None, 401).await;
    probe.expect(As::Regular, "GET", "/keys", None, 403).await;

    // POST /keys
    let created = probe
        .expect(
            As::Management,
            "POST",
            "/keys",
            Some(json!({
                "name": "team:carol:r3", "limit": 25.5, "limit_reset": "monthly",
                "expires_at": "2099-12-31T23:59:59Z", "include_byok_in_limit": true
            })),
            201,
        )
        .await;
    assert!(created["key"].as_str().unwrap().starts_with("sk-or-v1-"));
    let carol = created["data"]["hash"].as_str().unwrap().to_string();
    probe
        .expect(
            As::Management,
            "POST",
            "/keys",
            Some(json!({"name": "team:dave:r4"})),
            201,
        )
        .await;
    for invalid in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "x", "limit_reset": "yearly"}),
        json!({"name": "x", "limit": -1}),
        json!({"name": "x", "expires_at": "tomorrow"}),
    ] {
        probe
            .expect(As::Management, "POST", "/keys", Some(invalid), 400)
            .await;
    }
    probe
        .expect(
            As::Stranger,
            "POST",
            "/keys",
            Some(json!({"name": "x"})),
            401,
        )
        .await;
    probe
        .expect(
            As::Regular,
            "POST",
            "/keys",
            Some(json!({"name": "x"})),
            403,
        )
        .await;

    // GET, PATCH, DELETE /keys/{hash}
    let one = probe
        .expect(As::Management, "GET", &format!("/keys/{alice}"), None, 200)
        .await;
    assert_eq!(one["data"]["limit_remaining"], json!(7.5));
    let unknown = format!("/keys/{}", "0".repeat(64));
    probe
        .expect(As::Management, "GET", &unknown, None, 404)
        .await;
    probe
        .expect(As::Stranger, "GET", &format!("/keys/{alice}"), None, 401)
        .await;
    let unlimited = probe
        .expect(
            As::Management,
            "PATCH",
            &format!("/keys/{alice}"),
            Some(json!({"limit": null})),
            200,
        )
        .await;
    assert_eq!(unlimited["data"]["limit"], Value::Null);
    assert_eq!(unlimited["data"]["limit_remaining"], Value::Null);
    probe
        .expect(
            As::Management,
            "PATCH",
            &format!("/keys/{alice}"),
            Some(json!({
                "name": "team:alice:r1b", "disabled": true, "limit": 75,
                "limit_reset": null, "include_byok_in_limit": false
            })),
            200,
        )
        .await;
    probe
        .expect(
            As::Management,
            "PATCH",
            &format!("/keys/{alice}"),
            Some(json!({"limit_reset": "hourly"})),
            400,
        )
        .await;
    probe
        .expect(
            As::Management,
            "PATCH",
            &unknown,
            Some(json!({"disabled": true})),
            404,
        )
        .await;
    let deleted = probe
        .expect(As::Management, "DELETE", &format!("/keys/{bob}"), None, 200)
        .await;
    assert_eq!(deleted, json!({"deleted": true}));
    probe
        .expect(As::Management, "DELETE", &format!("/keys/{bob}"), None, 404)
        .await;

    // GET /credits, GET /activity
    probe
        .expect(As::Management, "GET", "/credits", None, 200)
        .await;
    probe
        .expect(As::Regular, "GET", "/credits", None, 403)
        .await;
    probe
        .expect(As::Stranger, "GET", "/credits", None, 401)
        .await;
    let rows = probe
        .expect(As::Management, "GET", "/activity", None, 200)
        .await;
    assert_eq!(rows["data"].as_array().unwrap().len(), 1);
    probe
        .expect(
            As::Management,
            "GET",
            &format!("/activity?api_key_hash={alice}&date=2026-11-23"),
            None,
            200,
        )
        .await;
    probe
        .expect(
            As::Management,
            "GET",
            "/activity?date=23.11.2026",
            None,
            400,
        )
        .await;
    probe
        .expect(As::Regular, "GET", "/activity", None, 403)
        .await;

    // Guardrails
    let guardrail = probe
        .expect(
            As::Management,
            "POST",
            "/guardrails",
            Some(json!({
                "name": "tier:basic", "description": "Basic tier",
                "allowed_models": ["openai/gpt-4o-mini"], "limit_usd": 50, "reset_interval": "monthly"
            })),
            201,
        )
        .await;
    let id = guardrail["data"]["id"].as_str().unwrap().to_string();
    for invalid in [
        json!({"allowed_models": ["openai/gpt-4o-mini"]}),
        json!({"name": "x", "allowed_models": []}),
        json!({"name": "x", "reset_interval": "hourly"}),
    ] {
        probe
            .expect(As::Management, "POST", "/guardrails", Some(invalid), 400)
            .await;
    }
    probe
        .expect(
            As::Regular,
            "POST",
            "/guardrails",
            Some(json!({"name": "x"})),
            403,
        )
        .await;
    let listed = probe
        .expect(
            As::Management,
            "GET",
            "/guardrails?offset=0&limit=100",
            None,
            200,
        )
        .await;
    assert_eq!(listed["total_count"], json!(1));
    probe
        .expect(As::Management, "GET", "/guardrails?limit=0", None, 400)
        .await;
    probe
        .expect(As::Stranger, "GET", "/guardrails", None, 401)
        .await;
    probe
        .expect(
            As::Management,
            "PATCH",
            &format!("/guardrails/{id}"),
            Some(json!({"name": "tier:basic-v2", "allowed_models": null, "limit_usd": null})),
            200,
        )
        .await;
    probe
        .expect(
            As::Management,
            "PATCH",
            &format!("/guardrails/{id}"),
            Some(json!({"name": ""})),
            400,
        )
        .await;
    let nowhere = "/guardrails/00000000-0000-4000-8000-000000000000";
    probe
        .expect(
            As::Management,
            "PATCH",
            nowhere,
            Some(json!({"name": "x"})),
            404,
        )
        .await;

    let assignments = format!("/guardrails/{id}/assignments/keys");
    let assigned = probe
        .expect(
            As::Management,
            "POST",
            &assignments,
            Some(json!({"key_hashes": [carol]})),
            200,
        )
        .await;
    assert_eq!(assigned, json!({"assigned_count": 1}));
    probe
        .expect(
            As::Management,
            "POST",
            &assignments,
            Some(json!({"key_hashes": []})),
            400,
        )
        .await;
    probe
        .expect(
            As::Management,
            "POST",
            &format!("{nowhere}/assignments/keys"),
            Some(json!({"key_hashes": [carol]})),
            404,
        )
        .await;
    let listed = probe
        .expect(As::Management, "GET", &assignments, None, 200)
        .await;
    assert_eq!(listed["data"][0]["key_name"], json!("team:carol:r3"));
    probe
        .expect(
            As::Management,
            "GET",
            &format!("{nowhere}/assignments/keys"),
            None,
            404,
        )
        .await;
    let removal = format!("{assignments}/remove");
    let removed = probe
        .expect(
            As::Management,
            "POST",
            &removal,
            Some(json!({"key_hashes": [carol]})),
            200,
        )
        .await;
    assert_eq!(removed, json!({"unassigned_count": 1}));
    probe
        .expect(As::Management, "POST", &removal, Some(json!({})), 400)
        .await;
    probe
        .expect(
            As::Management,
            "POST",
            &format!("{nowhere}/assignments/keys/remove"),
            Some(json!({"key_hashes": [carol]})),
            404,
        )
        .await;

    // Faults answer with the same error shape.
    fake.fail_next(Endpoint::ListKeys, 1, Fault::rate_limited(Some(1)));
    probe
        .expect(As::Management, "GET", "/keys", None, 429)
        .await;
    fake.fail_next(Endpoint::GetKey, 1, Fault::status(500));
    probe
        .expect(As::Management, "GET", &format!("/keys/{carol}"), None, 500)
        .await;
    fake.fail_next(Endpoint::CreateKey, 1, Fault::rate_limited(None));
    probe
        .expect(
            As::Management,
            "POST",
            "/keys",
            Some(json!({"name": "x"})),
            429,
        )
        .await;
    fake.fail_next(Endpoint::CreateKey, 1, Fault::status(500));
    probe
        .expect(
            As::Management,
            "POST",
            "/keys",
            Some(json!({"name": "x"})),
            500,
        )
        .await;

    let probed: HashSet<Endpoint> = fake.requests().iter().filter_map(|r| r.endpoint).collect();
    assert_eq!(probed.len(), 14, "every endpoint is probed: {probed:?}");
    assert_eq!(probe.checked, fake.requests().len());
}

#[tokio::test]
async fn every_body_the_client_sends_matches_the_spec() {
    let Some(spec) = Spec::load("openrouter-openapi.yaml") else {
        return;
    };
    let h = Harness::start().await;
    let seeded: Vec<KeyHash> = h
        .fake
        .seed_keys(2, "team:member")
        .into_iter()
        .map(KeyHash)
        .collect();

    let mut full = new_key("team:alice:r1");
    full.limit = Some(Usd::from_micros(12_500_000));
    full.limit_reset = LimitReset::Weekly;
    full.expires_at = Some(chrono::Utc::now() + chrono::Duration::days(30));
    full.include_byok_in_limit = Some(false);
    let created = h.api.create_key(&full).await.unwrap();
    h.api.create_key(&new_key("team:bob:r2")).await.unwrap();
    let hash = created.key.hash;
    for update in [
        KeyUpdate {
            disabled: Some(true),
            ..KeyUpdate::default()
        },
        KeyUpdate {
            limit: Some(LimitChange::Remove),
            limit_reset: Some(LimitReset::Never),
            ..KeyUpdate::default()
        },
        KeyUpdate {
            name: Some("team:alice:r1b".into()),
            disabled: Some(false),
            limit: Some(LimitChange::Set(Usd::from_dollars(20))),
            limit_reset: Some(LimitReset::Daily),
            include_byok_in_limit: Some(true),
        },
    ] {
        h.api.update_key(&hash, &update).await.unwrap();
    }
    let basic = h
        .api
        .create_guardrail(&GuardrailSpec {
            name: "tier:basic".into(),
            allowed_models: vec!["openai/gpt-4o-mini".into()],
        })
        .await
        .unwrap();
    h.api
        .create_guardrail(&GuardrailSpec {
            name: "tier:open".into(),
            allowed_models: vec![],
        })
        .await
        .unwrap();
    for models in [vec![], vec!["meta-llama/llama-3.1-8b-instruct".to_string()]] {
        h.api
            .update_guardrail(
                &basic.id,
                &GuardrailSpec {
                    name: "tier:basic".into(),
                    allowed_models: models,
                },
            )
            .await
            .unwrap();
    }
    h.api.assign_keys(&basic.id, &seeded).await.unwrap();
    h.api.unassign_keys(&basic.id, &seeded[..1]).await.unwrap();
    h.api.delete_key(&hash).await.unwrap();

    let with_bodies: Vec<_> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.body.is_some())
        .collect();
    assert_eq!(with_bodies.len(), 11);
    for request in with_bodies {
        let body = request.body.as_ref().unwrap();
        spec.check_request(&request.method, &request.path, body)
            .unwrap_or_else(|e| panic!("{e}\nbody: {body}"));
    }
}
