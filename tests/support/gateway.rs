//! A member's client of the gateway, and the config of a team with a shared-key tier.

use std::future::Future;
use std::time::Duration;

use fakes::discord::{FakeGuild, FakeMember, MANAGE_GUILD};
use futures_util::StreamExt;
use openrouter_team_bot::team::DiscordId;
use serde_json::{Value, json};

use super::bot::*;

/// Members of the shared-key tier hold this role.
pub const SHARED_ROLE: u64 = 400;
/// Where the reveal tells members to point their clients.
pub const PUBLIC_URL: &str = "https://llm.acme.example/api/v1";

/// A tier on the gateway and the gateway itself, for `Harness::start_with`'s `extra`; `gateway`
/// is added to `[gateway]`.
pub fn shared_tier(limit_usd: &str, gateway: &str) -> String {
    format!(
        r#"
[tiers.shared]
limit_usd = {limit_usd}
limit_reset = "daily"
access = "gateway"
allowed_models = ["openai/gpt-4o-mini", "openai/gpt-4o", "meta-llama/llama-3.1-8b-instruct:free"]
fallback_model = "openai/gpt-4o-mini"
max_output_tokens = 1000
role_ids = [{SHARED_ROLE}]

[gateway]
listen = "127.0.0.1:0"
public_url = "{PUBLIC_URL}"
app_url = "https://acme.example"
app_title = "Acme AI"
{gateway}
"#
    )
}

/// The bot tests' guild, with Mia on the shared-key tier.
pub fn guild_with_shared_mia() -> FakeGuild {
    FakeGuild::new(GUILD, "Acme AI", BOT_USER, DISCORD_TOKEN)
        .channel(APPROVALS, "key-approvals")
        .channel(ALERTS, "key-alerts")
        .channel(REPORTS, "key-reports")
        .channel(AUDIT, "key-audit")
        .role(ADMIN_ROLE, "Key admins", 0)
        .role(PRO_ROLE, "Pro", 0)
        .role(SHARED_ROLE, "Shared", 0)
        .role(300, "Moderators", MANAGE_GUILD)
        .member(
            FakeMember::new(DANA, "dana")
                .global_name("Dana")
                .role(ADMIN_ROLE),
        )
        .member(
            FakeMember::new(ERIK, "erik")
                .global_name("Erik")
                .role(ADMIN_ROLE),
        )
        .member(
            FakeMember::new(MIA, "mia")
                .global_name("Mia")
                .role(SHARED_ROLE),
        )
        .member(FakeMember::new(OLU, "olu").global_name("Olu"))
        .member(FakeMember::new(MAX, "max").global_name("Max").role(300))
}

/// The `ortb_...` token in a text, if any.
pub fn token_in(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '`')
        .find(|w| w.starts_with("ortb_") && w.len() > 20)
        .map(str::to_string)
}

/// A member's OpenAI-style client, pointed at the gateway with their token.
#[derive(Clone)]
pub struct Client {
    pub base_url: String,
    pub token: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: String, token: String) -> Client {
        Client {
            base_url,
            token,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    /// `POST /chat/completions` with `body`.
    pub async fn chat(&self, body: &Value) -> reqwest::Response {
        self.try_chat(body).await.expect("the gateway answers")
    }

    /// `POST /chat/completions`, which may fail (a gateway that dies on the way).
    pub async fn try_chat(&self, body: &Value) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!("{}/chat/completions", self.base_url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
    }

    /// `POST /chat/completions` with raw bytes as the body.
    pub async fn chat_raw(&self, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(format!("{}/chat/completions", self.base_url))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the gateway answers")
    }

    /// `POST /responses` (OpenRouter's Responses API).
    pub async fn respond(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}/responses", self.base_url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("the gateway answers")
    }

    /// `GET path` with the token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the gateway answers")
    }
}

/// A chat request for `model` saying hello.
pub fn hello(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Hello there"}]})
}

/// The generation an answer names in `X-Generation-Id`.
pub fn generation_id(response: &reqwest::Response) -> String {
    response.headers()["x-generation-id"]
        .to_str()
        .expect("a readable generation id")
        .to_string()
}

/// Reads a stream until `events` of its `data:` events have come, then hangs up.
pub async fn hang_up_after(response: reqwest::Response, events: usize) {
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    while seen.matches("data: ").count() < events {
        let bytes = stream
            .next()
            .await
            .expect("more of the stream")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
}

/// Polls `check` until it gives a value, for at most ten seconds.
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("gave up waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

impl Harness {
    /// The hash of Mia's one live token (or key), as the bot stores it.
    pub async fn mia_token_hash(&self) -> String {
        let mia = self
            .store()
            .member_by_discord_id(DiscordId(MIA))
            .await
            .unwrap()
            .expect("Mia is on the team");
        let keys = self.store().keys_of_member(mia.id).await.unwrap();
        let live: Vec<_> = keys.into_iter().filter(|k| k.is_live()).collect();
        assert_eq!(live.len(), 1, "{live:?}");
        live[0].hash.clone()
    }

    /// Mia asks for gateway access, Dana approves, Mia reveals: her client with the token.
    pub async fn mia_gets_token(&self) -> (Client, String) {
        let sent = self.requests_key(MIA, Some("mia"), "shared key work").await;
        let id: i64 = sent
            .text()
            .split('#')
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no request number in {:?}", sent.text()));
        let card = self.card(id).await;
        self.clicks_and_sees(DANA, &card, "Approve").await;
        let dm = self
            .discord
            .wait_for_dm(MIA, |m| {
                m.embed_text()
                    .contains(&format!("Request #{id} was approved"))
            })
            .await;
        let revealed = self.clicks_and_sees(MIA, &dm, "Reveal my key").await;
        let text = revealed.text();
        let token = token_in(&text).unwrap_or_else(|| panic!("no token in {text:?}"));
        let url = self.gateway_url().expect("the gateway runs");
        (Client::new(url, token), text)
    }
}
