//! Discord's error answers: the HTTP status, the numeric JSON error code and message, and for
//! 50035 "Invalid Form Body" the nested `errors` object that points at the offending field.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An error answer as Discord sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct DiscordError {
    /// HTTP status.
    pub status: StatusCode,
    /// Discord's JSON error code (`0` for plain HTTP errors).
    pub code: u32,
    /// Discord's message.
    pub message: String,
    /// The `errors` object of a 50035 answer.
    pub errors: Option<Value>,
    /// Whether the bot did something Discord refuses (a violation), rather than looking up
    /// something that is not there (a lookup miss, part of normal operation).
    pub is_violation: bool,
    /// What exactly was wrong, in words, for the violation record (not sent).
    pub detail: String,
}

impl DiscordError {
    fn new(status: StatusCode, code: u32, message: &str) -> Self {
        DiscordError {
            status,
            code,
            message: message.to_string(),
            errors: None,
            is_violation: true,
            detail: String::new(),
        }
    }

    /// Adds the words that say what was wrong.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// Marks the error as a lookup miss: answered like Discord, not recorded as a violation.
    fn lookup_miss(mut self) -> Self {
        self.is_violation = false;
        self
    }

    /// 400 50035 with the collected field errors.
    pub fn invalid_form_body(errors: FormErrors) -> Self {
        DiscordError {
            detail: errors.summary(),
            errors: Some(errors.into_json()),
            ..Self::new(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body")
        }
    }

    /// 400 50035 for a body that is not the JSON the route takes.
    pub fn malformed_body(detail: &str) -> Self {
        let mut errors = FormErrors::default();
        errors.add(&[], "BASE_TYPE_BAD_FORMAT", detail);
        Self::invalid_form_body(errors)
    }

    /// 404 for a route Discord does not have.
    pub fn unknown_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, 0, "404: Not Found")
    }

    /// 405 for a known path with a method it does not take.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, 0, "405: Method Not Allowed")
    }

    /// 401 for a missing or wrong `Authorization` header.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized")
    }

    /// 404 10003.
    pub fn unknown_channel() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10003, "Unknown Channel")
    }

    /// 404 10004.
    pub fn unknown_guild() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10004, "Unknown Guild")
    }

    /// 404 10007, a lookup miss.
    pub fn unknown_member() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10007, "Unknown Member").lookup_miss()
    }

    /// 404 10008.
    pub fn unknown_message() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10008, "Unknown Message")
    }

    /// 404 10008 for a read, a lookup miss.
    pub fn unknown_message_lookup() -> Self {
        Self::unknown_message().lookup_miss()
    }

    /// 404 10013.
    pub fn unknown_user() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10013, "Unknown User")
    }

    /// 404 10015: an interaction token that is unknown, expired, or not usable yet.
    pub fn unknown_webhook() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10015, "Unknown Webhook")
    }

    /// 404 10062: an unknown interaction, or an initial response after the deadline.
    pub fn unknown_interaction() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10062, "Unknown interaction")
    }

    /// 400 40060.
    pub fn already_acknowledged() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            40060,
            "Interaction has already been acknowledged.",
        )
    }

    /// 413 40005 for a file over the upload limit.
    pub fn entity_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            40005,
            "Request entity too large",
        )
    }

    /// 403 50001, e.g. listing members without the Server Members intent.
    pub fn missing_access() -> Self {
        Self::new(StatusCode::FORBIDDEN, 50001, "Missing Access")
    }

    /// 403 50005.
    pub fn cannot_edit_others_message() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            50005,
            "Cannot edit a message authored by another user",
        )
    }

    /// 400 50006.
    pub fn empty_message() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            50006,
            "Cannot send an empty message",
        )
    }

    /// 403 50007.
    pub fn cannot_message_user() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            50007,
            "Cannot send messages to this user",
        )
    }

    /// The JSON body Discord sends.
    pub fn body(&self) -> Value {
        let mut body = json!({"code": self.code, "message": self.message});
        if let (Some(errors), Some(obj)) = (&self.errors, body.as_object_mut()) {
            obj.insert("errors".into(), errors.clone());
        }
        body
    }
}

impl IntoResponse for DiscordError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// Field errors collected while checking a body, rendered as Discord's nested `errors` object:
/// `{"embeds": {"0": {"title": {"_errors": [{"code": ..., "message": ...}]}}}}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormErrors {
    entries: Vec<(Vec<String>, String, String)>,
}

impl FormErrors {
    /// Records an error at a field path (`["embeds", "0", "title"]`; empty for the body).
    pub fn add(&mut self, path: &[&str], code: &str, message: &str) {
        self.entries.push((
            path.iter().map(|s| s.to_string()).collect(),
            code.to_string(),
            message.to_string(),
        ));
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds every error of `other` under the prefix `path`.
    pub fn extend_under(&mut self, path: &[&str], other: FormErrors) {
        for (inner, code, message) in other.entries {
            let mut full: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            full.extend(inner);
            self.entries.push((full, code, message));
        }
    }

    /// One line per error, `embeds.0.title: Must be 256 or fewer in length.`, for violations.
    pub fn summary(&self) -> String {
        self.entries
            .iter()
            .map(|(path, _, message)| {
                if path.is_empty() {
                    message.clone()
                } else {
                    format!("{}: {message}", path.join("."))
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The nested `errors` object.
    pub fn into_json(self) -> Value {
        let mut root = Value::Object(Map::new());
        for (path, code, message) in self.entries {
            let mut node = &mut root;
            for segment in &path {
                if !node.get(segment).is_some_and(Value::is_object) {
                    node[segment.as_str()] = Value::Object(Map::new());
                }
                node = &mut node[segment.as_str()];
            }
            let list = &mut node["_errors"];
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            if let Some(list) = list.as_array_mut() {
                list.push(json!({"code": code, "message": message}));
            }
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_nest_like_discords() {
        let mut errors = FormErrors::default();
        errors.add(
            &["embeds", "0", "title"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 256 or fewer in length.",
        );
        let body = DiscordError::invalid_form_body(errors).body();
        assert_eq!(body["code"], 50035);
        assert_eq!(body["message"], "Invalid Form Body");
        assert_eq!(
            body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
    }
}
