//! Connects the fake Discord to the official REST spec: a request validator that checks every
//! JSON body the bot sends against `discord-openapi.json`, when the spec is present.

use std::sync::{Arc, OnceLock};

use fakes::discord::RequestValidator;
use serde_json::Value;

use super::openapi::Spec;

/// A validator for `FakeDiscord::set_request_validator`, or `None` (after saying that the spec
/// checks are skipped) when `../shared/specs/discord-openapi.json` is absent. The spec is loaded
/// once per test binary.
pub fn spec_validator() -> Option<RequestValidator> {
    static SPEC: OnceLock<Option<Arc<Spec>>> = OnceLock::new();
    let spec = SPEC
        .get_or_init(|| Spec::load("discord-openapi.json").map(Arc::new))
        .clone()?;
    Some(Arc::new(move |method: &str, path: &str, body: &Value| {
        spec.check_request(method, path, &with_upload_ids_as_strings(body))
    }))
}

/// Where the spec and Discord's documentation disagree, the documentation wins: the spec types
/// every snowflake as a string, but Discord also takes the small integers that name the files of
/// an upload (`"attachments": [{"id": 0, ...}]`), which is what serenity sends; and it types
/// `default_member_permissions` as an integer where the documentation says a string. Both are
/// brought to the spec's form before the check so that only real mistakes fail.
fn with_upload_ids_as_strings(body: &Value) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = match (key.as_str(), value) {
                        ("attachments", Value::Array(list)) => {
                            Value::Array(list.iter().map(stringify_id).collect())
                        }
                        // Discord documents this permission bit set as a string (and serenity
                        // sends one); the spec types it as an integer.
                        ("default_member_permissions", Value::String(bits)) => bits
                            .parse::<u64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| value.clone()),
                        _ => with_upload_ids_as_strings(value),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(list) => Value::Array(list.iter().map(with_upload_ids_as_strings).collect()),
        other => other.clone(),
    }
}

fn stringify_id(attachment: &Value) -> Value {
    let mut attachment = attachment.clone();
    if let Some(id) = attachment.get("id").and_then(Value::as_u64) {
        attachment["id"] = Value::String(id.to_string());
    }
    attachment
}
