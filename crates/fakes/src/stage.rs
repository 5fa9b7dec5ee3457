//! Both fakes started side by side for one bot, and the settings of its config file that point
//! it at them: the part of staging "fakes + config + bot" that needs no bot. The tests, the
//! benchmarks and the `demo` command all stage this way; the bot crate's `stage` module then
//! starts the bot on what this gives.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use chrono::Utc;
//! use fakes::discord::FakeGuild;
//! use fakes::stage::Fakes;
//!
//! let fakes = Fakes::start(FakeGuild::new(1, "team", 2, "bot-token"), Utc::now()).await?;
//! let config = fakes.point_config("[discord]\napi_base_url = \"\"\n[openrouter]\nbase_url = \"\"\n")?;
//! // ... parse `config`, handing the bot fakes.discord.token() and
//! // fakes.openrouter.management_key() as its secrets, and start it ...
//! fakes.wait_for_bot(0).await?;
//! # Ok(()) }
//! ```

use chrono::{DateTime, Utc};

use crate::discord::{FakeDiscord, FakeGuild, GaveUp};
use crate::openrouter::FakeOpenRouter;

/// A setting that the config text was expected to have (perhaps commented out) but does not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the config has no setting `{table}.{key}` to point at the fakes")]
pub struct MissingSetting {
    /// The TOML table, such as `discord`.
    pub table: String,
    /// The key in it, such as `api_base_url`.
    pub key: String,
}

/// A fake Discord and a fake OpenRouter running for one bot.
pub struct Fakes {
    /// The fake Discord, serving one guild.
    pub discord: FakeDiscord,
    /// The fake OpenRouter, with its default keys and credits.
    pub openrouter: FakeOpenRouter,
}

impl Fakes {
    /// Starts a fake Discord serving `guild` and a fake OpenRouter (default management key,
    /// $100 of credits) whose clock is stopped at `now`.
    pub async fn start(guild: FakeGuild, now: DateTime<Utc>) -> std::io::Result<Fakes> {
        let discord = FakeDiscord::start(guild).await?;
        let openrouter = FakeOpenRouter::start().await?;
        openrouter.set_now(now);
        Ok(Fakes {
            discord,
            openrouter,
        })
    }

    /// The settings that send a bot to these fakes: (table, key, TOML value).
    pub fn settings(&self) -> [(&'static str, &'static str, String); 2] {
        [
            (
                "discord",
                "api_base_url",
                toml_string(self.discord.api_url()),
            ),
            (
                "openrouter",
                "base_url",
                toml_string(&self.openrouter.base_url()),
            ),
        ]
    }

    /// `config` with `discord.api_base_url` and `openrouter.base_url` set to the fakes'
    /// addresses (see [`set_setting`]). The secrets are not written: a bot is handed
    /// `discord.token()` and `openrouter.management_key()` directly.
    pub fn point_config(&self, config: &str) -> Result<String, MissingSetting> {
        let mut text = config.to_string();
        for (table, key, value) in self.settings() {
            text = set_setting(&text, table, key, &value).ok_or_else(|| MissingSetting {
                table: table.to_string(),
                key: key.to_string(),
            })?;
        }
        Ok(text)
    }

    /// How many gateway sessions a bot has started on the fake Discord so far.
    pub fn connections(&self) -> u64 {
        self.discord.ready_count()
    }

    /// Waits until a bot has started more than `earlier` sessions (see [`Fakes::connections`])
    /// and its guild commands are registered; gives up after the fake Discord's wait deadline.
    pub async fn wait_for_bot(&self, earlier: u64) -> Result<(), GaveUp> {
        wait_for_bot(&self.discord, earlier).await
    }
}

/// [`Fakes::wait_for_bot`] for a fake Discord on its own.
pub async fn wait_for_bot(discord: &FakeDiscord, earlier: u64) -> Result<(), GaveUp> {
    discord
        .until("the bot to connect and register its commands", |d| {
            (d.ready_count() > earlier && d.guild_commands().is_some()).then_some(())
        })
        .await
}

impl std::fmt::Debug for Fakes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fakes")
            .field("discord", &self.discord.api_url())
            .field("openrouter", &self.openrouter)
            .finish()
    }
}

/// `text` with `key` in `[table]` set to `value` (a TOML value, such as a [`toml_string`]): the
/// first line of the table that sets the key, or a commented-out `# key = ...` line, which is
/// switched on. The line's trailing comment stays. `None` when the table has no such line.
pub fn set_setting(text: &str, table: &str, key: &str, value: &str) -> Option<String> {
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

/// `text` as a TOML basic string.
pub fn toml_string(text: &str) -> String {
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
        let text = set_setting(text, "a", "x", "5").unwrap();
        let text = set_setting(&text, "a", "y", "\"w\"").unwrap();
        assert_eq!(
            text,
            "[a]\nx = 5   # the x\ny = \"w\"   # the y\n[b]\nx = 1\n"
        );
        assert_eq!(set_setting(&text, "c", "x", "1"), None);
    }

    #[test]
    fn strings_are_escaped_for_toml() {
        assert_eq!(toml_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
