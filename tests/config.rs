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
    assert!(
        ids.contains("`discord.guild_id`, `discord.approvals_channel_id`, `discord.alerts_channel_id` and `discord.reports_channel_id` are still 0"),
        "every id still 0 is named at once: {ids}"
    );
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
    assert!(message.contains("expected a number"), "{message}");
    assert!(
        !message.contains("f64"),
        "no type name of the program: {message}"
    );
    let message = error_of(&EXAMPLE.replace("guild_id = 0", "guild_id = \"my server\""));
    assert!(message.contains("setting `discord.guild_id`"), "{message}");
    assert!(message.contains("expected a whole number"), "{message}");
    assert!(!message.contains("u64"), "{message}");
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

/// The example with `from` (which it holds exactly once) replaced by `to`.
fn example_with(from: &str, to: &str) -> String {
    assert_eq!(
        EXAMPLE.matches(from).count(),
        1,
        "the example has {from} once"
    );
    EXAMPLE.replacen(from, to, 1)
}

#[test]
fn values_beyond_their_bounds_are_refused_with_the_setting_and_its_range() {
    let i64_max = i64::MAX.to_string();
    let cases = [
        // The values that once passed `check` and then panicked in the running bot.
        (
            "request_expiry_days = 7",
            "request_expiry_days = 100000000".to_string(),
            "setting `lifecycle.request_expiry_days`: 100000000 is out of range (1 to 365 days)",
        ),
        (
            "key_expiry_days = 0",
            "key_expiry_days = 100000000".to_string(),
            "setting `lifecycle.key_expiry_days`: 100000000 is out of range (0 to 3650 days",
        ),
        (
            "idle_key_days = 30",
            format!("idle_key_days = {i64_max}"),
            "setting `lifecycle.idle_key_days`: 9223372036854775807 is out of range (1 to 3650 days)",
        ),
        (
            "snapshot_retention_days = 35",
            format!("snapshot_retention_days = {i64_max}"),
            "setting `sync.snapshot_retention_days`: 9223372036854775807 is out of range (15 to 3650 days",
        ),
        // Every other numeric setting, one past its bound.
        (
            "max_key_age_days = 90",
            "max_key_age_days = 3651".to_string(),
            "setting `lifecycle.max_key_age_days`: 3651 is out of range (0 to 3650 days",
        ),
        (
            "idle_grace_days = 7",
            "idle_grace_days = 366".to_string(),
            "setting `lifecycle.idle_grace_days`: 366 is out of range (1 to 365 days)",
        ),
        (
            "runway_days = 7",
            "runway_days = 366".to_string(),
            "setting `alerts.runway_days`: 366 is out of range (0 to 365 days)",
        ),
        (
            "thresholds = [50, 80, 100]",
            "thresholds = [50, 101]".to_string(),
            "setting `alerts.thresholds`: 101 is not a percentage from 1 to 100",
        ),
        (
            "spike_factor = 3.0",
            "spike_factor = 100.5".to_string(),
            "setting `alerts.spike_factor`: 100.5 must be a number from 1 to 100",
        ),
        (
            "limit_usd = 10.0",
            "limit_usd = 1000000.01".to_string(),
            "setting `tiers.basic.limit_usd`: 1000000.01 is out of range (0 to 1000000 dollars)",
        ),
        (
            "credits_floor_usd = 20.0",
            "credits_floor_usd = 1e9".to_string(),
            "setting `alerts.credits_floor_usd`: 1000000000 is out of range (0 to 1000000 dollars)",
        ),
        (
            "spike_min_usd = 5.0",
            "spike_min_usd = 2000000.0".to_string(),
            "setting `alerts.spike_min_usd`: 2000000 is out of range (0 to 1000000 dollars)",
        ),
        (
            "top_up_max_usd = 50.0",
            "top_up_max_usd = 2000000.0".to_string(),
            "setting `alerts.top_up_max_usd`: 2000000 is out of range (0 to 1000000 dollars)",
        ),
        (
            "timeout = \"15s\"",
            "timeout = \"6m\"".to_string(),
            "setting `openrouter.timeout`: 6m is out of range (1s to 5m per request)",
        ),
        (
            "timeout = \"15s\"",
            "timeout = \"0s\"".to_string(),
            "setting `openrouter.timeout`: 0s is out of range (1s to 5m per request)",
        ),
        (
            "max_attempts = 4",
            "max_attempts = 11".to_string(),
            "setting `openrouter.max_attempts`: 11 is out of range (1 to 10)",
        ),
        (
            "max_connections = 10",
            "max_connections = 101".to_string(),
            "setting `database.max_connections`: 101 is out of range (1 to 100)",
        ),
        (
            "interval = \"5m\"",
            "interval = \"25h\"".to_string(),
            "setting `sync.interval`: 1day 1h is out of range (30s to 1day;",
        ),
        (
            "page_concurrency = 4",
            "page_concurrency = 17".to_string(),
            "setting `sync.page_concurrency`: 17 is out of range (1 to 16)",
        ),
        (
            "catch_up_grace = \"24h\"",
            "catch_up_grace = \"8d\"".to_string(),
            "setting `reports.catch_up_grace`: 8days is out of range (0s to 7days;",
        ),
    ];
    for (from, to, expected) in &cases {
        let message = error_of(&example_with(from, to));
        assert!(message.contains(expected), "{to}: {message}");
    }
}

#[test]
fn values_at_their_bounds_are_accepted() {
    let edges = [
        ("request_expiry_days = 7", "request_expiry_days = 365"),
        ("key_expiry_days = 0", "key_expiry_days = 3650"),
        ("max_key_age_days = 90", "max_key_age_days = 3650"),
        ("idle_key_days = 30", "idle_key_days = 3650"),
        ("idle_grace_days = 7", "idle_grace_days = 365"),
        (
            "snapshot_retention_days = 35",
            "snapshot_retention_days = 3650",
        ),
        ("runway_days = 7", "runway_days = 365"),
        ("spike_factor = 3.0", "spike_factor = 100.0"),
        ("limit_usd = 10.0", "limit_usd = 1000000.0"),
        ("top_up_max_usd = 50.0", "top_up_max_usd = 1000000.0"),
        ("timeout = \"15s\"", "timeout = \"5m\""),
        ("max_connections = 10", "max_connections = 100"),
        ("interval = \"5m\"", "interval = \"24h\""),
        ("catch_up_grace = \"24h\"", "catch_up_grace = \"7d\""),
    ];
    for (from, to) in edges {
        if let Err(e) = Config::parse(&example_with(from, to), no_env) {
            panic!("{to} was refused: {e}");
        }
    }
}

#[test]
fn loading_a_missing_file_names_it() {
    let err = Config::load(std::path::Path::new("/nonexistent/config.toml"), no_env).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/config.toml"));
    assert!(err.to_string().contains("config.example.toml"), "{err}");
}

const TIER: &str = "[tiers.basic]\nlimit_usd = 5\n";

#[test]
fn without_a_listen_address_there_is_no_gateway() {
    assert!(Config::parse(TIER, no_env).unwrap().gateway.is_none());
    let only_title = format!("{TIER}[gateway]\napp_title = \"Acme\"\n");
    assert!(
        Config::parse(&only_title, no_env)
            .unwrap()
            .gateway
            .is_none()
    );
}

#[test]
fn the_gateway_reads_its_settings_and_its_secrets_from_the_environment() {
    let text = format!(
        "{TIER}[gateway]\nlisten = \"127.0.0.1:8787\"\npublic_url = \"https://llm.example.com/api/v1/\"\n\
         app_url = \"https://example.com\"\napp_title = \"Acme ML\"\non_disallowed_model = \"refuse\"\n"
    );
    let env = |name: &str| match name {
        "OPENROUTER_API_KEY" => Some("sk-or-v1-inference-key".to_string()),
        "GATEWAY_TOKEN_SECRET" => Some("s".repeat(40)),
        _ => None,
    };
    let config = Config::parse(&text, env).unwrap();
    let gateway = config.gateway.as_ref().expect("a gateway");
    assert_eq!(gateway.listen.to_string(), "127.0.0.1:8787");
    assert_eq!(gateway.public_url, "https://llm.example.com/api/v1");
    assert_eq!(gateway.app_title.as_deref(), Some("Acme ML"));
    assert_eq!(gateway.on_disallowed_model.as_str(), "refuse");
    assert_eq!(gateway.max_body_bytes, 10 * 1024 * 1024);
    assert!(gateway.api_key.is_some() && gateway.token_secret.is_some());
    let debug = format!("{config:?}");
    assert!(!debug.contains("inference-key"), "{debug}");
    assert!(!debug.contains(&"s".repeat(40)), "{debug}");

    let defaults = Config::parse(
        &format!("{TIER}[gateway]\nlisten = \"0.0.0.0:9000\"\n"),
        no_env,
    )
    .unwrap()
    .gateway
    .unwrap();
    assert_eq!(defaults.on_disallowed_model.as_str(), "downgrade");
    assert_eq!(defaults.public_url, "http://0.0.0.0:9000/api/v1");
}

#[test]
fn wrong_gateway_settings_are_named() {
    let with = |lines: &str| format!("{TIER}[gateway]\nlisten = \"127.0.0.1:8787\"\n{lines}\n");
    let cases = [
        (
            format!("{TIER}[gateway]\nlisten = \"localhost\"\n"),
            "setting `gateway.listen`: \"localhost\" is not an address and port",
        ),
        (
            with("on_disallowed_model = \"block\""),
            "setting `gateway.on_disallowed_model`: \"block\" is not one of",
        ),
        (
            with("token_secret = \"short\""),
            "setting `gateway.token_secret`: is shorter than 32 characters",
        ),
        (
            with("public_url = \"llm.example.com\""),
            "setting `gateway.public_url`",
        ),
        (
            with("max_body_bytes = 0"),
            "setting `gateway.max_body_bytes`: 0 is out of range",
        ),
        (with("listen_on = 1"), "listen_on"),
    ];
    for (text, expected) in cases {
        let error = error_of(&text);
        assert!(error.contains(expected), "{error}\nexpected: {expected}");
    }
}

const GATEWAY: &str = "[gateway]\nlisten = \"127.0.0.1:8787\"\n";

#[test]
fn a_gateway_tier_reads_its_access_fallback_and_caps() {
    let text = format!(
        "[tiers.shared]\nlimit_usd = 5\naccess = \"gateway\"\nallowed_models = [\"a/cheap\", \"a/dear\"]\n\
         fallback_model = \"a/cheap\"\nmax_output_tokens = 2000\nrequests_per_minute_per_member = 10\n{GATEWAY}"
    );
    let config = Config::parse(&text, no_env).unwrap();
    let tier = config.tiers.get("shared").unwrap();
    assert_eq!(tier.access.as_str(), "gateway");
    assert_eq!(tier.fallback_model.as_deref(), Some("a/cheap"));
    assert_eq!(tier.max_output_tokens, Some(2000));
    assert_eq!(tier.requests_per_minute, Some(10));
    assert_eq!(tier.max_in_flight, None, "the gateway's own cap applies");
    let plain = Config::parse(TIER, no_env).unwrap();
    assert_eq!(plain.tiers.get("basic").unwrap().access.as_str(), "key");
}

#[test]
fn a_gateway_tier_that_cannot_work_is_refused_with_what_to_change() {
    let tier = "[tiers.shared]\nlimit_usd = 5\naccess = \"gateway\"\n";
    let cases = [
        (
            tier.to_string(),
            "setting `tiers.shared.access`: is \"gateway\", but the gateway is off",
        ),
        (
            format!("{tier}allowed_models = [\"a/cheap\"]\n{GATEWAY}"),
            "tiers.shared.fallback_model",
        ),
        (
            format!("{tier}allowed_models = [\"a/cheap\"]\nfallback_model = \"a/dear\"\n{GATEWAY}"),
            "setting `tiers.shared.fallback_model`: \"a/dear\" is not in tiers.shared.allowed_models",
        ),
        (
            "[tiers.shared]\naccess = \"shared\"\n".to_string(),
            "setting `tiers.shared.access`: \"shared\" is not an access mode (use \"key\" or \"gateway\")",
        ),
        (
            format!("{tier}max_output_tokens = 0\n{GATEWAY}"),
            "setting `tiers.shared.max_output_tokens`: 0 is out of range",
        ),
    ];
    for (text, expected) in cases {
        let error = error_of(&text);
        assert!(error.contains(expected), "{error}\nexpected: {expected}");
    }
    // Refusing disallowed models needs no fallback.
    let refusing = format!(
        "{tier}allowed_models = [\"a/cheap\"]\n{GATEWAY}on_disallowed_model = \"refuse\"\n"
    );
    assert!(Config::parse(&refusing, no_env).is_ok());
}
