//! `[gateway]`: shared-key mode's server, where members' OpenAI-compatible clients send their
//! requests. Absent `listen`, there is no gateway.

use std::net::SocketAddr;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, check_url, in_range, invalid};
use crate::domain::OnDisallowedModel;

/// The inference key the gateway forwards with, from the environment.
pub const ENV_INFERENCE_KEY: &str = "OPENROUTER_API_KEY";
/// The secret gateway tokens are hashed with, from the environment.
pub const ENV_TOKEN_SECRET: &str = "GATEWAY_TOKEN_SECRET";

/// The fewest characters a token secret must have.
const MIN_TOKEN_SECRET_CHARS: usize = 32;
/// The largest request body the gateway may be set to take.
const MAX_BODY_BYTES: u64 = 100 * 1024 * 1024;

/// `[gateway]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GatewayFile {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub api_key: Option<SecretString>,
    pub token_secret: Option<SecretString>,
    pub app_url: Option<String>,
    pub app_title: Option<String>,
    pub on_disallowed_model: Option<String>,
    pub max_body_bytes: Option<u64>,
    pub max_in_flight_per_member: Option<u32>,
    pub requests_per_minute_per_member: Option<u32>,
}

/// `[gateway]`, checked.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Where the gateway listens (plain HTTP; TLS is the reverse proxy's).
    pub listen: SocketAddr,
    /// The base URL members' clients use, as `/mykey` shows it.
    pub public_url: String,
    /// The team's inference key, forwarded upstream; `None` until `OPENROUTER_API_KEY` is set.
    pub api_key: Option<SecretString>,
    /// The secret gateway tokens are hashed with; `None` until `GATEWAY_TOKEN_SECRET` is set.
    pub token_secret: Option<SecretString>,
    /// Sent upstream as `HTTP-Referer`.
    pub app_url: Option<String>,
    /// Sent upstream as `X-OpenRouter-Title`.
    pub app_title: Option<String>,
    pub on_disallowed_model: OnDisallowedModel,
    pub max_body_bytes: u64,
    /// Requests one member may have running at once (a tier may set its own).
    pub max_in_flight_per_member: u32,
    /// Requests one member may start per minute (a tier may set its own).
    pub requests_per_minute_per_member: u32,
}

/// Checks `[gateway]`; `None` when it has no `listen`.
pub(super) fn gateway_settings(
    raw: Option<GatewayFile>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<GatewaySettings>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let Some(listen) = raw.listen else {
        return Ok(None);
    };
    let listen: SocketAddr = listen.parse().map_err(|_| {
        invalid(
            "gateway.listen",
            format!("{listen:?} is not an address and port, such as \"127.0.0.1:8787\""),
        )
    })?;
    let public_url = raw
        .public_url
        .unwrap_or_else(|| format!("http://{listen}/api/v1"));
    check_url("gateway.public_url", &public_url)?;
    if let Some(app_url) = &raw.app_url {
        check_url("gateway.app_url", app_url)?;
    }
    let on_disallowed_model = match raw.on_disallowed_model.as_deref() {
        None | Some("downgrade") => OnDisallowedModel::Downgrade,
        Some("refuse") => OnDisallowedModel::Refuse,
        Some(other) => {
            return Err(invalid(
                "gateway.on_disallowed_model",
                format!("{other:?} is not one of \"downgrade\" or \"refuse\""),
            ));
        }
    };
    let token_secret = env(ENV_TOKEN_SECRET)
        .map(SecretString::from)
        .or(raw.token_secret);
    if let Some(secret) = &token_secret
        && secret.expose_secret().chars().count() < MIN_TOKEN_SECRET_CHARS
    {
        return Err(invalid(
            "gateway.token_secret",
            format!(
                "is shorter than {MIN_TOKEN_SECRET_CHARS} characters; use a long random value, such as the output of `openssl rand -hex 32`"
            ),
        ));
    }
    Ok(Some(GatewaySettings {
        listen,
        public_url: public_url.trim_end_matches('/').to_string(),
        api_key: env(ENV_INFERENCE_KEY)
            .map(SecretString::from)
            .or(raw.api_key),
        token_secret,
        app_url: raw.app_url,
        app_title: raw.app_title.filter(|t| !t.trim().is_empty()),
        on_disallowed_model,
        max_body_bytes: in_range(
            "gateway.max_body_bytes",
            raw.max_body_bytes.unwrap_or(10 * 1024 * 1024),
            1024..=MAX_BODY_BYTES,
            " bytes",
        )?,
        max_in_flight_per_member: in_range(
            "gateway.max_in_flight_per_member",
            raw.max_in_flight_per_member.unwrap_or(8),
            1..=10_000,
            "",
        )?,
        requests_per_minute_per_member: in_range(
            "gateway.requests_per_minute_per_member",
            raw.requests_per_minute_per_member.unwrap_or(60),
            1..=1_000_000,
            "",
        )?,
    }))
}
