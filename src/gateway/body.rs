//! A client's request body, read only as far as the policy needs (`model`, `models`, the output
//! cap, `user`, `metadata`, `stream`) and written back with every other field exactly as it came:
//! each top-level value is kept as its raw JSON text, in its order.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Pairs OpenRouter takes in `metadata`.
pub const METADATA_MAX_PAIRS: usize = 16;

/// The `metadata` key that names the member a request is for.
pub const METADATA_MEMBER_KEY: &str = "member";

/// What the gateway's routes take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /chat/completions`: `messages` is required.
    ChatCompletions,
    /// `POST /responses`: `input` is required.
    Responses,
}

impl Route {
    /// The route's path under the API's base URL.
    pub fn path(self) -> &'static str {
        match self {
            Route::ChatCompletions => "/chat/completions",
            Route::Responses => "/responses",
        }
    }

    /// The field holding the conversation.
    fn conversation_field(self) -> &'static str {
        match self {
            Route::ChatCompletions => "messages",
            Route::Responses => "input",
        }
    }

    /// The fields that cap the output, in the order they are honoured.
    fn output_cap_fields(self) -> &'static [&'static str] {
        match self {
            Route::ChatCompletions => &["max_completion_tokens", "max_tokens"],
            Route::Responses => &["max_output_tokens"],
        }
    }
}

/// Why a body is refused before anything is forwarded (a 400 naming the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the request body must be a JSON object")]
    NotAnObject,
    #[error("`{0}` is required")]
    Missing(&'static str),
    #[error("`{field}` must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("`{0}` appears more than once; send each field once")]
    Repeated(String),
    #[error(
        "`metadata` already has {METADATA_MAX_PAIRS} pairs, OpenRouter's most; the gateway needs one for `{METADATA_MEMBER_KEY}`"
    )]
    MetadataFull,
}

impl BodyError {
    /// The field at fault, for OpenAI's error shape (`param`).
    pub fn field(&self) -> Option<&str> {
        match self {
            BodyError::Missing(field) | BodyError::WrongType { field, .. } => Some(field),
            BodyError::Repeated(field) => Some(field),
            BodyError::MetadataFull => Some("metadata"),
            BodyError::NotJson(_) | BodyError::NotAnObject => None,
        }
    }
}

/// A request body, its fields kept raw.
#[derive(Debug)]
pub struct RequestBody {
    route: Route,
    fields: Vec<(String, Box<RawValue>)>,
    /// The model asked for.
    pub model: String,
    /// The fallbacks of `models[]`, in order.
    pub models: Vec<String>,
    /// The output cap asked for, if any.
    pub output_cap: Option<u64>,
    /// Whether the answer is a stream of server-sent events.
    pub stream: bool,
    /// The size of the conversation's raw JSON, in bytes: a bound of its tokens.
    pub conversation_bytes: u64,
}

/// The changes the gateway makes to a request before forwarding it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// Serve with this model alone (`models[]` is removed).
    pub serve_with: Option<String>,
    /// Cap the output at this many tokens.
    pub output_cap: Option<u64>,
    /// The member's pseudonym, for `user` and `metadata.member`.
    pub member: String,
}

/// The top-level fields of a JSON object, in order, each kept as written.
struct Fields(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Fields, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

impl RequestBody {
    /// Reads `bytes` as a request for `route`.
    pub fn parse(route: Route, bytes: &[u8]) -> Result<RequestBody, BodyError> {
        let value: &RawValue =
            serde_json::from_slice(bytes).map_err(|e| BodyError::NotJson(e.to_string()))?;
        if !value.get().trim_start().starts_with('{') {
            return Err(BodyError::NotAnObject);
        }
        let Fields(fields) =
            serde_json::from_str(value.get()).map_err(|e| BodyError::NotJson(e.to_string()))?;
        // Parsers disagree on which of two equal keys wins, so a repeated field could show the
        // policy one model and OpenRouter another: it is refused.
        let mut seen = std::collections::HashSet::with_capacity(fields.len());
        if let Some((repeated, _)) = fields.iter().find(|(key, _)| !seen.insert(key.as_str())) {
            return Err(BodyError::Repeated(repeated.clone()));
        }
        let raw = |name: &str| value_of(&fields, name).filter(|value| *value != "null");
        let model = match raw("model") {
            None => return Err(BodyError::Missing("model")),
            Some(text) => serde_json::from_str::<String>(text)
                .ok()
                .filter(|m| !m.trim().is_empty())
                .ok_or(BodyError::WrongType {
                    field: "model",
                    expected: "a model id such as \"openai/gpt-4o-mini\"",
                })?,
        };
        let models = match raw("models") {
            None => Vec::new(),
            Some(text) => {
                serde_json::from_str::<Vec<String>>(text).map_err(|_| BodyError::WrongType {
                    field: "models",
                    expected: "a list of model ids",
                })?
            }
        };
        let mut output_cap = None;
        for field in route.output_cap_fields() {
            if let Some(text) = raw(field) {
                let cap = serde_json::from_str::<u64>(text).map_err(|_| BodyError::WrongType {
                    field,
                    expected: "a whole number of tokens",
                })?;
                output_cap = output_cap.or(Some(cap));
            }
        }
        let stream = match raw("stream") {
            None => false,
            Some(text) => serde_json::from_str::<bool>(text).map_err(|_| BodyError::WrongType {
                field: "stream",
                expected: "true or false",
            })?,
        };
        let conversation = route.conversation_field();
        let conversation_bytes = raw(conversation)
            .ok_or(BodyError::Missing(conversation))?
            .len() as u64;
        if let Some(text) = raw("metadata") {
            let pairs = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
                .map_err(|_| BodyError::WrongType {
                    field: "metadata",
                    expected: "an object of strings",
                })?;
            if pairs.len() >= METADATA_MAX_PAIRS && !pairs.contains_key(METADATA_MEMBER_KEY) {
                return Err(BodyError::MetadataFull);
            }
        }
        Ok(RequestBody {
            route,
            fields,
            model,
            models,
            output_cap,
            stream,
            conversation_bytes,
        })
    }

    /// The body to forward: the client's, with `rewrite` applied and nothing else changed.
    pub fn rewritten(&self, rewrite: &Rewrite) -> Vec<u8> {
        let mut out: Vec<(String, String)> = self
            .fields
            .iter()
            .map(|(key, value)| (key.clone(), value.get().to_string()))
            .collect();
        let mut set = |key: &str, value: String| match out.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => out.push((key.to_string(), value)),
        };
        if let Some(model) = &rewrite.serve_with {
            set("model", json_string(model));
        }
        if let Some(cap) = rewrite.output_cap {
            let cap_fields = self.route.output_cap_fields();
            let asked: Vec<&str> = cap_fields
                .iter()
                .copied()
                .filter(|field| value_of(&self.fields, field).is_some())
                .collect();
            // The request's own cap field(s) get the new value; without one, the route's
            // long-standing field is added.
            let targets = if asked.is_empty() {
                vec![cap_fields[cap_fields.len() - 1]]
            } else {
                asked
            };
            for field in targets {
                set(field, cap.to_string());
            }
        }
        set("user", json_string(&rewrite.member));
        set("metadata", self.metadata_with(&rewrite.member));
        if rewrite.serve_with.is_some() {
            out.retain(|(key, _)| key != "models");
        }
        object_text(&out).into_bytes()
    }

    /// The client's `metadata` (its order kept) with the member's pseudonym set.
    fn metadata_with(&self, member: &str) -> String {
        let existing = value_of(&self.fields, "metadata")
            .and_then(|value| serde_json::from_str::<Fields>(value).ok())
            .map(|Fields(pairs)| pairs)
            .unwrap_or_default();
        let mut pairs: Vec<(String, String)> = existing
            .into_iter()
            .filter(|(key, _)| key != METADATA_MEMBER_KEY)
            .map(|(key, value)| (key, value.get().to_string()))
            .collect();
        pairs.push((METADATA_MEMBER_KEY.to_string(), json_string(member)));
        object_text(&pairs)
    }
}

/// The raw JSON of the field `name` (keys are unique: [`RequestBody::parse`] refuses repeats).
fn value_of<'a>(fields: &'a [(String, Box<RawValue>)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.get())
}

/// A JSON object of `pairs`, each value already JSON text, in their order.
fn object_text(pairs: &[(String, String)]) -> String {
    let mut text = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 4).sum());
    text.push('{');
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&json_string(key));
        text.push(':');
        text.push_str(value);
    }
    text.push('}');
    text
}

/// `text` as a JSON string.
fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(text: &str) -> Result<RequestBody, BodyError> {
        RequestBody::parse(Route::ChatCompletions, text.as_bytes())
    }

    fn member() -> Rewrite {
        Rewrite {
            member: "m-7f3a".to_string(),
            ..Rewrite::default()
        }
    }

    #[test]
    fn reads_what_the_policy_needs() {
        let body = chat(
            r#"{"model":"openai/gpt-4o","models":["a/b"],"max_tokens":300,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        )
        .unwrap();
        assert_eq!(body.model, "openai/gpt-4o");
        assert_eq!(body.models, vec!["a/b"]);
        assert_eq!(body.output_cap, Some(300));
        assert!(body.stream);
        let conversation = r#"[{"role":"user","content":"hi"}]"#;
        assert_eq!(body.conversation_bytes, conversation.len() as u64);
    }

    #[test]
    fn every_other_field_is_forwarded_as_written() {
        let text = r#"{"temperature": 1e0, "model":"openai/gpt-4o","messages":[{"role":"user","content":"h\u00e9"}], "tools":[{"x":1.50}], "user":"alice@example.com"}"#;
        let body = chat(text).unwrap();
        let out = String::from_utf8(body.rewritten(&member())).unwrap();
        assert_eq!(
            out,
            r#"{"temperature":1e0,"model":"openai/gpt-4o","messages":[{"role":"user","content":"h\u00e9"}],"tools":[{"x":1.50}],"user":"m-7f3a","metadata":{"member":"m-7f3a"}}"#
        );
    }

    #[test]
    fn a_downgrade_serves_one_model_and_a_cap_replaces_the_asked_one() {
        let body = chat(
            r#"{"model":"openai/o1-pro","models":["x/y"],"max_tokens":9000,"messages":[],"metadata":{"team":"ml","member":"forged"}}"#,
        )
        .unwrap();
        let out = body.rewritten(&Rewrite {
            serve_with: Some("openai/gpt-4o-mini".to_string()),
            output_cap: Some(2_250),
            member: "m-7f3a".to_string(),
        });
        let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(out["model"], "openai/gpt-4o-mini");
        assert!(out.get("models").is_none());
        assert_eq!(out["max_tokens"], 2_250);
        assert_eq!(out["metadata"]["team"], "ml");
        assert_eq!(out["metadata"]["member"], "m-7f3a");
        assert_eq!(out["user"], "m-7f3a");
    }

    #[test]
    fn a_cap_is_added_when_none_was_asked() {
        let body = chat(r#"{"model":"a/b","messages":[]}"#).unwrap();
        let out = body.rewritten(&Rewrite {
            output_cap: Some(100),
            ..member()
        });
        let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(out["max_tokens"], 100);
        let responses =
            RequestBody::parse(Route::Responses, br#"{"model":"a/b","input":"hi"}"#).unwrap();
        let out: serde_json::Value = serde_json::from_slice(&responses.rewritten(&Rewrite {
            output_cap: Some(100),
            ..member()
        }))
        .unwrap();
        assert_eq!(out["max_output_tokens"], 100);
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let cases: &[(&str, BodyError)] = &[
            ("not json", BodyError::NotJson(String::new())),
            ("[1,2]", BodyError::NotAnObject),
            (r#"{"messages":[]}"#, BodyError::Missing("model")),
            (r#"{"model":"a/b"}"#, BodyError::Missing("messages")),
            (
                r#"{"model":"a/b","messages":null}"#,
                BodyError::Missing("messages"),
            ),
            (
                r#"{"model":7,"messages":[]}"#,
                BodyError::WrongType {
                    field: "model",
                    expected: "a model id such as \"openai/gpt-4o-mini\"",
                },
            ),
            (
                r#"{"model":"a/b","messages":[],"max_tokens":-1}"#,
                BodyError::WrongType {
                    field: "max_tokens",
                    expected: "a whole number of tokens",
                },
            ),
            (
                r#"{"model":"a/b","messages":[],"stream":"yes"}"#,
                BodyError::WrongType {
                    field: "stream",
                    expected: "true or false",
                },
            ),
        ];
        for (text, expected) in cases {
            let error = chat(text).unwrap_err();
            match expected {
                BodyError::NotJson(_) => assert!(matches!(error, BodyError::NotJson(_)), "{text}"),
                other => assert_eq!(&error, other, "{text}"),
            }
        }
        let twice = chat(r#"{"model":"openai/gpt-4o-mini","messages":[],"model":"openai/o1-pro"}"#);
        assert_eq!(twice.unwrap_err(), BodyError::Repeated("model".to_string()));
        let full: Vec<String> = (0..16).map(|i| format!("\"k{i}\":\"v\"")).collect();
        let text = format!(
            r#"{{"model":"a/b","messages":[],"metadata":{{{}}}}}"#,
            full.join(",")
        );
        assert_eq!(chat(&text).unwrap_err(), BodyError::MetadataFull);
    }
}
