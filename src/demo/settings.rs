//! The demo's config file: `config.example.toml` with the simulated server's ids, the fakes'
//! URLs and a database in the output folder filled in, and shared-key mode (which the example
//! leaves commented out) switched on for one tier. It holds no secret, so `keys list` and
//! `report` can be pointed at it afterwards without credentials.

use std::path::Path;

use fakes::stage::{Fakes, set_setting, toml_string};

use super::DemoError;
use super::cast;

/// The example every user starts from; the demo's config is built from it so the two never drift.
const EXAMPLE: &str = include_str!("../../config.example.toml");

/// What goes at the top of the written file instead of the example's instructions.
const HEADER: &str = "\
# Written by `openrouter-team-bot demo`: config.example.toml with the simulated server's ids, the
# URLs of the simulated Discord and OpenRouter the demo ran against (they stopped with it), the
# demo's database, and a shared-key tier with its gateway at the end. No secret is in here: the
# simulated services' token and keys and the gateway's token secret were handed to the bot
# directly. Point `keys list --stored` and `report` at this file to look around:
#   openrouter-team-bot keys list --stored --config <this file>
";

/// The settings the demo changes besides the fakes' URLs: (table, key, TOML value).
fn overrides(database_url: &str) -> Vec<(&'static str, &'static str, String)> {
    let id = |n: u64| n.to_string();
    vec![
        ("discord", "guild_id", id(cast::GUILD_ID)),
        (
            "discord",
            "admin_role_ids",
            format!("[{}]", cast::ADMIN_ROLE),
        ),
        ("discord", "approvals_channel_id", id(cast::APPROVALS)),
        ("discord", "alerts_channel_id", id(cast::ALERTS)),
        ("discord", "reports_channel_id", id(cast::REPORTS)),
        ("discord", "audit_channel_id", id(cast::AUDIT)),
        ("database", "url", toml_string(database_url)),
        ("tiers.pro", "role_ids", format!("[{}]", cast::PRO_ROLE)),
        (
            "tiers.research",
            "role_ids",
            format!("[{}]", cast::RESEARCH_ROLE),
        ),
        // The bot starts on a Monday morning after last week's digest time: that digest covers
        // a week the bot never saw, so it is skipped rather than posted late and empty.
        ("reports", "catch_up_grace", toml_string("30m")),
    ]
}

/// Where the reveal tells gateway members to point their clients. Made up: the demo's gateway
/// listens on a free port of 127.0.0.1, and its members' clients call it there.
pub const GATEWAY_PUBLIC_URL: &str = "https://llm.acme.example/api/v1";

/// Shared-key mode, appended to the example (whose `[gateway]` is commented out): a tier whose
/// members call the bot's gateway with a token, and the gateway. The daily limit is small so
/// that a short batch of requests runs into it.
fn shared_key_mode() -> String {
    format!(
        r#"
# Added by the demo: shared-key mode. Holders of the "Shared key" role get a gateway token
# instead of a key; the gateway forwards their requests with the team's one inference key.
[tiers.shared]
access = "gateway"
limit_usd = 0.4
limit_reset = "daily"
allowed_models = ["openai/gpt-4o-mini", "openai/gpt-4o"]
fallback_model = "openai/gpt-4o-mini"
max_output_tokens = 10000
auto_approve = false
role_ids = [{role}]

[gateway]
listen = "127.0.0.1:0"            # a free port, chosen when the bot starts
public_url = {public_url}
app_url = "https://acme.example"
app_title = {app_title}
"#,
        role = cast::SHARED_ROLE,
        public_url = toml_string(GATEWAY_PUBLIC_URL),
        app_title = toml_string(cast::GUILD_NAME),
    )
}

/// The config file's text for `fakes` and a database at `database`.
pub fn config_text(fakes: &Fakes, database: &Path) -> Result<String, DemoError> {
    let text = fakes
        .point_config(&demo_settings(database)?)
        .map_err(|e| DemoError::Setup(format!("config.example.toml: {e}")))?;
    Ok(format!("{HEADER}\n{text}"))
}

/// The example with the demo's server, tiers, gateway and database filled in.
fn demo_settings(database: &Path) -> Result<String, DemoError> {
    let database_url = format!("sqlite://{}", url_path(database));
    let mut text = without_instructions(EXAMPLE) + &shared_key_mode();
    for (table, key, value) in overrides(&database_url) {
        text = set_setting(&text, table, key, &value).ok_or_else(|| {
            DemoError::Setup(format!(
                "config.example.toml has no setting `{table}.{key}` for the demo to fill in"
            ))
        })?;
    }
    Ok(text)
}

/// The example without its opening paragraph, which tells the reader to copy it.
fn without_instructions(example: &str) -> String {
    let body = example.split_once("\n\n").map_or(example, |(_, rest)| rest);
    body.to_string()
}

/// A file path as the path of an `sqlite://` URL: the database driver percent-decodes it, so
/// the characters that would end the path or start an escape are encoded.
fn url_path(path: &Path) -> String {
    path.display()
        .to_string()
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_written_config_is_valid_and_names_the_simulated_server() {
        let mut text = demo_settings(Path::new("/tmp/demo \"x\"/demo.db")).unwrap();
        // What `Fakes::point_config` sets: the example must have both settings.
        for (table, key, url) in [
            ("discord", "api_base_url", "http://127.0.0.1:1"),
            ("openrouter", "base_url", "http://127.0.0.1:2/api/v1"),
        ] {
            text = set_setting(&text, table, key, &toml_string(url)).unwrap();
        }
        let config = Config::parse(&text, |name| match name {
            crate::config::ENV_DISCORD_TOKEN => Some(cast::BOT_TOKEN.to_string()),
            crate::config::ENV_MANAGEMENT_KEY => Some("sk-or-v1-fake".to_string()),
            _ => None,
        })
        .unwrap();
        let discord = config.discord().unwrap();
        assert_eq!(discord.guild_id, cast::GUILD_ID);
        assert_eq!(discord.reports_channel_id, cast::REPORTS);
        assert_eq!(discord.api_base_url, "http://127.0.0.1:1");
        assert_eq!(config.openrouter.base_url, "http://127.0.0.1:2/api/v1");
        assert_eq!(config.database.url, "sqlite:///tmp/demo \"x\"/demo.db");
        assert_eq!(config.tiers.all().len(), 4);
        let shared = config.tiers.get("shared").unwrap();
        assert_eq!(shared.access, crate::domain::Access::Gateway);
        assert_eq!(shared.role_ids, vec![cast::SHARED_ROLE]);
        let gateway = config.gateway.as_ref().unwrap();
        assert_eq!(gateway.listen.port(), 0, "a free port");
        assert_eq!(gateway.public_url, GATEWAY_PUBLIC_URL);
        assert!(!text.contains("Copy this file"));
        assert!(!text.contains("sk-or-v1-fake"));
    }
}
