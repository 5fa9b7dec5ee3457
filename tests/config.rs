//! Loading the configuration: the example works as a template, and every mistake names its setting.

use openrouter_team_bot::config::{Config, ConfigError, OnMemberLeave};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::reset::LimitReset;

const EXAMPLE: &str = include_str!("../config.example.toml");

fn no_env(_: &str) -> Option<String> {
    None
}

fn error_of(text: &str) -> String {
    match Config::parse(text, no_env) {
        Ok(_) => panic!("the config was accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_example_config_loads_with_its_documented_defaults() {
    let config = Config::parse(EXAMPLE, no_env).expect("config.example.toml is valid");
    assert_eq!(config.tiers.default_tier().name.as_str(), "basic");
    assert_eq!(config.tiers.names(), vec!["basic", "pro", "research"]);
    let basic = config.tiers.get("basic").unwrap();
    assert_eq!(basic.limit, Some(Usd::from_dollars(10)));
    assert_eq!(basic.reset, LimitReset::Daily);
    assert_eq!(basic.allowed_models.as_ref().map(Vec::len), Some(2));
    assert_eq!(config.tiers.get("pro").unwrap().allowed_models, None);
    assert_eq!(config.alerts.thresholds, vec![50, 80, 100]);
    assert_eq!(config.sync.interval.as_secs(), 300);
    assert_eq!(config.reports.weekly.to_string(), "Mon 09:00");
    assert_eq!(config.lifecycle.on_member_leave, OnMemberLeave::Disable);
    assert_eq!(config.lifecycle.key_expiry_days, None);
    assert_eq!(config.database.url, "sqlite://openrouter-team.db");
    assert_eq!(config.openrouter.base_url, "https://openrouter.ai/api/v1");
}

#[test]
fn an_empty_file_needs_only_a_tier() {
    let config = Config::parse("[tiers.basic]\nlimit_usd = 5\n", no_env).unwrap();
    assert_eq!(config.tiers.default_tier().reset, LimitReset::Monthly);
    assert!(error_of("").contains("`tiers` is not set"));
}

#[test]
fn the_environment_overrides_secrets_and_the_database() {
    let env = |name: &str| match name {
        "DATABASE_URL" => Some("postgres://bot@db/team".to_string()),
        "OPENROUTER_MANAGEMENT_KEY" => Some("sk-or-v1-management".to_string()),
        "DISCORD_TOKEN" => Some("discord-token-value".to_string()),
        _ => None,
    };
    let config = Config::parse(EXAMPLE, env).unwrap();
    assert_eq!(config.database.url, "postgres://bot@db/team");
    assert!(config.management_key().is_ok());
    let debug = format!("{config:?}");
    assert!(!debug.contains("sk-or-v1-management"), "{debug}");
    assert!(!debug.contains("discord-token-value"), "{debug}");
}

#[test]
fn missing_credentials_and_ids_say_what_to_set() {
    let config = Config::parse(EXAMPLE, no_env).unwrap();
    let key = config.management_key().unwrap_err().to_string();
    assert!(key.contains("OPENROUTER_MANAGEMENT_KEY"), "{key}");
    let discord = config.discord().unwrap_err().to_string();
    assert!(discord.contains("DISCORD_TOKEN"), "{discord}");
    let with_token = Config::parse(EXAMPLE, |n| {
        (n == "DISCORD_TOKEN").then(|| "token-value".to_string())
    })
    .unwrap();
    let ids = with_token.discord().unwrap_err().to_string();
    assert!(ids.contains("discord.guild_id"), "{ids}");
}

#[test]
fn an_unknown_key_is_named() {
    let message = error_of(&EXAMPLE.replace("interval = \"5m\"", "intervall = \"5m\""));
    assert!(message.contains("setting `sync.intervall`"), "{message}");
    let message = error_of("[tiers.basic]\nlimit_usd = 5\nlimits_reset = \"daily\"\n");
    assert!(
        message.contains(
            "setting `tiers.basic.limits_reset` (line 3, column 1): unknown field `limits_reset`"
        ),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
    let message = error_of("[tiers.basic]\nlimit_usd = 5\n[discrod]\n");
    assert!(
        message.contains("line 3, column 2: unknown field `discrod`"),
        "{message}"
    );
}

#[test]
fn a_wrong_type_is_named() {
    let message = error_of("[tiers.basic]\nlimit_usd = \"ten\"\n");
    assert!(
        message.contains("setting `tiers.basic.limit_usd`"),
        "{message}"
    );
}

#[test]
fn a_negative_limit_is_refused() {
    let message = error_of("[tiers.basic]\nlimit_usd = -5.0\n");
    assert!(message.contains("tiers.basic.limit_usd"), "{message}");
    assert!(message.contains("negative"), "{message}");
}

#[test]
fn a_bad_time_zone_is_refused() {
    let text = EXAMPLE.replace("timezone = \"UTC\"", "timezone = \"Mars/Olympus\"");
    let message = error_of(&text);
    assert!(message.contains("reports.timezone"), "{message}");
    assert!(message.contains("Mars/Olympus"), "{message}");
}

#[test]
fn a_zero_threshold_is_refused() {
    let text = EXAMPLE.replace("thresholds = [50, 80, 100]", "thresholds = [0, 80]");
    let message = error_of(&text);
    assert!(message.contains("alerts.thresholds"), "{message}");
    let text = EXAMPLE.replace("thresholds = [50, 80, 100]", "thresholds = [50, 150]");
    assert!(error_of(&text).contains("alerts.thresholds"));
}

#[test]
fn other_invalid_values_are_named() {
    let cases = [
        (
            "default_tier = \"basic\"",
            "default_tier = \"gold\"",
            "default_tier",
        ),
        (
            "limit_reset = \"daily\"",
            "limit_reset = \"hourly\"",
            "tiers.basic.limit_reset",
        ),
        ("interval = \"5m\"", "interval = \"soon\"", "sync.interval"),
        ("interval = \"5m\"", "interval = \"1s\"", "sync.interval"),
        (
            "weekly = \"Mon 09:00\"",
            "weekly = \"Mon 9am\"",
            "reports.weekly",
        ),
        (
            "on_member_leave = \"disable\"",
            "on_member_leave = \"ban\"",
            "lifecycle.on_member_leave",
        ),
        (
            "url = \"sqlite://openrouter-team.db\"",
            "url = \"mysql://db\"",
            "database.url",
        ),
        (
            "key_name_prefix = \"team\"",
            "key_name_prefix = \"my team\"",
            "openrouter.key_name_prefix",
        ),
        (
            "request_expiry_days = 7",
            "request_expiry_days = 0",
            "lifecycle.request_expiry_days",
        ),
    ];
    for (from, to, setting) in cases {
        assert!(EXAMPLE.contains(from), "the example has {from}");
        let message = error_of(&EXAMPLE.replace(from, to));
        assert!(message.contains(setting), "{to}: {message}");
    }
}

#[test]
fn loading_a_missing_file_names_it() {
    let err = Config::load(std::path::Path::new("/nonexistent/config.toml"), no_env).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/config.toml"));
    assert!(err.to_string().contains("config.example.toml"), "{err}");
}
