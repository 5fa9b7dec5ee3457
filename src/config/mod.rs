//! The bot's configuration: a TOML file, with secrets and the database URL overridable from the
//! environment. Everything is checked once, here, and every problem names the setting at fault.

mod file;
mod gateway;
mod schedule;

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use secrecy::SecretString;

use crate::domain::{Access, OnDisallowedModel, Tier, TierName, Tiers};
use crate::money::Usd;
use crate::reset::LimitReset;

pub use crate::domain::{LifecycleSettings, OnMemberLeave};
pub use gateway::{ENV_INFERENCE_KEY, ENV_TOKEN_SECRET, GatewaySettings};
pub use schedule::WeeklySchedule;

/// The longest span a days setting may name where a year is already generous (requests waiting
/// for a decision, a notice period, a credits runway).
const MAX_DAYS_SHORT: i64 = 365;
/// The longest span any other days setting may name: ten years.
const MAX_DAYS: i64 = 3650;
/// The largest dollar amount any money setting may name.
const MAX_USD: f64 = 1_000_000.0;
/// The longest wait for one answer from OpenRouter.
const MAX_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The longest pause between usage syncs: spend is counted per day.
const MAX_SYNC_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// The longest a missed digest is still posted: after a week the next one is due.
const MAX_CATCH_UP_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Environment variables that override the file.
pub const ENV_DISCORD_TOKEN: &str = "DISCORD_TOKEN";
pub const ENV_MANAGEMENT_KEY: &str = "OPENROUTER_MANAGEMENT_KEY";
pub const ENV_DATABASE_URL: &str = "DATABASE_URL";

/// A problem with the configuration, naming the setting and the reason.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}{hint}", hint = read_hint(.source))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("setting `{setting}`: {reason}")]
    Invalid { setting: String, reason: String },
    #[error("`{setting}` is not set: {hint}")]
    Missing { setting: String, hint: String },
    #[error(
        "{} still 0 in the config file: copy each id from Discord (Developer Mode on, right-click > Copy ID)",
        unset_ids(.settings)
    )]
    UnsetIds { settings: Vec<&'static str> },
}

impl ConfigError {
    /// The environment variable the problem is in, when it is one and not the config file.
    pub fn environment_variable(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { setting, .. }
                if !setting.is_empty()
                    && setting
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') =>
            {
                Some(setting)
            }
            _ => None,
        }
    }
}

/// "`a` is", "`a` and `b` are", "`a`, `b` and `c` are".
fn unset_ids(settings: &[&str]) -> String {
    let named: Vec<String> = settings.iter().map(|s| format!("`{s}`")).collect();
    match named.as_slice() {
        [] => "no id is".to_string(),
        [one] => format!("{one} is"),
        [rest @ .., last] => format!("{} and {last} are", rest.join(", ")),
    }
}

/// What to do about a config file that cannot be read, when there is an obvious answer.
fn read_hint(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            " (copy config.example.toml to config.toml and fill it in, or name the file with --config or OPENROUTER_TEAM_BOT_CONFIG)"
        }
        _ => "",
    }
}

/// The parser's message with the program's type names said as a person would: "expected f64"
/// becomes "expected a number", "expected u32" "expected a whole number".
fn in_plain_words(message: &str) -> String {
    const TYPES: [(&str, &str); 14] = [
        ("f64", "a number"),
        ("f32", "a number"),
        ("i64", "a whole number"),
        ("i32", "a whole number"),
        ("i16", "a whole number"),
        ("i8", "a whole number"),
        ("u64", "a whole number from 0"),
        ("u32", "a whole number from 0"),
        ("u16", "a whole number from 0"),
        ("u8", "a whole number from 0"),
        ("usize", "a whole number from 0"),
        ("isize", "a whole number"),
        ("a sequence", "a list"),
        ("a map", "a table"),
    ];
    let mut words = message.to_string();
    for (name, plain) in TYPES {
        let from = format!("expected {name}");
        let mut from_index = 0;
        while let Some(found) = words[from_index..].find(&from).map(|i| i + from_index) {
            let end = found + from.len();
            let whole_word = !words[end..].starts_with(|c: char| c.is_alphanumeric());
            if whole_word {
                words.replace_range(found..end, &format!("expected {plain}"));
            }
            from_index = found + 1;
        }
    }
    words
}

/// A TOML error on one line: the setting it is about (or else its table), where it is, and
/// what is wrong.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = in_plain_words(&error.message().trim().lines().collect::<Vec<_>>().join(" "));
    let Some(before) = error.span().and_then(|span| text.get(..span.start)) else {
        return message;
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let current = text.lines().nth(line - 1).unwrap_or("").trim();
    // An error in a table header is about the header itself, not about the table above it.
    let in_header = current.starts_with('[');
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .and_then(|header| header.get(..header.find(']')?))
        .map(|header| header.trim_start_matches('[').trim())
        .filter(|_| !in_header);
    let key = current
        .split_once('=')
        .map(|(key, _)| key.trim())
        .filter(|key| !in_header && !key.is_empty() && !key.starts_with('#'));
    match (table, key) {
        (Some(table), Some(key)) => {
            format!("setting `{table}.{key}` (line {line}, column {column}): {message}")
        }
        (None, Some(key)) => format!("setting `{key}` (line {line}, column {column}): {message}"),
        (Some(table), None) => format!("line {line}, column {column}, in [{table}]: {message}"),
        (None, None) => format!("line {line}, column {column}: {message}"),
    }
}

fn invalid(setting: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.into(),
        reason: reason.into(),
    }
}

/// `value` if it lies in `allowed`; otherwise an error naming the setting and the range, with
/// `unit` after it (such as " days").
fn in_range<T: PartialOrd + Display>(
    setting: &str,
    value: T,
    allowed: RangeInclusive<T>,
    unit: &str,
) -> Result<T, ConfigError> {
    if allowed.contains(&value) {
        return Ok(value);
    }
    Err(invalid(
        setting,
        format!(
            "{value} is out of range ({} to {}{unit})",
            allowed.start(),
            allowed.end()
        ),
    ))
}

/// `value` if it lies in `allowed`; otherwise an error naming the setting and the range, then
/// `why` (such as "; spend is counted per day").
fn duration_in_range(
    setting: &str,
    value: Duration,
    allowed: RangeInclusive<Duration>,
    why: &str,
) -> Result<Duration, ConfigError> {
    if allowed.contains(&value) {
        return Ok(value);
    }
    let show = humantime::format_duration;
    Err(invalid(
        setting,
        format!(
            "{} is out of range ({} to {}{why})",
            show(value),
            show(*allowed.start()),
            show(*allowed.end())
        ),
    ))
}

/// A dollar setting: not negative, and at most [`MAX_USD`].
fn money(setting: &str, dollars: f64) -> Result<Usd, ConfigError> {
    let amount = Usd::from_config(dollars).map_err(|e| invalid(setting, e.to_string()))?;
    if dollars > MAX_USD {
        return Err(invalid(
            setting,
            format!("{dollars} is out of range (0 to {MAX_USD} dollars)"),
        ));
    }
    Ok(amount)
}

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    discord: DiscordSettings,
    pub openrouter: OpenRouterSettings,
    pub database: DatabaseSettings,
    pub tiers: Tiers,
    pub alerts: AlertSettings,
    pub sync: SyncSettings,
    pub reports: ReportSettings,
    pub lifecycle: LifecycleSettings,
    /// Shared-key mode's gateway, when `[gateway]` has a `listen` address.
    pub gateway: Option<GatewaySettings>,
}

/// `[discord]`. Ids of 0 mean "not filled in yet"; only commands that talk to Discord need them.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: Option<SecretString>,
    pub guild_id: u64,
    pub admin_role_ids: Vec<u64>,
    pub approvals_channel_id: u64,
    pub alerts_channel_id: u64,
    pub reports_channel_id: u64,
    /// Where audit lines are posted; `None` (0 or absent): not posted, only kept.
    pub audit_channel_id: Option<u64>,
    pub api_base_url: String,
}

/// `[openrouter]`.
#[derive(Debug, Clone)]
pub struct OpenRouterSettings {
    pub management_key: Option<SecretString>,
    pub base_url: String,
    pub workspace_id: Option<String>,
    pub key_name_prefix: String,
    pub timeout: Duration,
    pub max_attempts: u32,
}

/// `[database]`.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    /// Where `url` came from, for messages: `DATABASE_URL` or `database.url`.
    pub url_setting: &'static str,
    pub max_connections: u32,
}

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    /// Percentages of a key's limit, ascending, each in 1..=100.
    pub thresholds: Vec<u8>,
    pub credits_floor: Usd,
    pub runway_days: i64,
    /// A member's day counts as a spike above this many times their trailing daily average.
    pub spike_factor_percent: i64,
    pub spike_min: Usd,
    pub top_up_max: Usd,
    /// Warn when a key is on track to pass its limit before the window resets.
    pub pace: bool,
}

/// `[sync]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSettings {
    pub interval: Duration,
    pub page_concurrency: usize,
    pub snapshot_retention_days: i64,
}

/// `[reports]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    pub weekly: WeeklySchedule,
    pub timezone: Tz,
    /// A digest missed while the bot was down is still posted if it starts within this long.
    pub catch_up_grace: Duration,
}

impl Config {
    /// Reads and validates the file at `path`, then applies the environment overrides that
    /// `env` returns (pass `|name| std::env::var(name).ok()` in the binary).
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, env).map_err(|e| match e {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Validates a config given as TOML text.
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let raw: file::File = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: PathBuf::from("<config>"),
            message: describe_toml_error(text, &e),
        })?;
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        Config {
            discord: discord_settings(raw.discord.unwrap_or_default(), &env)?,
            openrouter: openrouter_settings(raw.openrouter, &env)?,
            database: database_settings(raw.database, &env)?,
            tiers: tiers(raw.default_tier, raw.tiers)?,
            alerts: alert_settings(raw.alerts)?,
            sync: sync_settings(raw.sync)?,
            reports: report_settings(raw.reports)?,
            lifecycle: lifecycle_settings(raw.lifecycle)?,
            gateway: gateway::gateway_settings(raw.gateway, &env)?,
        }
        .checked_for_gateway()
    }

    /// A tier that gives gateway access needs the gateway, and a fallback model when its
    /// disallowed requests are downgraded.
    fn checked_for_gateway(self) -> Result<Config, ConfigError> {
        for tier in self.tiers.all() {
            if tier.access != Access::Gateway {
                continue;
            }
            let setting = format!("tiers.{}", tier.name);
            let Some(gateway) = &self.gateway else {
                return Err(invalid(
                    format!("{setting}.access"),
                    "is \"gateway\", but the gateway is off; add [gateway] with listen = \"127.0.0.1:8787\" (and public_url), or set access = \"key\"",
                ));
            };
            if tier.allowed_models.is_some()
                && tier.fallback_model.is_none()
                && gateway.on_disallowed_model == OnDisallowedModel::Downgrade
            {
                return Err(ConfigError::Missing {
                    setting: format!("{setting}.fallback_model"),
                    hint: "name one of the tier's allowed_models that a request for another model is served with, or set gateway.on_disallowed_model = \"refuse\"".into(),
                });
            }
        }
        Ok(self)
    }

    /// The Discord settings, checked complete: a token and every id the bot needs.
    pub fn discord(&self) -> Result<&DiscordSettings, ConfigError> {
        let d = &self.discord;
        if d.token.is_none() {
            return Err(ConfigError::Missing {
                setting: ENV_DISCORD_TOKEN.into(),
                hint: "set the bot token from the Discord Developer Portal (Bot > Token) in the environment, or discord.token in the config file".into(),
            });
        }
        self.ids_set()?;
        Ok(d)
    }

    /// Fails, naming every one of them, when any Discord id the bot needs is still 0, as in
    /// the example config.
    pub fn ids_set(&self) -> Result<(), ConfigError> {
        let d = &self.discord;
        let settings: Vec<&'static str> = [
            ("discord.guild_id", d.guild_id),
            ("discord.approvals_channel_id", d.approvals_channel_id),
            ("discord.alerts_channel_id", d.alerts_channel_id),
            ("discord.reports_channel_id", d.reports_channel_id),
        ]
        .into_iter()
        .filter(|(_, id)| *id == 0)
        .map(|(setting, _)| setting)
        .collect();
        if settings.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::UnsetIds { settings })
        }
    }

    /// The Discord settings as written, complete or not.
    pub fn discord_unchecked(&self) -> &DiscordSettings {
        &self.discord
    }

    /// The OpenRouter management key, which every command that talks to OpenRouter needs.
    pub fn management_key(&self) -> Result<&SecretString, ConfigError> {
        self.openrouter
            .management_key
            .as_ref()
            .ok_or_else(|| ConfigError::Missing {
                setting: ENV_MANAGEMENT_KEY.into(),
                hint: "create a management key at https://openrouter.ai/settings/management-keys and put it in the environment (or openrouter.management_key in the config file)".into(),
            })
    }
}

fn discord_settings(
    raw: file::DiscordFile,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<DiscordSettings, ConfigError> {
    let api_base_url = raw
        .api_base_url
        .unwrap_or_else(|| "https://discord.com".into());
    check_url("discord.api_base_url", &api_base_url)?;
    Ok(DiscordSettings {
        token: env(ENV_DISCORD_TOKEN).map(SecretString::from).or(raw.token),
        guild_id: raw.guild_id.unwrap_or(0),
        admin_role_ids: raw.admin_role_ids,
        approvals_channel_id: raw.approvals_channel_id.unwrap_or(0),
        alerts_channel_id: raw.alerts_channel_id.unwrap_or(0),
        reports_channel_id: raw.reports_channel_id.unwrap_or(0),
        audit_channel_id: raw.audit_channel_id.filter(|id| *id != 0),
        api_base_url: api_base_url.trim_end_matches('/').to_string(),
    })
}

fn openrouter_settings(
    raw: file::OpenRouterFile,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<OpenRouterSettings, ConfigError> {
    let base_url = raw
        .base_url
        .unwrap_or_else(|| "https://openrouter.ai/api/v1".into());
    check_url("openrouter.base_url", &base_url)?;
    let prefix = raw.key_name_prefix.unwrap_or_else(|| "team".into());
    if prefix.is_empty()
        || prefix.len() > 32
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "openrouter.key_name_prefix",
            format!(
                "{prefix:?} must be 1 to 32 letters, digits, '.', '-' or '_' (it starts every key name, followed by ':')"
            ),
        ));
    }
    let timeout = duration_in_range(
        "openrouter.timeout",
        duration("openrouter.timeout", raw.timeout.as_deref(), "15s")?,
        Duration::from_secs(1)..=MAX_TIMEOUT,
        " per request",
    )?;
    let max_attempts = in_range(
        "openrouter.max_attempts",
        raw.max_attempts.unwrap_or(4),
        1..=10,
        "",
    )?;
    if let Some(workspace) = &raw.workspace_id
        && workspace.trim().is_empty()
    {
        return Err(invalid(
            "openrouter.workspace_id",
            "is empty; remove it to use the default workspace",
        ));
    }
    Ok(OpenRouterSettings {
        management_key: env(ENV_MANAGEMENT_KEY)
            .map(SecretString::from)
            .or(raw.management_key),
        base_url: base_url.trim_end_matches('/').to_string(),
        workspace_id: raw.workspace_id,
        key_name_prefix: prefix,
        timeout,
        max_attempts,
    })
}

fn database_settings(
    raw: file::DatabaseFile,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<DatabaseSettings, ConfigError> {
    let (setting, url) = match env(ENV_DATABASE_URL) {
        Some(url) => (ENV_DATABASE_URL, url),
        None => (
            "database.url",
            raw.url
                .unwrap_or_else(|| "sqlite://openrouter-team.db".into()),
        ),
    };
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(invalid(
            setting,
            "must start with sqlite:// (a file) or postgres:// (a PostgreSQL server)",
        ));
    }
    let max_connections = in_range(
        "database.max_connections",
        raw.max_connections.unwrap_or(10),
        1..=100,
        "",
    )?;
    Ok(DatabaseSettings {
        url,
        url_setting: setting,
        max_connections,
    })
}

fn tiers(
    default: Option<String>,
    raw: indexmap::IndexMap<String, file::TierFile>,
) -> Result<Tiers, ConfigError> {
    if raw.is_empty() {
        return Err(ConfigError::Missing {
            setting: "tiers".into(),
            hint: "define at least one tier, for example [tiers.basic] with limit_usd = 10.0"
                .into(),
        });
    }
    let mut ordered = Vec::with_capacity(raw.len());
    for (name, tier) in raw {
        let setting = format!("tiers.{name}");
        let tier_name =
            TierName::parse(&name).map_err(|e| invalid(setting.clone(), e.to_string()))?;
        let limit = tier
            .limit_usd
            .map(|dollars| money(&format!("{setting}.limit_usd"), dollars))
            .transpose()?;
        let reset = match tier.limit_reset.as_deref() {
            None => LimitReset::Monthly,
            Some(text) => text.parse().map_err(|e: crate::reset::UnknownReset| {
                invalid(format!("{setting}.limit_reset"), e.to_string())
            })?,
        };
        let access = match tier.access.as_deref() {
            None => Access::Key,
            Some(text) => Access::parse(text)
                .map_err(|e| invalid(format!("{setting}.access"), e.to_string()))?,
        };
        if let Some(fallback) = &tier.fallback_model {
            if !is_model_id(fallback) {
                return Err(invalid(
                    format!("{setting}.fallback_model"),
                    format!(
                        "{fallback:?} is not a model id (expected something like \"openai/gpt-4o-mini\")"
                    ),
                ));
            }
            if let Some(models) = &tier.allowed_models
                && !models.contains(fallback)
            {
                return Err(invalid(
                    format!("{setting}.fallback_model"),
                    format!(
                        "{fallback:?} is not in {setting}.allowed_models, so a downgraded request would still be refused; add it there or choose one of: {}",
                        models.join(", ")
                    ),
                ));
            }
        }
        let max_output_tokens = tier
            .max_output_tokens
            .map(|n| {
                in_range(
                    &format!("{setting}.max_output_tokens"),
                    n,
                    1..=10_000_000,
                    " tokens",
                )
            })
            .transpose()?;
        let max_in_flight = tier
            .max_in_flight_per_member
            .map(|n| {
                in_range(
                    &format!("{setting}.max_in_flight_per_member"),
                    n,
                    1..=10_000,
                    "",
                )
            })
            .transpose()?;
        let requests_per_minute = tier
            .requests_per_minute_per_member
            .map(|n| {
                in_range(
                    &format!("{setting}.requests_per_minute_per_member"),
                    n,
                    1..=1_000_000,
                    "",
                )
            })
            .transpose()?;
        if let Some(models) = &tier.allowed_models {
            if models.is_empty() {
                return Err(invalid(
                    format!("{setting}.allowed_models"),
                    "is an empty list, which would allow no model at all; remove the setting to allow every model",
                ));
            }
            if let Some(bad) = models.iter().find(|m| !is_model_id(m)) {
                return Err(invalid(
                    format!("{setting}.allowed_models"),
                    format!(
                        "{bad:?} is not a model id (expected something like \"openai/gpt-4o-mini\")"
                    ),
                ));
            }
        }
        ordered.push(Tier {
            name: tier_name,
            limit,
            reset,
            allowed_models: tier.allowed_models,
            auto_approve: tier.auto_approve,
            role_ids: tier.role_ids,
            access,
            fallback_model: tier.fallback_model,
            max_output_tokens,
            max_in_flight,
            requests_per_minute,
        });
    }
    let default = match default {
        Some(name) => name,
        None if ordered.len() == 1 => ordered[0].name.to_string(),
        None => {
            return Err(ConfigError::Missing {
                setting: "default_tier".into(),
                hint: "name the tier that new members get".into(),
            });
        }
    };
    let names: Vec<String> = ordered.iter().map(|t| t.name.to_string()).collect();
    let default_name =
        TierName::parse(&default).map_err(|e| invalid("default_tier", e.to_string()))?;
    Tiers::new(ordered, default_name).ok_or_else(|| {
        invalid(
            "default_tier",
            format!(
                "{default:?} is not a configured tier (configured: {})",
                names.join(", ")
            ),
        )
    })
}

fn alert_settings(raw: file::AlertsFile) -> Result<AlertSettings, ConfigError> {
    let mut thresholds = Vec::new();
    for t in raw.thresholds.unwrap_or_else(|| vec![50, 80, 100]) {
        if !(1..=100).contains(&t) {
            return Err(invalid(
                "alerts.thresholds",
                format!("{t} is not a percentage from 1 to 100"),
            ));
        }
        thresholds.push(t as u8);
    }
    thresholds.sort_unstable();
    thresholds.dedup();
    let runway_days = in_range(
        "alerts.runway_days",
        raw.runway_days.unwrap_or(7),
        0..=MAX_DAYS_SHORT,
        " days",
    )?;
    let spike_factor = raw.spike_factor.unwrap_or(3.0);
    if !(1.0..=100.0).contains(&spike_factor) {
        return Err(invalid(
            "alerts.spike_factor",
            format!("{spike_factor} must be a number from 1 to 100 (times the usual daily spend)"),
        ));
    }
    Ok(AlertSettings {
        thresholds,
        credits_floor: money(
            "alerts.credits_floor_usd",
            raw.credits_floor_usd.unwrap_or(20.0),
        )?,
        runway_days,
        spike_factor_percent: (spike_factor * 100.0).round() as i64,
        spike_min: money("alerts.spike_min_usd", raw.spike_min_usd.unwrap_or(5.0))?,
        top_up_max: money("alerts.top_up_max_usd", raw.top_up_max_usd.unwrap_or(50.0))?,
        pace: raw.pace.unwrap_or(false),
    })
}

fn sync_settings(raw: file::SyncFile) -> Result<SyncSettings, ConfigError> {
    let interval = duration("sync.interval", raw.interval.as_deref(), "5m")?;
    if interval < Duration::from_secs(30) {
        return Err(invalid(
            "sync.interval",
            "must be at least 30s (OpenRouter's counters do not move faster, and the API has rate limits)",
        ));
    }
    let interval = duration_in_range(
        "sync.interval",
        interval,
        Duration::from_secs(30)..=MAX_SYNC_INTERVAL,
        "; spend is counted per day, so usage is fetched at least daily",
    )?;
    let page_concurrency = in_range(
        "sync.page_concurrency",
        raw.page_concurrency.unwrap_or(4),
        1..=16,
        "",
    )?;
    let snapshot_retention_days = in_range(
        "sync.snapshot_retention_days",
        raw.snapshot_retention_days.unwrap_or(35),
        15..=MAX_DAYS,
        " days; the weekly digest compares two full weeks",
    )?;
    Ok(SyncSettings {
        interval,
        page_concurrency,
        snapshot_retention_days,
    })
}

fn report_settings(raw: file::ReportsFile) -> Result<ReportSettings, ConfigError> {
    let weekly = WeeklySchedule::parse(raw.weekly.as_deref().unwrap_or("Mon 09:00"))
        .map_err(|reason| invalid("reports.weekly", reason))?;
    let zone = raw.timezone.unwrap_or_else(|| "UTC".into());
    let timezone: Tz = zone.parse().map_err(|_| {
        invalid(
            "reports.timezone",
            format!("{zone:?} is not an IANA time zone name (for example \"Europe/Berlin\" or \"America/New_York\")"),
        )
    })?;
    let catch_up_grace = duration_in_range(
        "reports.catch_up_grace",
        duration(
            "reports.catch_up_grace",
            raw.catch_up_grace.as_deref(),
            "24h",
        )?,
        Duration::ZERO..=MAX_CATCH_UP_GRACE,
        "; by then the next weekly digest is due",
    )?;
    Ok(ReportSettings {
        weekly,
        timezone,
        catch_up_grace,
    })
}

fn lifecycle_settings(raw: file::LifecycleFile) -> Result<LifecycleSettings, ConfigError> {
    let on_member_leave = match raw.on_member_leave.as_deref().unwrap_or("disable") {
        "disable" => OnMemberLeave::Disable,
        "delete" => OnMemberLeave::Delete,
        "ignore" => OnMemberLeave::Ignore,
        other => {
            return Err(invalid(
                "lifecycle.on_member_leave",
                format!("{other:?} is not one of disable, delete, ignore"),
            ));
        }
    };
    let days = |setting: &str, value: Option<i64>, default: i64, max: i64| {
        in_range(setting, value.unwrap_or(default), 1..=max, " days")
    };
    let optional_days = |setting: &str, value: Option<i64>| -> Result<Option<i64>, ConfigError> {
        match value {
            None | Some(0) => Ok(None),
            Some(v) => in_range(setting, v, 0..=MAX_DAYS, " days; 0 turns it off").map(Some),
        }
    };
    let max_key_age_days = optional_days(
        "lifecycle.max_key_age_days",
        raw.max_key_age_days.or(Some(90)),
    )?;
    let disable_overdue = raw.disable_overdue.unwrap_or(false);
    if disable_overdue && max_key_age_days.is_none() {
        return Err(invalid(
            "lifecycle.disable_overdue",
            "needs lifecycle.max_key_age_days to say when a key is overdue",
        ));
    }
    Ok(LifecycleSettings {
        on_member_leave,
        request_expiry_days: days(
            "lifecycle.request_expiry_days",
            raw.request_expiry_days,
            7,
            MAX_DAYS_SHORT,
        )?,
        key_expiry_days: optional_days("lifecycle.key_expiry_days", raw.key_expiry_days)?,
        max_key_age_days,
        disable_overdue,
        idle_key_days: days("lifecycle.idle_key_days", raw.idle_key_days, 30, MAX_DAYS)?,
        disable_idle: raw.disable_idle.unwrap_or(false),
        idle_grace_days: days(
            "lifecycle.idle_grace_days",
            raw.idle_grace_days,
            7,
            MAX_DAYS_SHORT,
        )?,
    })
}

fn duration(setting: &str, value: Option<&str>, default: &str) -> Result<Duration, ConfigError> {
    let text = value.unwrap_or(default);
    humantime::parse_duration(text).map_err(|_| {
        invalid(
            setting,
            format!("{text:?} is not a duration (use forms like \"30s\", \"5m\", \"1h\")"),
        )
    })
}

/// Whether `model` reads as an OpenRouter model id: no blanks, not empty.
fn is_model_id(model: &str) -> bool {
    !model.trim().is_empty() && !model.contains(char::is_whitespace)
}

fn check_url(setting: &str, url: &str) -> Result<(), ConfigError> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => Err(invalid(setting, format!("{url:?} is not an http(s) URL"))),
    }
}

#[cfg(test)]
mod plain_words_tests {
    #[test]
    fn type_names_are_said_in_words() {
        assert_eq!(
            super::in_plain_words("invalid type: string \"ten\", expected f64"),
            "invalid type: string \"ten\", expected a number"
        );
        assert_eq!(
            super::in_plain_words("invalid type: string \"x\", expected u64 or more"),
            "invalid type: string \"x\", expected a whole number from 0 or more"
        );
        assert_eq!(super::in_plain_words("expected f640"), "expected f640");
    }
}
