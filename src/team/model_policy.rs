//! Which model serves a gateway request: the tier's allowlist decides whether the requested model
//! (and each of a request's fallbacks in `models[]`) may be used, and a disallowed request is either
//! downgraded to the tier's fallback model or refused, as the team chose.

pub use crate::domain::OnDisallowedModel;

/// A tier's model rules, as the gateway applies them.
#[derive(Debug, Clone, Copy)]
pub struct ModelRules<'a> {
    /// The models the tier may use; `None` allows every model.
    pub allowed: Option<&'a [String]>,
    /// The model a disallowed request is served by (one of `allowed`).
    pub fallback: Option<&'a str>,
    pub on_disallowed: OnDisallowedModel,
}

/// The models a request asks for: `model`, and the fallbacks of `models[]` in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedModels {
    pub model: String,
    pub fallbacks: Vec<String>,
}

/// The policy's decision for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelDecision {
    /// Everything asked for is allowed; the request goes as it is.
    Allowed,
    /// Something asked for is not allowed: the request is served by `served` alone.
    Downgraded { requested: String, served: String },
    /// Something asked for is not allowed and the team refuses such requests; `allowed` is
    /// what the tier may use.
    Refused {
        disallowed: String,
        allowed: Vec<String>,
    },
}

impl ModelRules<'_> {
    /// Whether `model` may be used. Ids compare exactly: a variant (`:free`, `:nitro`) is a
    /// model of its own, with its own price and limits.
    pub fn allows(&self, model: &str) -> bool {
        match self.allowed {
            None => true,
            Some(allowed) => allowed.iter().any(|m| m == model),
        }
    }

    /// The decision for a request asking for `requested`.
    pub fn decide(&self, requested: &RequestedModels) -> ModelDecision {
        let disallowed = std::iter::once(&requested.model)
            .chain(&requested.fallbacks)
            .find(|model| !self.allows(model));
        let Some(disallowed) = disallowed else {
            return ModelDecision::Allowed;
        };
        match (self.on_disallowed, self.fallback) {
            (OnDisallowedModel::Downgrade, Some(fallback)) => ModelDecision::Downgraded {
                requested: disallowed.clone(),
                served: fallback.to_string(),
            },
            _ => ModelDecision::Refused {
                disallowed: disallowed.clone(),
                allowed: self.allowed.map(<[String]>::to_vec).unwrap_or_default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models(list: &[&str]) -> Vec<String> {
        list.iter().map(|m| m.to_string()).collect()
    }

    fn asks(model: &str, fallbacks: &[&str]) -> RequestedModels {
        RequestedModels {
            model: model.to_string(),
            fallbacks: models(fallbacks),
        }
    }

    #[test]
    fn each_request_under_each_rule() {
        let allowed = models(&["openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"]);
        let downgrade = ModelRules {
            allowed: Some(&allowed),
            fallback: Some("openai/gpt-4o-mini"),
            on_disallowed: OnDisallowedModel::Downgrade,
        };
        let refuse = ModelRules {
            on_disallowed: OnDisallowedModel::Refuse,
            ..downgrade
        };
        let open = ModelRules {
            allowed: None,
            fallback: None,
            on_disallowed: OnDisallowedModel::Refuse,
        };
        let downgraded = |requested: &str| ModelDecision::Downgraded {
            requested: requested.to_string(),
            served: "openai/gpt-4o-mini".to_string(),
        };
        let refused = |disallowed: &str| ModelDecision::Refused {
            disallowed: disallowed.to_string(),
            allowed: allowed.clone(),
        };
        let table: Vec<(&ModelRules, RequestedModels, ModelDecision)> = vec![
            (
                &downgrade,
                asks("openai/gpt-4o-mini", &[]),
                ModelDecision::Allowed,
            ),
            (
                &downgrade,
                asks("openai/gpt-4o-mini", &["meta-llama/llama-3.1-8b-instruct"]),
                ModelDecision::Allowed,
            ),
            (
                &downgrade,
                asks("openai/o1-pro", &[]),
                downgraded("openai/o1-pro"),
            ),
            (
                &downgrade,
                asks("openai/gpt-4o-mini", &["anthropic/claude-opus-4"]),
                downgraded("anthropic/claude-opus-4"),
            ),
            // A variant is a different model: its price and limits differ.
            (
                &downgrade,
                asks("openai/gpt-4o-mini:nitro", &[]),
                downgraded("openai/gpt-4o-mini:nitro"),
            ),
            (
                &refuse,
                asks("openai/o1-pro", &[]),
                refused("openai/o1-pro"),
            ),
            (
                &refuse,
                asks("openai/gpt-4o-mini", &[]),
                ModelDecision::Allowed,
            ),
            (
                &open,
                asks("openai/o1-pro", &["x/y"]),
                ModelDecision::Allowed,
            ),
        ];
        for (rules, request, expected) in table {
            assert_eq!(rules.decide(&request), expected, "{request:?}");
        }
    }

    #[test]
    fn a_downgrade_without_a_fallback_model_is_a_refusal() {
        let allowed = models(&["openai/gpt-4o-mini"]);
        let rules = ModelRules {
            allowed: Some(&allowed),
            fallback: None,
            on_disallowed: OnDisallowedModel::Downgrade,
        };
        assert!(matches!(
            rules.decide(&asks("openai/o1-pro", &[])),
            ModelDecision::Refused { .. }
        ));
    }
}
