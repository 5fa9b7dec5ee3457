//! `check`: the config, the database and the credentials, each reported on one line.

use std::path::Path;

use crate::app::{self, AppError};
use crate::config::Config;
use crate::secret::redact_url;
use crate::store::Store;

/// One checked item: what, and either what was found or the exact problem.
struct Line {
    what: &'static str,
    outcome: Result<String, String>,
    /// A problem the bot fixes by itself at start-up: reported, but not a failure.
    warn_only: bool,
}

impl Line {
    fn new(what: &'static str, outcome: Result<String, String>) -> Line {
        Line {
            what,
            outcome,
            warn_only: false,
        }
    }

    fn print(&self) {
        match (&self.outcome, self.warn_only) {
            (Ok(detail), _) => println!("ok    {:<11} {detail}", self.what),
            (Err(problem), true) => println!("WARN  {:<11} {problem}", self.what),
            (Err(problem), false) => println!("FAIL  {:<11} {problem}", self.what),
        }
    }

    fn failed(&self) -> bool {
        self.outcome.is_err() && !self.warn_only
    }
}

/// Runs every check and prints a line for each; fails if any failed.
pub async fn check(
    config_path: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), AppError> {
    let config = match Config::load(config_path, env) {
        Ok(config) => config,
        Err(e) => {
            Line::new("config", Err(e.to_string())).print();
            let problem = match e.environment_variable() {
                Some(variable) => {
                    format!("the environment variable {variable} has a problem (see above)")
                }
                None => "the config file has a problem (see above)".to_string(),
            };
            return Err(AppError::Failed(problem));
        }
    };
    if let Err(unset) = config.ids_set() {
        return report(&unset_ids_lines(&config, &unset));
    }
    let mut lines = vec![
        Line::new(
            "config",
            Ok(format!(
                "{} ({} tiers; new members get {})",
                config_path.display(),
                config.tiers.all().len(),
                config.tiers.default_tier().name
            )),
        ),
        Line::new("database", check_database(&config).await),
        Line::new("openrouter", check_openrouter(&config).await),
    ];
    // The guardrails can only be compared once OpenRouter and the database answer.
    if lines.iter().all(|l| l.outcome.is_ok()) {
        lines.push(Line {
            what: "guardrails",
            outcome: check_guardrails(&config).await,
            warn_only: true,
        });
    }
    lines.push(Line::new("discord", check_discord(&config).await));
    report(&lines)
}

/// Prints every line; fails if any failed.
fn report(lines: &[Line]) -> Result<(), AppError> {
    for line in lines {
        line.print();
    }
    let failed = lines.iter().filter(|l| l.failed()).count();
    if failed > 0 {
        return Err(AppError::Failed(format!(
            "{failed} of {} checks failed",
            lines.len()
        )));
    }
    Ok(())
}

/// The lines of a config whose Discord ids are not filled in yet: every missing id and
/// credential is named, and nothing is contacted (no database file is created, no call made).
fn unset_ids_lines(config: &Config, unset: &crate::config::ConfigError) -> Vec<Line> {
    const LATER: &str = "checked once the Discord ids are filled in";
    let openrouter = config
        .management_key()
        .map(|_| format!("management key set; {LATER}"))
        .map_err(|e| e.to_string());
    let discord = match config.discord() {
        Err(missing @ crate::config::ConfigError::Missing { .. }) => Err(missing.to_string()),
        _ => Ok(format!("token set; {LATER}")),
    };
    vec![
        Line::new("config", Err(unset.to_string())),
        Line::new("openrouter", openrouter),
        Line::new("discord", discord),
    ]
}

async fn check_database(config: &Config) -> Result<String, String> {
    let url = &config.database.url;
    let setting = config.database.url_setting;
    if let Some(path) = sqlite_path(url).map(Path::new)
        && !path.exists()
    {
        let folder = match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(format!(
                "{} (set by {setting}) cannot be created: {} is not a folder",
                redact_url(url),
                folder.display()
            ));
        }
        return Ok(format!(
            "{} does not exist yet; `migrate` or `run` creates it",
            redact_url(url)
        ));
    }
    let store = Store::connect(url, 1)
        .await
        .map_err(|e| format!("cannot open {} (set by {setting}): {e}", redact_url(url)))?;
    let version = store.server_version().await.map_err(|e| e.to_string());
    store.close().await;
    Ok(format!("{} ({})", redact_url(url), version?))
}

/// The file path of an `sqlite://` URL without options.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

async fn check_openrouter(config: &Config) -> Result<String, String> {
    let api = app::management_api(config).map_err(|e| e.to_string())?;
    let label = app::verify_management_key(api.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "management key {label} at {}",
        config.openrouter.base_url
    ))
}

/// Whether each tier's guardrail at OpenRouter matches the config (without changing anything).
async fn check_guardrails(config: &Config) -> Result<String, String> {
    let with_models = config
        .tiers
        .all()
        .iter()
        .filter(|t| t.allowed_models.is_some())
        .count();
    if with_models == 0 {
        return Ok("no tier has an allowlist, so no guardrail is needed".into());
    }
    let url = &config.database.url;
    if let Some(path) = sqlite_path(url)
        && !Path::new(path).exists()
    {
        return Ok(format!(
            "{with_models} tiers with an allowlist; their guardrails are created at first start"
        ));
    }
    let api = app::management_api(config).map_err(|e| format!("not checked: {e}"))?;
    let store = Store::connect(url, 1)
        .await
        .map_err(|e| format!("not checked: cannot open {}: {e}", redact_url(url)))?;
    let team = app::quiet_team(config, store.clone(), api);
    let drift = team.guardrail_drift().await;
    store.close().await;
    match drift {
        Ok(drift) if drift.is_empty() => Ok(format!(
            "the guardrails of all {with_models} tiers with an allowlist match the config"
        )),
        Ok(drift) => Err(format!(
            "out of step with the config, put right at the next start: {}",
            drift.join("; ")
        )),
        Err(e) => Err(format!("not checked: {}", e)),
    }
}

async fn check_discord(config: &Config) -> Result<String, String> {
    let discord = config.discord().map_err(|e| e.to_string())?;
    let http = crate::discord::http_client(discord).map_err(|e| e.to_string())?;
    let tier_roles: Vec<(String, u64)> = config
        .tiers
        .all()
        .iter()
        .flat_map(|t| t.role_ids.iter().map(|r| (t.name.to_string(), *r)))
        .collect();
    let (_, _, guild) = crate::discord::resolve(&http, discord, &tier_roles)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "token accepted; server {guild:?}, its three channels and every configured role found"
    ))
}
