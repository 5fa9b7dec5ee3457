//! A member's OpenAI-style client of the bot's gateway: one chat request with the member's
//! token, and what came back, in the words the transcript tells it with.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::DemoError;
use crate::money::{NanoUsd, Usd};

/// The header the gateway marks an answer with when it served another model than was asked.
const DOWNGRADED_HEADER: &str = "x-gateway-model-downgraded";

/// What every request of the demo asks the model.
const PROMPT: &str = "Draft a short, friendly welcome note for a new hire's first day.";

/// A client pointed at the gateway's base URL with one member's token.
#[derive(Clone)]
pub struct GatewayClient {
    base_url: String,
    token: SecretString,
    http: reqwest::Client,
}

/// One request to the gateway and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The model the request asked for.
    pub model: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// `X-Gateway-Model-Downgraded`, when the gateway served another model.
    pub downgraded: Option<String>,
    pub answer: Answer,
}

/// What an answer's body says.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A completion: the model that wrote it, how many tokens, and what OpenRouter charged
    /// (`usage.cost`).
    Completion {
        model: String,
        tokens: Option<u64>,
        cost: Option<Usd>,
    },
    /// An error in OpenAI's shape, by its message.
    Error { message: String },
}

impl GatewayClient {
    /// A client of the gateway at `base_url` (such as `http://127.0.0.1:PORT/api/v1`).
    pub fn new(base_url: String, token: SecretString) -> Result<GatewayClient, DemoError> {
        // The gateway is on 127.0.0.1: no proxy of the environment may stand in between.
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| DemoError::Setup(format!("the gateway's client: {e}")))?;
        Ok(GatewayClient {
            base_url,
            token,
            http,
        })
    }

    /// `POST /chat/completions` for `model`, and what the gateway answered.
    pub async fn chat(&self, model: &str) -> Result<Exchange, DemoError> {
        let body = json!({"model": model, "messages": [{"role": "user", "content": PROMPT}]});
        let unanswered =
            |e: reqwest::Error| DemoError::story(format!("the gateway did not answer: {e}"));
        let response = self
            .http
            .post(format!("{}/chat/completions", self.base_url))
            .bearer_auth(self.token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(unanswered)?;
        let status = response.status().as_u16();
        let downgraded = response
            .headers()
            .get(DOWNGRADED_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.text().await.map_err(unanswered)?;
        let answer = Answer::read(&text).ok_or_else(|| {
            DemoError::story(format!(
                "the gateway answered {status} with neither a completion nor an error: {text}"
            ))
        })?;
        Ok(Exchange {
            model: model.to_string(),
            status,
            downgraded,
            answer,
        })
    }
}

impl Answer {
    /// Reads an answer's JSON body: a completion, or an error.
    fn read(text: &str) -> Option<Answer> {
        let body: Value = serde_json::from_str(text).ok()?;
        if let Some(message) = body.pointer("/error/message").and_then(Value::as_str) {
            return Some(Answer::Error {
                message: message.to_string(),
            });
        }
        Some(Answer::Completion {
            model: body.get("model")?.as_str()?.to_string(),
            tokens: body.pointer("/usage/completion_tokens")?.as_u64(),
            cost: body
                .pointer("/usage/cost")
                .and_then(Value::as_f64)
                .map(|dollars| NanoUsd::from_api(dollars).to_usd_rounded_up()),
        })
    }
}

impl Exchange {
    /// Whether the gateway served the request.
    pub fn served(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The request in words: `POST /chat/completions for openai/gpt-4o`.
    pub fn request_words(&self) -> String {
        format!("POST /chat/completions for {}", self.model)
    }

    /// The answer in words: its status, the downgrade it announced, and what its body says.
    pub fn answer_words(&self) -> String {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut words = format!("{} {reason}", self.status).trim_end().to_string();
        if let Some(header) = &self.downgraded {
            words.push_str(&format!(
                " with {DOWNGRADED_HEADER}: {header} (the tier does not allow the model asked for; its fallback answered)"
            ));
        }
        match &self.answer {
            Answer::Completion {
                model,
                tokens,
                cost,
            } => {
                words.push_str(&format!(": {model} wrote"));
                match tokens {
                    Some(tokens) => words.push_str(&format!(" {tokens} tokens")),
                    None => words.push_str(" an answer"),
                }
                if let Some(cost) = cost {
                    words.push_str(&format!(", usage.cost {cost}"));
                }
            }
            Answer::Error { message } => words.push_str(&format!(": \"{message}\"")),
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completion_reads_as_its_model_length_and_cost() {
        let exchange = Exchange {
            model: "anthropic/claude-sonnet-4".into(),
            status: 200,
            downgraded: Some(
                "requested=anthropic/claude-sonnet-4; served=openai/gpt-4o-mini".into(),
            ),
            answer: Answer::read(
                r#"{"model": "openai/gpt-4o-mini", "usage": {"completion_tokens": 12, "cost": 0.0000123}}"#,
            )
            .unwrap(),
        };
        assert!(exchange.served());
        assert_eq!(
            exchange.request_words(),
            "POST /chat/completions for anthropic/claude-sonnet-4"
        );
        assert_eq!(
            exchange.answer_words(),
            "200 OK with x-gateway-model-downgraded: requested=anthropic/claude-sonnet-4; \
             served=openai/gpt-4o-mini (the tier does not allow the model asked for; its fallback \
             answered): openai/gpt-4o-mini wrote 12 tokens, usage.cost $0.000013"
        );
    }

    #[test]
    fn an_error_reads_as_its_status_and_message() {
        let exchange = Exchange {
            model: "openai/gpt-4o".into(),
            status: 429,
            downgraded: None,
            answer: Answer::read(r#"{"error": {"message": "Your budget has $0.00 left."}}"#)
                .unwrap(),
        };
        assert!(!exchange.served());
        assert_eq!(
            exchange.answer_words(),
            "429 Too Many Requests: \"Your budget has $0.00 left.\""
        );
        assert_eq!(Answer::read("not json"), None);
    }
}
