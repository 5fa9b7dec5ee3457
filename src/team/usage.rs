//! Reading usage from OpenRouter into the database: one listing of every key, one transaction.

use chrono::{DateTime, Utc};

use crate::openrouter::{ApiError, KeyListing, ManagementApi, list_all_keys};
use crate::store::{Store, StoreError, SyncSummary};

/// Why a sync failed. Nothing was written when it did.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("listing keys at OpenRouter failed: {0}")]
    OpenRouter(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Lists every key and stores a snapshot of each.
pub async fn sync_usage(
    api: &dyn ManagementApi,
    store: &Store,
    listing: &KeyListing,
    now: DateTime<Utc>,
) -> Result<SyncSummary, SyncError> {
    // As many keys as the last sync stored, most likely: no page past the end is asked for.
    let listing = KeyListing {
        expected_keys: store.live_key_count().await?,
        ..listing.clone()
    };
    let keys = list_all_keys(api, &listing).await?;
    let summary = store.record_sync(&keys, now).await?;
    tracing::info!(
        keys = summary.keys,
        vanished = summary.vanished,
        "usage synced"
    );
    Ok(summary)
}

impl super::Team {
    /// Lists every key of the team's account and stores a snapshot of each, as of now.
    pub async fn sync_usage(&self, listing: &KeyListing) -> Result<SyncSummary, SyncError> {
        sync_usage(self.api.as_ref(), &self.store, listing, self.now()).await
    }
}
