//! OpenRouter's inference API as the gateway calls it: with the team's one key, the team's
//! attribution headers, and nothing of the member's own credentials.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::money::NanoUsd;
use crate::team::shared_key::{CostLookup, GenerationCosts};

/// The paths requests are forwarded to.
const FORWARDED_PATHS: [&str; 2] = ["/chat/completions", "/responses"];

/// How long connecting to OpenRouter may take before the gateway answers 502.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a `/models` or `/generation` call may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The team's side of every upstream request.
#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    base_url: String,
    /// The completion routes' URLs, parsed once instead of for every request.
    forward_urls: Vec<(&'static str, reqwest::Url)>,
    api_key: SecretString,
    referer: Option<String>,
    title: Option<String>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct GenerationBody {
    data: Generation,
}

#[derive(Deserialize)]
struct Generation {
    total_cost: Option<f64>,
    tokens_prompt: Option<u64>,
    tokens_completion: Option<u64>,
}

impl Upstream {
    /// OpenRouter at `base_url` (`https://openrouter.ai/api/v1`), called with `api_key`.
    pub fn new(
        base_url: &str,
        api_key: SecretString,
        referer: Option<String>,
        title: Option<String>,
    ) -> Result<Upstream, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1024)
            .build()?;
        let base_url = base_url.trim_end_matches('/').to_string();
        let forward_urls = FORWARDED_PATHS
            .iter()
            .filter_map(|path| {
                Some((
                    *path,
                    reqwest::Url::parse(&format!("{base_url}{path}")).ok()?,
                ))
            })
            .collect();
        Ok(Upstream {
            client,
            forward_urls,
            base_url,
            api_key,
            referer,
            title,
        })
    }

    /// A request to `path` (such as `/chat/completions`) with the team's key and attribution.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = match self.forward_urls.iter().find(|(known, _)| *known == path) {
            Some((_, url)) => self.client.request(method, url.clone()),
            None => self
                .client
                .request(method, format!("{}{path}", self.base_url)),
        };
        let mut request = request.bearer_auth(self.api_key.expose_secret());
        if let Some(referer) = &self.referer {
            request = request.header("HTTP-Referer", referer);
        }
        if let Some(title) = &self.title {
            request = request.header("X-OpenRouter-Title", title);
        }
        request
    }

    /// Forwards a body to `path`; the answer's status, headers and body are the caller's to
    /// pass on.
    pub async fn forward(
        &self,
        path: &str,
        body: Vec<u8>,
        accept: Option<&str>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut request = self
            .request(reqwest::Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        request.send().await
    }

    /// `GET /models`: the whole list, as bytes.
    pub async fn models(&self) -> Result<bytes::Bytes, String> {
        let response = self
            .request(reqwest::Method::GET, "/models")
            .timeout(LOOKUP_TIMEOUT)
            .send()
            .await
            .map_err(|e| crate::secret::redact_keys(&e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("OpenRouter answered {status}"));
        }
        response
            .bytes()
            .await
            .map_err(|e| crate::secret::redact_keys(&e.to_string()))
    }
}

#[async_trait]
impl GenerationCosts for Upstream {
    async fn cost_of(&self, generation_id: &str) -> CostLookup {
        let sent = self
            .request(reqwest::Method::GET, "/generation")
            .query(&[("id", generation_id)])
            .timeout(LOOKUP_TIMEOUT)
            .send()
            .await;
        let response = match sent {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                tracing::debug!(status = %response.status(), "a generation is not recorded yet");
                return CostLookup::NotYet;
            }
            Err(e) => {
                tracing::debug!(error = %crate::secret::redact_keys(&e.to_string()), "a generation lookup failed");
                return CostLookup::NotYet;
            }
        };
        match response.json::<GenerationBody>().await {
            Ok(GenerationBody {
                data:
                    Generation {
                        total_cost: Some(cost),
                        tokens_prompt,
                        tokens_completion,
                    },
            }) => CostLookup::Found {
                cost: NanoUsd::from_api(cost),
                prompt_tokens: tokens_prompt,
                completion_tokens: tokens_completion,
            },
            _ => CostLookup::NotYet,
        }
    }
}
