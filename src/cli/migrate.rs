//! `migrate`: create or update the database schema, and say which it was.

use crate::app::{self, AppError};
use crate::config::Config;
use crate::domain::count_of;
use crate::secret::redact_url;

/// Applies the migrations the database lacks and prints what that did.
pub async fn migrate(config: &Config) -> Result<(), AppError> {
    let store = app::connect_store(config).await?;
    let migrated = store.migrate().await;
    store.close().await;
    let migrated = migrated?;
    let url = redact_url(&config.database.url);
    let count = |n: i64| count_of(n, "migration");
    if migrated.applied == 0 {
        println!("The database schema is up to date ({url}); nothing to do.");
    } else if migrated.earlier == 0 {
        println!(
            "Created the database schema in {url} ({} applied).",
            count(migrated.applied)
        );
    } else {
        println!(
            "Updated the database schema in {url} ({} applied).",
            count(migrated.applied)
        );
    }
    Ok(())
}
