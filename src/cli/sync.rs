//! `sync`: one usage sync now.

use chrono::Utc;

use crate::app::{self, AppError};
use crate::config::Config;
use crate::domain::count_len;
use crate::team::usage::sync_usage;

/// Fetches every key and stores a snapshot; prints what it stored.
pub async fn sync_now(config: &Config) -> Result<(), AppError> {
    let api = app::management_api(config)?;
    let store = app::open_store(config).await?;
    let summary = sync_usage(api.as_ref(), &store, &app::key_listing(config), Utc::now()).await?;
    println!(
        "Synced {} from OpenRouter{}.",
        count_len(summary.keys, "key"),
        match summary.vanished {
            0 => String::new(),
            1 => "; 1 known key no longer exists there".to_string(),
            n => format!("; {n} known keys no longer exist there"),
        }
    );
    store.close().await;
    Ok(())
}
