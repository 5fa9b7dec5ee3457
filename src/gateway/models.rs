//! OpenRouter's model list (`GET /models`), read for what the budget hold needs (each model's
//! prices and limits) and passed on to members filtered to what their tier allows, each model's
//! entry exactly as OpenRouter wrote it.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::money::UnitPrice;
use crate::team::budget_hold::ModelPrices;

/// The model list as OpenRouter sent it.
#[derive(Debug)]
pub struct ModelList {
    /// Each model's id and its entry, as written.
    entries: Vec<(String, Box<RawValue>)>,
    prices: HashMap<String, ModelPrices>,
}

/// Why a model list could not be read.
#[derive(Debug, thiserror::Error)]
#[error("OpenRouter's model list could not be read: {0}")]
pub struct UnreadableModelList(String);

#[derive(Deserialize)]
struct ListBody {
    data: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
struct Entry {
    id: String,
    context_length: Option<u64>,
    pricing: Option<Pricing>,
    top_provider: Option<TopProvider>,
}

#[derive(Deserialize)]
struct Pricing {
    prompt: Option<String>,
    completion: Option<String>,
    request: Option<String>,
}

#[derive(Deserialize)]
struct TopProvider {
    context_length: Option<u64>,
    max_completion_tokens: Option<u64>,
}

impl ModelList {
    /// Reads the body of `GET /models`.
    pub fn parse(body: &[u8]) -> Result<ModelList, UnreadableModelList> {
        let list: ListBody =
            serde_json::from_slice(body).map_err(|e| UnreadableModelList(e.to_string()))?;
        let mut entries = Vec::with_capacity(list.data.len());
        let mut prices = HashMap::with_capacity(list.data.len());
        for raw in list.data {
            let Ok(entry) = serde_json::from_str::<Entry>(raw.get()) else {
                // One odd entry does not hide the others; it is simply not offered.
                continue;
            };
            if let Some(model_prices) = entry.prices() {
                prices.insert(entry.id.clone(), model_prices);
            }
            entries.push((entry.id, raw));
        }
        Ok(ModelList { entries, prices })
    }

    /// What `model` costs; `None` for a model OpenRouter does not list or whose price varies.
    pub fn prices(&self, model: &str) -> Option<&ModelPrices> {
        self.prices.get(model)
    }

    /// How many models the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The body of `GET /models` for a member: the models `allows` lets through, each entry
    /// as OpenRouter wrote it.
    pub fn body_for(&self, allows: impl Fn(&str) -> bool) -> Vec<u8> {
        let kept: Vec<&str> = self
            .entries
            .iter()
            .filter(|(id, _)| allows(id))
            .map(|(_, raw)| raw.get())
            .collect();
        format!("{{\"data\":[{}]}}", kept.join(",")).into_bytes()
    }
}

impl Entry {
    /// The prices and limits, when every price can be read (a negative one means "varies").
    fn prices(&self) -> Option<ModelPrices> {
        let pricing = self.pricing.as_ref()?;
        let read = |price: &Option<String>| match price {
            None => Some(UnitPrice::FREE),
            Some(text) => UnitPrice::parse(text),
        };
        let top = self.top_provider.as_ref();
        Some(ModelPrices {
            prompt: read(&pricing.prompt)?,
            completion: read(&pricing.completion)?,
            request: read(&pricing.request)?,
            context_length: top.and_then(|t| t.context_length).or(self.context_length),
            max_output_tokens: top.and_then(|t| t.max_completion_tokens),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"data":[
        {"id":"openai/gpt-4o-mini","name":"GPT-4o mini","context_length":128000,
         "pricing":{"prompt":"0.00000015","completion":"0.0000006","request":"0","image":"0"},
         "top_provider":{"context_length":128000,"max_completion_tokens":16384,"is_moderated":true},
         "extra":{"kept": [1.50, "as written"]}},
        {"id":"openrouter/auto","name":"Auto","context_length":2000000,
         "pricing":{"prompt":"-1","completion":"-1"},"top_provider":{}},
        {"id":"meta-llama/llama-3.1-8b-instruct:free","context_length":131072,
         "pricing":{"prompt":"0","completion":"0"},"top_provider":{"max_completion_tokens":null}},
        {"no_id": true}
    ]}"#;

    #[test]
    fn prices_and_limits_are_read_from_each_model() {
        let list = ModelList::parse(BODY.as_bytes()).unwrap();
        assert_eq!(list.len(), 3);
        let mini = list.prices("openai/gpt-4o-mini").unwrap();
        assert_eq!(mini.prompt, UnitPrice::from_picos(150_000));
        assert_eq!(mini.completion, UnitPrice::from_picos(600_000));
        assert_eq!(mini.context_length, Some(128_000));
        assert_eq!(mini.max_output_tokens, Some(16_384));
        // A price that varies cannot be held: the model has no price.
        assert!(list.prices("openrouter/auto").is_none());
        let free = list
            .prices("meta-llama/llama-3.1-8b-instruct:free")
            .unwrap();
        assert_eq!(free.completion, UnitPrice::FREE);
        assert_eq!(free.context_length, Some(131_072));
        assert!(list.prices("unknown/model").is_none());
    }

    #[test]
    fn a_member_sees_the_allowed_models_exactly_as_openrouter_wrote_them() {
        let list = ModelList::parse(BODY.as_bytes()).unwrap();
        let body = list.body_for(|id| id == "openai/gpt-4o-mini");
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with("{\"data\":[{\"id\":\"openai/gpt-4o-mini\""),
            "{text}"
        );
        assert!(
            text.contains(r#""extra":{"kept": [1.50, "as written"]}"#),
            "{text}"
        );
        assert!(!text.contains("openrouter/auto"));
        let all: serde_json::Value = serde_json::from_slice(&list.body_for(|_| true)).unwrap();
        assert_eq!(all["data"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn a_body_that_is_not_a_model_list_is_refused() {
        assert!(ModelList::parse(b"{\"models\":[]}").is_err());
        assert!(ModelList::parse(b"<html>").is_err());
    }
}
