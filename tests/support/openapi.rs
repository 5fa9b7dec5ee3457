//! The official OpenAPI specs in `../shared/specs/`, used to check that the fakes and the bot
//! speak the real APIs' JSON. A fresh clone has no such folder: loading then returns `None` and
//! says that the spec checks are skipped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::Value;

/// One loaded spec, with compiled validators cached by schema location.
pub struct Spec {
    doc: Value,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

impl Spec {
    /// Loads `../shared/specs/{file}` (YAML or JSON), or prints why the checks are skipped.
    pub fn load(file: &str) -> Option<Spec> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared")
            .join("specs")
            .join(file);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(_) => {
                eprintln!(
                    "skipping the spec checks: {} is not here (only the project's own checks run)",
                    path.display()
                );
                return None;
            }
        };
        let doc: Value = if file.ends_with(".json") {
            serde_json::from_str(&text).expect("the spec is valid JSON")
        } else {
            serde_yaml_ng::from_str(&text).expect("the spec is valid YAML")
        };
        Some(Spec {
            doc,
            validators: Mutex::new(HashMap::new()),
        })
    }

    /// The path template (`/keys/{hash}`) that a concrete path (`/keys/abc`) matches, if any.
    /// Literal segments win over parameters, so `/users/@me` beats `/users/{user_id}`.
    pub fn path_template(&self, path: &str) -> Option<String> {
        let paths = self.doc.get("paths")?.as_object()?;
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        paths
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.trim_end_matches('/').split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal_matches = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        continue;
                    }
                    if part != segment {
                        return None;
                    }
                    literal_matches += 1;
                }
                Some((literal_matches, template.clone()))
            })
            .max_by_key(|(n, _)| *n)
            .map(|(_, t)| t)
    }

    /// Checks a request body sent to `method path` against the operation's JSON request schema.
    /// Returns `Ok` when the spec has no JSON body schema for it.
    pub fn check_request(&self, method: &str, path: &str, body: &Value) -> Result<(), String> {
        let Some(template) = self.path_template(path) else {
            return Err(format!("{method} {path} is not an operation in the spec"));
        };
        let pointer = format!(
            "/paths/{}/{}/requestBody/content/application~1json/schema",
            escape(&template),
            method.to_ascii_lowercase()
        );
        self.check_at(&pointer, body)
            .map_err(|e| format!("{method} {template} request body: {e}"))
    }

    /// Checks a response body against the operation's schema for `status`.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let Some(template) = self.path_template(path) else {
            return Err(format!("{method} {path} is not an operation in the spec"));
        };
        let operation = format!(
            "/paths/{}/{}",
            escape(&template),
            method.to_ascii_lowercase()
        );
        let responses = self
            .doc
            .pointer(&format!("{operation}/responses"))
            .ok_or_else(|| format!("{method} {template} has no responses in the spec"))?;
        let status_key = status.to_string();
        let response_key = if responses.get(&status_key).is_some() {
            status_key
        } else if responses.get("default").is_some() {
            "default".to_string()
        } else {
            return Err(format!(
                "{method} {template} does not document status {status}"
            ));
        };
        let mut pointer = format!("{operation}/responses/{}", escape(&response_key));
        if let Some(reference) = self
            .doc
            .pointer(&pointer)
            .and_then(|r| r.get("$ref"))
            .and_then(Value::as_str)
        {
            pointer = reference.trim_start_matches('#').to_string();
        }
        self.check_at(&format!("{pointer}/content/application~1json/schema"), body)
            .map_err(|e| format!("{method} {template} {status} response: {e}"))
    }

    /// Checks `instance` against a named component schema (`components/schemas/{name}`).
    pub fn check_component(&self, name: &str, instance: &Value) -> Result<(), String> {
        self.check_at(&format!("/components/schemas/{name}"), instance)
    }

    fn check_at(&self, pointer: &str, instance: &Value) -> Result<(), String> {
        if self.doc.pointer(pointer).is_none() {
            return Ok(());
        }
        let validator = {
            let mut cache = self.validators.lock().expect("validator cache");
            if let Some(v) = cache.get(pointer) {
                v.clone()
            } else {
                // The schema is copied out with the spec's components beside it, so that
                // `#/components/...` references inside it resolve.
                let mut root = self.doc.pointer(pointer).cloned().unwrap_or(Value::Null);
                if let (Some(obj), Some(components)) =
                    (root.as_object_mut(), self.doc.get("components"))
                {
                    obj.insert("components".into(), components.clone());
                }
                let compiled = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&root)
                    .map_err(|e| format!("the spec schema at {pointer} does not compile: {e}"))?;
                let compiled = std::sync::Arc::new(compiled);
                cache.insert(pointer.to_string(), compiled.clone());
                compiled
            }
        };
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Escapes a JSON-pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
