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
}

impl Line {
    fn print(&self) {
        match &self.outcome {
            Ok(detail) => println!("ok    {:<11} {detail}", self.what),
            Err(problem) => println!("FAIL  {:<11} {problem}", self.what),
        }
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
            Line {
                what: "config",
                outcome: Err(e.to_string()),
            }
            .print();
            return Err(AppError::Failed(
                "the config file has a problem (see above)".into(),
            ));
        }
    };
    let lines = [
        Line {
            what: "config",
            outcome: Ok(format!(
                "{} ({} tiers; new members get {})",
                config_path.display(),
                config.tiers.all().len(),
                config.tiers.default_tier().name
            )),
        },
        Line {
            what: "database",
            outcome: check_database(&config).await,
        },
        Line {
            what: "openrouter",
            outcome: check_openrouter(&config).await,
        },
        Line {
            what: "discord",
            outcome: check_discord(&config).await,
        },
    ];
    for line in &lines {
        line.print();
    }
    let failed = lines.iter().filter(|l| l.outcome.is_err()).count();
    if failed > 0 {
        return Err(AppError::Failed(format!(
            "{failed} of {} checks failed",
            lines.len()
        )));
    }
    Ok(())
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
