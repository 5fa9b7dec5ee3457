//! The demo's config file: `config.example.toml` with the simulated server's ids, the fakes'
//! URLs and a database in the output folder filled in. It holds no secret, so `keys list` and
//! `report` can be pointed at it afterwards without credentials.

use std::path::Path;

use super::DemoError;
use super::cast;
use crate::config::Config;

/// The example every user starts from; the demo's config is built from it so the two never drift.
const EXAMPLE: &str = include_str!("../../config.example.toml");

/// What goes at the top of the written file instead of the example's instructions.
const HEADER: &str = "\
# Written by `openrouter-team-bot demo`: config.example.toml with the simulated server's ids, the
# URLs of the simulated Discord and OpenRouter the demo ran against (they stopped with it), and
# the demo's database. No secret is in here: the simulated services' token and key were handed
# to the bot directly. Point `keys list --stored` and `report` at this file to look around:
#   openrouter-team-bot keys list --stored --config <this file>
";

/// The settings the demo changes: (table, key, TOML value).
fn overrides(
    discord_url: &str,
    openrouter_url: &str,
    database_url: &str,
) -> Vec<(&'static str, &'static str, String)> {
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
        ("discord", "api_base_url", toml_string(discord_url)),
        ("openrouter", "base_url", toml_string(openrouter_url)),
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

/// The config file's text for fakes at these URLs and a database at `database`.
pub fn config_text(
    discord_url: &str,
    openrouter_url: &str,
    database: &Path,
) -> Result<String, DemoError> {
    let database_url = format!("sqlite://{}", url_path(database));
    let mut text = without_instructions(EXAMPLE);
    for (table, key, value) in overrides(discord_url, openrouter_url, &database_url) {
        text = set(&text, table, key, &value).ok_or_else(|| {
            DemoError::Setup(format!(
                "config.example.toml has no setting `{table}.{key}` for the demo to fill in"
            ))
        })?;
    }
    Ok(format!("{HEADER}\n{text}"))
}

/// Parses the demo's config, handing the bot the simulated services' token and management key
/// (and nothing from the environment: a `DATABASE_URL` there must not redirect the demo).
pub fn parse(text: &str, management_key: &str) -> Result<Config, DemoError> {
    Config::parse(text, |name| match name {
        crate::config::ENV_DISCORD_TOKEN => Some(cast::BOT_TOKEN.to_string()),
        crate::config::ENV_MANAGEMENT_KEY => Some(management_key.to_string()),
        _ => None,
    })
    .map_err(|e| DemoError::Setup(format!("the demo's config is not valid: {e}")))
}

/// The example without its opening paragraph, which tells the reader to copy it.
fn without_instructions(example: &str) -> String {
    let body = example.split_once("\n\n").map_or(example, |(_, rest)| rest);
    body.to_string()
}

/// `text` with `key` in `[table]` set to `value` (a commented-out `# key = ...` line counts and
/// is switched on); the line's trailing comment stays. `None` when there is no such setting.
fn set(text: &str, table: &str, key: &str, value: &str) -> Option<String> {
    let header = format!("[{table}]");
    let mut in_table = false;
    let mut done = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_table = trimmed.starts_with(&header);
        }
        let setting = trimmed.trim_start_matches('#').trim_start();
        let names_key = setting
            .split_once('=')
            .is_some_and(|(name, _)| name.trim() == key);
        if in_table && !done && names_key {
            let comment = trailing_comment(setting.split_once('=').map_or("", |(_, v)| v));
            lines.push(match comment {
                Some(comment) => format!("{key} = {value}   {comment}"),
                None => format!("{key} = {value}"),
            });
            done = true;
        } else {
            lines.push(line.to_string());
        }
    }
    done.then(|| lines.join("\n") + "\n")
}

/// The `# ...` comment after a TOML value, if any (a `#` inside a string does not count).
fn trailing_comment(value: &str) -> Option<&str> {
    let mut in_string = false;
    for (at, c) in value.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(value[at..].trim_end()),
            _ => {}
        }
    }
    None
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

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_keeps_its_comment_and_a_commented_one_is_switched_on() {
        let text = "[a]\nx = 0   # the x\n# y = \"z#\"   # the y\n[b]\nx = 1\n";
        let text = set(text, "a", "x", "5").unwrap();
        let text = set(&text, "a", "y", "\"w\"").unwrap();
        assert_eq!(
            text,
            "[a]\nx = 5   # the x\ny = \"w\"   # the y\n[b]\nx = 1\n"
        );
        assert_eq!(set(&text, "c", "x", "1"), None);
    }

    #[test]
    fn the_written_config_is_valid_and_names_the_simulated_server() {
        let text = config_text(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2/api/v1",
            Path::new("/tmp/demo \"x\"/demo.db"),
        )
        .unwrap();
        let config = parse(&text, "sk-or-v1-fake").unwrap();
        let discord = config.discord().unwrap();
        assert_eq!(discord.guild_id, cast::GUILD_ID);
        assert_eq!(discord.reports_channel_id, cast::REPORTS);
        assert_eq!(discord.api_base_url, "http://127.0.0.1:1");
        assert_eq!(config.openrouter.base_url, "http://127.0.0.1:2/api/v1");
        assert_eq!(config.database.url, "sqlite:///tmp/demo \"x\"/demo.db");
        assert_eq!(config.tiers.all().len(), 3);
        assert!(!text.contains("Copy this file"));
        assert!(!text.contains("sk-or-v1-fake"));
    }
}
