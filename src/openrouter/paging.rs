//! Listing every key of an account: `GET /keys` pages of 100 with no total, fetched a few
//! pages at a time until a short page shows the end.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{ApiError, ApiKey, ManagementApi};
pub use crate::domain::KeyListing;

/// How many keys OpenRouter returns per `GET /keys` page.
pub const KEYS_PAGE_SIZE: usize = 100;

/// Every key in the listed workspaces, in OpenRouter's order, without duplicates.
///
/// Pages are requested in batches of `concurrency`; a batch past the end costs at most
/// `concurrency - 1` empty pages, which is the price of not knowing the total.
pub async fn list_all_keys(
    api: &dyn ManagementApi,
    listing: &KeyListing,
) -> Result<Vec<ApiKey>, ApiError> {
    let concurrency = listing.concurrency.max(1);
    let mut keys: Vec<ApiKey> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for workspace in &listing.workspaces {
        let workspace = workspace.as_deref();
        let mut first_page = 0usize;
        loop {
            let pages: Vec<Vec<ApiKey>> = stream::iter(first_page..first_page + concurrency)
                .map(|page| {
                    api.list_keys_page(workspace, page * KEYS_PAGE_SIZE, listing.include_disabled)
                })
                .buffered(concurrency)
                .try_collect()
                .await?;
            let mut reached_end = false;
            for page in pages {
                let short = page.len() < KEYS_PAGE_SIZE;
                for key in page {
                    if seen.insert(key.hash.clone()) {
                        keys.push(key);
                    }
                }
                if short {
                    reached_end = true;
                    break;
                }
            }
            if reached_end {
                break;
            }
            first_page += concurrency;
        }
    }
    Ok(keys)
}
