//! The OpenRouter client against the fake OpenRouter: paging, retries and their limits, creates
//! that must never be repeated blindly, typed errors, and keys kept out of every message.

mod support;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use fakes::openrouter::{
    self as fake, Caller, DEFAULT_WORKSPACE_ID, Endpoint, FakeOpenRouter, Fault, KeySeed,
};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{
    ActivityRow, ApiError, GuardrailSpec, KeyHash, KeyListing, KeyUpdate, LimitChange,
    ManagementApi, list_all_keys,
};
use openrouter_team_bot::reset::LimitReset;
use secrecy::ExposeSecret;
use serde_json::json;
use support::openrouter::{
    Harness, MAX_ATTEMPTS, assert_hides_secrets, client, fake_activity, fast_settings, new_key,
};

/// Hashes from the fake, as the client names them.
fn hashes(from_the_fake: Vec<String>) -> Vec<KeyHash> {
    from_the_fake.into_iter().map(KeyHash).collect()
}

/// The error of `result`, after checking that it shows no key.
fn error_of<T: std::fmt::Debug>(result: Result<T, ApiError>, fake: &FakeOpenRouter) -> ApiError {
    let error = result.expect_err("the call should fail");
    assert_hides_secrets(
        &error,
        &error.to_string(),
        &[&fake.management_key(), &fake.regular_key()],
    );
    error
}

fn listing(concurrency: usize, include_disabled: bool) -> KeyListing {
    KeyListing {
        workspaces: vec![None],
        include_disabled,
        concurrency,
        expected_keys: 0,
    }
}

#[tokio::test]
async fn listing_250_keys_one_page_at_a_time_takes_three_calls() {
    let h = Harness::start().await;
    let seeded = hashes(h.fake.seed_keys(250, "team:member"));

    let keys = list_all_keys(&h.api, &listing(1, true)).await.unwrap();

    assert_eq!(keys.len(), 250);
    assert_eq!(
        keys.iter().map(|k| k.hash.clone()).collect::<Vec<_>>(),
        seeded
    );
    let offsets: Vec<Option<String>> = h
        .fake
        .requests_to(Endpoint::ListKeys)
        .iter()
        .map(|r| r.query_param("offset"))
        .collect();
    assert_eq!(
        offsets,
        vec![Some("0".into()), Some("100".into()), Some("200".into())]
    );
}

#[tokio::test]
async fn listing_250_keys_four_pages_at_a_time_costs_one_extra_call() {
    let h = Harness::start().await;
    h.fake.seed_keys(250, "team:member");

    let keys = list_all_keys(&h.api, &listing(4, true)).await.unwrap();

    assert_eq!(keys.len(), 250);
    assert_eq!(h.fake.request_count(Endpoint::ListKeys), 4);
}

#[tokio::test]
async fn listing_as_many_keys_as_expected_asks_for_no_page_past_the_end() {
    let h = Harness::start().await;
    h.fake.seed_keys(1_000, "team:member");

    let keys = list_all_keys(
        &h.api,
        &KeyListing {
            expected_keys: 1_000,
            ..listing(4, true)
        },
    )
    .await
    .unwrap();

    assert_eq!(keys.len(), 1_000);
    // Ten full pages and the empty one that shows the end.
    let mut offsets: Vec<usize> = h
        .fake
        .requests_to(Endpoint::ListKeys)
        .iter()
        .filter_map(|r| r.query_param("offset")?.parse().ok())
        .collect();
    offsets.sort_unstable();
    assert_eq!(offsets, (0..=10).map(|page| page * 100).collect::<Vec<_>>());
}

#[tokio::test]
async fn listing_more_keys_than_expected_still_finds_them_all() {
    let h = Harness::start().await;
    let seeded = hashes(h.fake.seed_keys(730, "team:member"));

    let keys = list_all_keys(
        &h.api,
        &KeyListing {
            expected_keys: 200,
            ..listing(4, true)
        },
    )
    .await
    .unwrap();

    assert_eq!(
        keys.iter().map(|k| k.hash.clone()).collect::<Vec<_>>(),
        seeded
    );
    // Two expected pages, the one expected to end it, then batches of four until page 7.
    assert_eq!(h.fake.request_count(Endpoint::ListKeys), 2 + 1 + 8);
}

#[tokio::test]
async fn a_sync_expects_the_keys_the_last_one_stored() {
    let h = Harness::start().await;
    h.fake.seed_keys(250, "team:member");
    let db = support::db::sqlite().await;
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();

    let first =
        openrouter_team_bot::team::usage::sync_usage(&h.api, &db.store, &listing(4, true), now)
            .await
            .unwrap();
    let calls_first = h.fake.request_count(Endpoint::ListKeys);
    let second =
        openrouter_team_bot::team::usage::sync_usage(&h.api, &db.store, &listing(4, true), now)
            .await
            .unwrap();

    assert_eq!((first.keys, second.keys), (250, 250));
    // Knowing nothing, the first sync reads a batch of four pages, one past the end.
    assert_eq!(calls_first, 4);
    // The second expects 250 keys: pages 0 and 1 full, page 2 ends it.
    assert_eq!(h.fake.request_count(Endpoint::ListKeys) - calls_first, 3);
}

#[tokio::test]
async fn disabled_keys_are_listed_only_when_asked_for() {
    let h = Harness::start().await;
    let hashes = h.fake.seed_keys(5, "team:member");
    for hash in &hashes[..2] {
        h.fake.edit_key(hash, |k| k.disabled = true);
    }

    let enabled = list_all_keys(&h.api, &listing(1, false)).await.unwrap();
    let all = list_all_keys(&h.api, &listing(1, true)).await.unwrap();

    assert_eq!(enabled.len(), 3);
    assert!(enabled.iter().all(|k| !k.disabled));
    assert_eq!(all.len(), 5);
    let flags: Vec<Option<String>> = h
        .fake
        .requests_to(Endpoint::ListKeys)
        .iter()
        .map(|r| r.query_param("include_disabled"))
        .collect();
    assert_eq!(flags, vec![Some("false".into()), Some("true".into())]);
}

#[tokio::test]
async fn a_workspace_listing_sees_only_that_workspace() {
    let h = Harness::start().await;
    let other = "7b1f3e0a-2c4d-4e5f-8a9b-0c1d2e3f4a5b";
    h.fake.seed_keys(3, "default:");
    let mut seed = KeySeed::named("other:1");
    seed.workspace_id = Some(other.to_string());
    let other_key = KeyHash(h.fake.add_key(seed));

    let default_only = list_all_keys(&h.api, &listing(1, true)).await.unwrap();
    let other_only = list_all_keys(
        &h.api,
        &KeyListing {
            workspaces: vec![Some(other.to_string())],
            ..listing(1, true)
        },
    )
    .await
    .unwrap();
    let both = list_all_keys(
        &h.api,
        &KeyListing {
            workspaces: vec![None, Some(other.to_string())],
            ..listing(2, true)
        },
    )
    .await
    .unwrap();

    assert_eq!(default_only.len(), 3);
    assert!(
        default_only
            .iter()
            .all(|k| k.workspace_id.as_deref() == Some(DEFAULT_WORKSPACE_ID))
    );
    assert_eq!(other_only.len(), 1);
    assert_eq!(other_only[0].hash, other_key);
    assert_eq!(both.len(), 4);
}

#[tokio::test]
async fn a_rate_limited_call_waits_what_retry_after_says_then_succeeds() {
    let h = Harness::start().await;
    let hash = KeyHash(h.fake.add_key(KeySeed::named("team:alice:r1")));
    h.fake
        .fail_next(Endpoint::GetKey, 1, Fault::rate_limited(Some(1)));

    let key = h.api.get_key(&hash).await.unwrap();

    assert_eq!(key.name, "team:alice:r1");
    let requests = h.fake.requests_to(Endpoint::GetKey);
    assert_eq!(requests.len(), 2);
    let waited = requests[1].received_at - requests[0].received_at;
    assert!(
        waited >= Duration::from_secs(1),
        "retried after {waited:?}, before Retry-After allowed"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_ceiling_ends_the_call_at_once() {
    let h = Harness::start().await;
    h.fake
        .fail_always(Endpoint::Credits, Fault::rate_limited(Some(120)));

    let error = error_of(h.api.credits().await, &h.fake);

    match error {
        ApiError::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(h.fake.request_count(Endpoint::Credits), 1);
}

#[tokio::test]
async fn rate_limits_without_retry_after_back_off_and_give_up_after_max_attempts() {
    let h = Harness::start().await;
    h.fake
        .fail_always(Endpoint::ListGuardrails, Fault::rate_limited(None));

    let error = error_of(h.api.list_guardrails().await, &h.fake);

    assert!(matches!(
        error,
        ApiError::RateLimited {
            retry_after: None,
            ..
        }
    ));
    assert_eq!(
        h.fake.request_count(Endpoint::ListGuardrails),
        MAX_ATTEMPTS as usize
    );
}

#[tokio::test]
async fn server_errors_that_never_end_fail_after_max_attempts() {
    for status in [500, 502, 503, 504] {
        let h = Harness::start().await;
        let hash = KeyHash(h.fake.add_key(KeySeed::named("team:alice:r1")));
        h.fake.fail_always(Endpoint::GetKey, Fault::status(status));

        let error = error_of(h.api.get_key(&hash).await, &h.fake);

        assert!(
            matches!(error, ApiError::Server { status: s, .. } if s == status),
            "{status}: got {error:?}"
        );
        assert_eq!(
            h.fake.request_count(Endpoint::GetKey),
            MAX_ATTEMPTS as usize,
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_server_error_that_passes_is_retried_away() {
    let h = Harness::start().await;
    let hash = KeyHash(h.fake.add_key(KeySeed::named("team:alice:r1")));
    h.fake.fail_next(Endpoint::UpdateKey, 2, Fault::status(500));

    let update = KeyUpdate {
        disabled: Some(true),
        ..KeyUpdate::default()
    };
    let key = h.api.update_key(&hash, &update).await.unwrap();

    assert!(key.disabled);
    assert_eq!(h.fake.request_count(Endpoint::UpdateKey), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let h = Harness::start().await;
    let missing = KeyHash("0".repeat(64));

    let error = error_of(h.api.get_key(&missing).await, &h.fake);

    assert!(matches!(error, ApiError::NotFound { .. }), "{error:?}");
    assert_eq!(h.fake.request_count(Endpoint::GetKey), 1);
}

#[tokio::test]
async fn a_read_that_times_out_is_retried() {
    let h = Harness::start().await;
    let hash = KeyHash(h.fake.add_key(KeySeed::named("team:alice:r1")));
    h.fake
        .fail_next(Endpoint::GetKey, 1, Fault::Delay(Duration::from_secs(30)));

    let key = h.api.get_key(&hash).await.unwrap();

    assert_eq!(key.hash, hash);
    assert_eq!(h.fake.request_count(Endpoint::GetKey), 2);
}

#[tokio::test]
async fn a_create_that_times_out_has_an_unknown_outcome_and_is_sent_once() {
    let h = Harness::start().await;
    h.fake.fail_next(
        Endpoint::CreateKey,
        1,
        Fault::Delay(Duration::from_secs(30)),
    );

    let error = error_of(h.api.create_key(&new_key("team:alice:r1")).await, &h.fake);

    assert!(
        matches!(error, ApiError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(h.fake.request_count(Endpoint::CreateKey), 1);
    // The slow answer was for a create that happened: the caller must find and delete it.
    assert_eq!(h.fake.keys_named("team:alice:r1").len(), 1);
}

#[tokio::test]
async fn a_create_whose_connection_drops_after_the_body_has_an_unknown_outcome() {
    for perform in [true, false] {
        let h = Harness::start().await;
        h.fake
            .fail_next(Endpoint::CreateKey, 1, Fault::DropConnection { perform });

        let error = error_of(h.api.create_key(&new_key("team:bob:r2")).await, &h.fake);

        assert!(
            matches!(error, ApiError::OutcomeUnknown { .. }),
            "perform={perform}: {error:?}"
        );
        assert_eq!(h.fake.request_count(Endpoint::CreateKey), 1);
        assert_eq!(h.fake.keys_named("team:bob:r2").len(), usize::from(perform));
    }
}

#[tokio::test]
async fn a_create_answered_with_a_server_error_has_an_unknown_outcome() {
    let h = Harness::start().await;
    h.fake.fail_next(Endpoint::CreateKey, 1, Fault::status(502));

    let error = error_of(h.api.create_key(&new_key("team:carol:r3")).await, &h.fake);

    assert!(
        matches!(error, ApiError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(h.fake.request_count(Endpoint::CreateKey), 1);
}

#[tokio::test]
async fn a_create_with_an_unreadable_success_answer_has_an_unknown_outcome() {
    let h = Harness::start().await;
    h.fake
        .fail_next(Endpoint::CreateKey, 1, Fault::Malformed { status: 201 });

    let error = error_of(h.api.create_key(&new_key("team:carol:r3")).await, &h.fake);

    assert!(
        matches!(error, ApiError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(h.fake.request_count(Endpoint::CreateKey), 1);
}

#[tokio::test]
async fn a_rate_limited_create_is_a_definite_refusal() {
    let h = Harness::start().await;
    h.fake
        .fail_always(Endpoint::CreateKey, Fault::rate_limited(None));

    let error = error_of(h.api.create_key(&new_key("team:dave:r4")).await, &h.fake);

    assert!(matches!(error, ApiError::RateLimited { .. }), "{error:?}");
    assert!(h.fake.keys().is_empty());
}

#[tokio::test]
async fn a_create_refused_once_with_429_is_retried_and_creates_one_key() {
    let h = Harness::start().await;
    h.fake
        .fail_next(Endpoint::CreateKey, 1, Fault::rate_limited(None));

    h.api.create_key(&new_key("team:dave:r4")).await.unwrap();

    assert_eq!(h.fake.request_count(Endpoint::CreateKey), 2);
    assert_eq!(h.fake.keys_named("team:dave:r4").len(), 1);
}

#[tokio::test]
async fn a_create_that_never_connected_is_unreachable_not_unknown() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let api = client(
        &format!("http://127.0.0.1:{closed_port}/api/v1"),
        "sk-or-v1-0123456789abcdef0123456789abcdef",
        |_| {},
    );

    let error = api
        .create_key(&new_key("team:erin:r5"))
        .await
        .expect_err("nothing listens there");

    assert!(matches!(error, ApiError::Unreachable { .. }), "{error:?}");
    assert!(!format!("{error:?} {error}").contains("0123456789abcdef"));
}

#[tokio::test]
async fn an_unreadable_answer_to_a_read_is_malformed_and_quotes_the_body() {
    let h = Harness::start().await;
    h.fake
        .fail_next(Endpoint::Credits, 1, Fault::Malformed { status: 200 });

    let error = error_of(h.api.credits().await, &h.fake);

    match error {
        ApiError::Malformed { message } => {
            assert!(message.contains("200"), "{message}");
            assert!(message.contains("upstream trouble"), "{message}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn keys_echoed_in_an_error_body_are_redacted() {
    let h = Harness::start().await;
    let echoed = json!({"error": {"code": 400, "message": format!(
        "bad request from {} (also sk-or-v1-{})", h.fake.management_key(), "ab".repeat(32)
    )}});
    h.fake.fail_next(
        Endpoint::Credits,
        1,
        Fault::Body {
            status: 400,
            body: echoed.to_string(),
        },
    );

    let error = error_of(h.api.credits().await, &h.fake);

    assert!(matches!(error, ApiError::BadRequest { .. }), "{error:?}");
    assert!(error.to_string().contains("bad request from"));
}

/// The variant's name, to compare errors by kind.
fn kind(error: &ApiError) -> &'static str {
    match error {
        ApiError::Unauthorized { .. } => "Unauthorized",
        ApiError::WrongKeyType { .. } => "WrongKeyType",
        ApiError::NotFound { .. } => "NotFound",
        ApiError::OutOfCredits { .. } => "OutOfCredits",
        ApiError::RateLimited { .. } => "RateLimited",
        ApiError::BadRequest { .. } => "BadRequest",
        ApiError::Server { .. } => "Server",
        ApiError::Unreachable { .. } => "Unreachable",
        ApiError::OutcomeUnknown { .. } => "OutcomeUnknown",
        ApiError::Malformed { .. } => "Malformed",
        ApiError::InvalidSettings { .. } => "InvalidSettings",
    }
}

#[tokio::test]
async fn error_statuses_map_to_typed_errors() {
    let cases = [
        (400, "BadRequest"),
        (401, "Unauthorized"),
        (402, "OutOfCredits"),
        (403, "WrongKeyType"),
        (404, "NotFound"),
        (409, "BadRequest"),
    ];
    for (status, expected) in cases {
        let h = Harness::start().await;
        h.fake
            .fail_next(Endpoint::Credits, 1, Fault::status(status));

        let error = error_of(h.api.credits().await, &h.fake);

        assert_eq!(kind(&error), expected, "{status}: {error:?}");
        assert_eq!(h.fake.request_count(Endpoint::Credits), 1, "{status}");
    }
}

#[tokio::test]
async fn a_regular_key_is_told_apart_from_a_management_key() {
    let h = Harness::start().await;
    let regular = h.client_with_key(&h.fake.regular_key());

    assert!(h.api.current_key().await.unwrap().is_management_key);
    let current = regular.current_key().await.unwrap();
    assert!(!current.is_management_key);
    assert!(current.label.starts_with("sk-or-v1-") && current.label.contains("..."));

    let listing_error = error_of(regular.list_keys_page(None, 0, true).await, &h.fake);
    let create_error = error_of(regular.create_key(&new_key("team:x:r1")).await, &h.fake);

    assert!(matches!(listing_error, ApiError::WrongKeyType { .. }));
    assert!(matches!(create_error, ApiError::WrongKeyType { .. }));
    assert_eq!(h.fake.request_count(Endpoint::CreateKey), 1);
    assert!(
        h.fake
            .requests_to(Endpoint::ListKeys)
            .iter()
            .all(|r| r.caller == Caller::Regular)
    );
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_never_echoed() {
    let h = Harness::start().await;
    let wrong_key = format!("sk-or-v1-{}", "e".repeat(64));
    let wrong = h.client_with_key(&wrong_key);

    let error = wrong.current_key().await.expect_err("the key is wrong");

    assert!(matches!(error, ApiError::Unauthorized { .. }), "{error:?}");
    assert_hides_secrets(&error, &error.to_string(), &[&wrong_key]);
    assert_hides_secrets(&wrong, "", &[&wrong_key]);
    let settings = fast_settings(&h.fake.base_url(), &wrong_key);
    assert_hides_secrets(&settings, "", &[&wrong_key]);
    assert_eq!(h.fake.requests()[0].caller, Caller::Unknown);
}

#[tokio::test]
async fn a_created_key_shows_its_plaintext_once_and_only_through_the_secret() {
    let h = Harness::start().await;
    let mut request = new_key("team:alice:r1");
    request.limit = Some(Usd::from_dollars(10));
    request.limit_reset = LimitReset::Daily;
    request.expires_at = Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap());

    let created = h.api.create_key(&request).await.unwrap();

    let plaintext = created.secret.expose_secret().to_string();
    assert!(plaintext.starts_with("sk-or-v1-"));
    assert_eq!(plaintext.len(), "sk-or-v1-".len() + 64);
    assert_hides_secrets(&created, "", &[&plaintext]);
    assert_eq!(created.key.hash.as_str().len(), 64);
    assert_eq!(created.key.limit, Some(Usd::from_dollars(10)));
    assert_eq!(created.key.limit_remaining, Some(Usd::from_dollars(10)));
    assert_eq!(created.key.limit_reset, LimitReset::Daily);
    assert!(created.key.label.starts_with("sk-or-v1-"));
    assert_ne!(created.key.label, plaintext);

    let sent = &h.fake.requests_to(Endpoint::CreateKey)[0];
    assert_eq!(
        sent.body,
        Some(json!({
            "name": "team:alice:r1",
            "limit": 10.0,
            "limit_reset": "daily",
            "expires_at": "2099-01-01T00:00:00Z"
        }))
    );
    let held = h.fake.key(created.key.hash.as_str()).unwrap();
    assert_eq!(held.name, "team:alice:r1");
    assert_eq!(held.limit, Some(fake::Usd::from_dollars(10)));

    // The plaintext is a regular key of the account from now on.
    let as_member = h.client_with_key(&plaintext);
    assert!(!as_member.current_key().await.unwrap().is_management_key);
    let error = error_of(as_member.credits().await, &h.fake);
    assert_hides_secrets(&error, &error.to_string(), &[&plaintext]);
}

#[tokio::test]
async fn an_update_sends_only_the_fields_it_changes() {
    let h = Harness::start().await;
    let mut seed = KeySeed::named("team:alice:r1");
    seed.limit = Some(fake::Usd::from_dollars(10));
    seed.limit_reset = fake::LimitReset::Weekly;
    let hash = KeyHash(h.fake.add_key(seed));

    let disable = KeyUpdate {
        disabled: Some(true),
        ..KeyUpdate::default()
    };
    let disabled = h.api.update_key(&hash, &disable).await.unwrap();
    let remove_limit = KeyUpdate {
        limit: Some(LimitChange::Remove),
        ..KeyUpdate::default()
    };
    let unlimited = h.api.update_key(&hash, &remove_limit).await.unwrap();
    let new_limit = KeyUpdate {
        name: Some("team:alice:r1b".into()),
        limit: Some(LimitChange::Set(Usd::from_micros(12_500_000))),
        limit_reset: Some(LimitReset::Monthly),
        ..KeyUpdate::default()
    };
    let limited = h.api.update_key(&hash, &new_limit).await.unwrap();

    let bodies: Vec<_> = h
        .fake
        .requests_to(Endpoint::UpdateKey)
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(
        bodies,
        vec![
            Some(json!({"disabled": true})),
            Some(json!({"limit": null})),
            Some(json!({"name": "team:alice:r1b", "limit": 12.5, "limit_reset": "monthly"})),
        ]
    );
    assert!(disabled.disabled);
    assert_eq!(disabled.limit, Some(Usd::from_dollars(10)));
    assert_eq!(disabled.limit_reset, LimitReset::Weekly);
    assert_eq!(unlimited.limit, None);
    assert_eq!(unlimited.limit_remaining, None);
    assert!(unlimited.disabled);
    assert_eq!(limited.name, "team:alice:r1b");
    assert_eq!(limited.limit, Some(Usd::from_micros(12_500_000)));
    assert_eq!(limited.limit_reset, LimitReset::Monthly);
    let held = h.fake.key(hash.as_str()).unwrap();
    assert_eq!(held.limit, Some(fake::Usd::from_micros(12_500_000)));
    assert!(held.disabled);
}

#[tokio::test]
async fn limit_remaining_counts_the_spend_of_the_current_window() {
    let h = Harness::start().await;
    let mut seed = KeySeed::named("team:alice:r1");
    seed.limit = Some(fake::Usd::from_dollars(10));
    seed.limit_reset = fake::LimitReset::Daily;
    let hash = KeyHash(h.fake.add_key(seed));
    h.fake.set_usage(
        hash.as_str(),
        fake::Usage {
            total: fake::Usd::from_dollars(40),
            daily: fake::Usd::from_micros(2_500_000),
            weekly: fake::Usd::from_dollars(9),
            monthly: fake::Usd::from_dollars(30),
        },
    );

    let key = h.api.get_key(&hash).await.unwrap();

    assert_eq!(key.usage.daily, Usd::from_micros(2_500_000));
    assert_eq!(key.usage.total, Usd::from_dollars(40));
    assert_eq!(key.limit_remaining, Some(Usd::from_micros(7_500_000)));
}

#[tokio::test]
async fn a_deleted_key_is_gone() {
    let h = Harness::start().await;
    let hash = KeyHash(h.fake.add_key(KeySeed::named("team:alice:r1")));

    h.api.delete_key(&hash).await.unwrap();

    assert!(h.fake.keys().is_empty());
    let error = error_of(h.api.get_key(&hash).await, &h.fake);
    assert!(matches!(error, ApiError::NotFound { .. }));
    let error = error_of(h.api.delete_key(&hash).await, &h.fake);
    assert!(matches!(error, ApiError::NotFound { .. }));
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_counts_as_done_when_the_retry_finds_nothing() {
    let h = Harness::start().await;
    let hash = KeyHash(h.fake.add_key(KeySeed::named("team:alice:r1")));
    h.fake.fail_next(
        Endpoint::DeleteKey,
        1,
        Fault::DropConnection { perform: true },
    );

    h.api.delete_key(&hash).await.unwrap();

    assert_eq!(h.fake.request_count(Endpoint::DeleteKey), 2);
    assert!(h.fake.keys().is_empty());
}

#[tokio::test]
async fn credits_come_back_as_dollars() {
    let h = Harness::start().await;
    h.fake.set_credits(fake::Credits {
        total_credits: fake::Usd::from_micros(100_500_000),
        total_usage: fake::Usd::from_micros(25_750_000),
    });

    let credits = h.api.credits().await.unwrap();

    assert_eq!(credits.total_credits, Usd::from_micros(100_500_000));
    assert_eq!(credits.balance(), Usd::from_micros(74_750_000));
}

/// A row of activity as the client reads it.
fn activity(date: &str, model: &str, cents: i64, requests: i64) -> ActivityRow {
    ActivityRow {
        date: date.to_string(),
        model: model.to_string(),
        usage: Usd::from_micros(cents * 10_000),
        requests,
        prompt_tokens: requests * 100,
        completion_tokens: requests * 50,
    }
}

/// The same row, as the fake is given it.
#[tokio::test]
async fn activity_can_be_filtered_by_key() {
    let h = Harness::start().await;
    let keys = hashes(h.fake.seed_keys(2, "team:member"));
    h.fake.add_activity(
        keys[0].as_str(),
        fake_activity("2026-11-23", "openai/gpt-4o-mini", 120, 3),
    );
    h.fake.add_activity(
        keys[1].as_str(),
        fake_activity("2026-11-23", "openai/gpt-4o-mini", 30, 1),
    );
    h.fake.add_activity(
        keys[1].as_str(),
        fake_activity("2026-11-24", "meta-llama/llama-3.1-8b-instruct", 5, 2),
    );

    let everyone = h.api.activity(None).await.unwrap();
    let first = h.api.activity(Some(&keys[0])).await.unwrap();

    assert_eq!(everyone.len(), 2);
    let summed = everyone.iter().find(|r| r.date == "2026-11-23").unwrap();
    assert_eq!(summed.usage, Usd::from_micros(1_500_000));
    assert_eq!(summed.requests, 4);
    assert_eq!(
        first,
        vec![activity("2026-11-23", "openai/gpt-4o-mini", 120, 3)]
    );
    let queries: Vec<Option<String>> = h
        .fake
        .requests_to(Endpoint::Activity)
        .iter()
        .map(|r| r.query_param("api_key_hash"))
        .collect();
    assert_eq!(queries, vec![None, Some(keys[0].as_str().to_string())]);
}

#[tokio::test]
async fn guardrails_are_created_listed_updated_and_assigned() {
    let h = Harness::start().await;
    for i in 0..120 {
        h.fake.add_guardrail(&format!("other:{i}"), None);
    }
    let keys = hashes(h.fake.seed_keys(3, "team:member"));
    let spec = GuardrailSpec {
        name: "tier:basic".into(),
        allowed_models: vec!["openai/gpt-4o-mini".into()],
    };

    let basic = h.api.create_guardrail(&spec).await.unwrap();
    let all = h.api.list_guardrails().await.unwrap();
    let renamed = h
        .api
        .update_guardrail(
            &basic.id,
            &GuardrailSpec {
                name: "tier:basic-v2".into(),
                allowed_models: vec![],
            },
        )
        .await
        .unwrap();

    assert_eq!(basic.id.len(), 36);
    assert_eq!(
        basic.allowed_models,
        Some(vec!["openai/gpt-4o-mini".to_string()])
    );
    assert_eq!(all.len(), 121);
    assert!(
        all.iter()
            .any(|g| g.id == basic.id && g.name == "tier:basic")
    );
    assert_eq!(h.fake.request_count(Endpoint::ListGuardrails), 2);
    assert_eq!(renamed.name, "tier:basic-v2");
    assert_eq!(renamed.allowed_models, None);
    let bodies: Vec<_> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| {
            matches!(
                r.endpoint,
                Some(Endpoint::CreateGuardrail | Endpoint::UpdateGuardrail)
            )
        })
        .map(|r| r.body)
        .collect();
    assert_eq!(
        bodies,
        vec![
            Some(json!({"name": "tier:basic", "allowed_models": ["openai/gpt-4o-mini"]})),
            Some(json!({"name": "tier:basic-v2", "allowed_models": null})),
        ]
    );

    let assigned = h.api.assign_keys(&basic.id, &keys[..2]).await.unwrap();
    let listed = h.api.guardrail_key_assignments(&basic.id).await.unwrap();
    assert_eq!(assigned, 2);
    assert_eq!(
        listed.iter().map(|a| &a.key_hash).collect::<Vec<_>>(),
        vec![&keys[0], &keys[1]]
    );
    assert_eq!(listed[0].key_name, "team:member1");
    assert_eq!(listed[0].guardrail_id, basic.id);

    // A key holds one guardrail: assigning it elsewhere moves it.
    let pro = h
        .api
        .create_guardrail(&GuardrailSpec {
            name: "tier:pro".into(),
            allowed_models: vec![],
        })
        .await
        .unwrap();
    assert_eq!(h.api.assign_keys(&pro.id, &keys[1..2]).await.unwrap(), 1);
    assert_eq!(h.fake.guardrail_of(keys[1].as_str()), Some(pro.id.clone()));
    assert_eq!(
        h.api
            .guardrail_key_assignments(&basic.id)
            .await
            .unwrap()
            .len(),
        1
    );

    let removed = h.api.unassign_keys(&basic.id, &keys).await.unwrap();
    assert_eq!(removed, 1);
    assert_eq!(h.fake.guardrail_of(keys[0].as_str()), None);
    assert_eq!(h.api.assign_keys(&basic.id, &[]).await.unwrap(), 0);
    assert_eq!(h.fake.request_count(Endpoint::AssignKeys), 2);
}

#[tokio::test]
async fn a_guardrail_create_answered_with_a_server_error_has_an_unknown_outcome() {
    let h = Harness::start().await;
    h.fake
        .fail_next(Endpoint::CreateGuardrail, 1, Fault::status(503));
    let spec = GuardrailSpec {
        name: "tier:basic".into(),
        allowed_models: vec![],
    };

    let error = error_of(h.api.create_guardrail(&spec).await, &h.fake);

    assert!(
        matches!(error, ApiError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(h.fake.request_count(Endpoint::CreateGuardrail), 1);
}

#[tokio::test]
async fn assigning_an_unknown_guardrail_is_not_found() {
    let h = Harness::start().await;
    let keys = hashes(h.fake.seed_keys(1, "team:member"));

    let error = error_of(
        h.api
            .assign_keys("00000000-0000-4000-8000-000000000000", &keys)
            .await,
        &h.fake,
    );

    assert!(matches!(error, ApiError::NotFound { .. }), "{error:?}");
}
