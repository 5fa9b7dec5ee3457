//! The spec checker used by the fake-API tests must reject what the real APIs would reject,
//! or every test that relies on it would pass for nothing.

mod support;

use serde_json::json;
use support::openapi::Spec;

#[test]
fn openrouter_spec_tells_valid_bodies_from_invalid_ones() {
    let Some(spec) = Spec::load("openrouter-openapi.yaml") else {
        return;
    };
    assert_eq!(
        spec.path_template("/keys/abc").as_deref(),
        Some("/keys/{hash}")
    );
    let deleted = json!({"deleted": true});
    assert!(
        spec.check_response("DELETE", "/keys/abc", 200, &deleted)
            .is_ok()
    );
    let wrong = json!({"deleted": "yes"});
    assert!(
        spec.check_response("DELETE", "/keys/abc", 200, &wrong)
            .is_err()
    );
    let create = json!({"name": "team:alice:r1", "limit_reset": "daily"});
    assert!(spec.check_request("POST", "/keys", &create).is_ok());
    let bad_reset = json!({"name": "x", "limit_reset": "yearly"});
    assert!(spec.check_request("POST", "/keys", &bad_reset).is_err());
}

#[test]
fn discord_spec_tells_valid_bodies_from_invalid_ones() {
    let Some(spec) = Spec::load("discord-openapi.json") else {
        return;
    };
    let post = "/channels/123/messages";
    assert!(
        spec.check_request("POST", post, &json!({"content": "hi"}))
            .is_ok()
    );
    assert!(
        spec.check_request("POST", post, &json!({"content": 5}))
            .is_err()
    );
    assert_eq!(
        spec.path_template("/users/@me/channels").as_deref(),
        Some("/users/@me/channels")
    );
}
