//! Listing every key of an account: `GET /keys` pages of 100 with no total, fetched a few
//! pages at a time until a short page shows the end.

use std::collections::HashSet;

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{ApiError, ApiKey, ManagementApi};
pub use crate::domain::KeyListing;

/// How many keys OpenRouter returns per `GET /keys` page.
pub const KEYS_PAGE_SIZE: usize = 100;

/// Every key in the listed workspaces, in OpenRouter's order, without duplicates.
///
/// The pages the expected keys fill are requested `concurrency` at a time, then the page that
/// should hold the end alone: when the team is as large as at the last sync, no page past the
/// end is asked for. When there are more keys, the rest come in batches of `concurrency`, and a
/// batch past the end costs at most `concurrency - 1` empty pages, the price of not knowing
/// the total.
pub async fn list_all_keys(
    api: &dyn ManagementApi,
    listing: &KeyListing,
) -> Result<Vec<ApiKey>, ApiError> {
    let mut found = Found::default();
    for workspace in &listing.workspaces {
        let expected = listing.expected_keys.saturating_sub(found.keys.len());
        list_workspace(api, listing, workspace.as_deref(), expected, &mut found).await?;
    }
    Ok(found.keys)
}

/// The keys listed so far.
#[derive(Default)]
struct Found {
    keys: Vec<ApiKey>,
    seen: HashSet<super::KeyHash>,
}

impl Found {
    /// Adds a page's keys; true when the page was short, so the listing has ended.
    fn add(&mut self, page: Vec<ApiKey>) -> bool {
        let short = page.len() < KEYS_PAGE_SIZE;
        for key in page {
            if self.seen.insert(key.hash.clone()) {
                self.keys.push(key);
            }
        }
        short
    }
}

async fn list_workspace(
    api: &dyn ManagementApi,
    listing: &KeyListing,
    workspace: Option<&str>,
    expected: usize,
    found: &mut Found,
) -> Result<(), ApiError> {
    let concurrency = listing.concurrency.max(1);
    let page = |number: usize| {
        api.list_keys_page(workspace, number * KEYS_PAGE_SIZE, listing.include_disabled)
    };
    // The pages the expected keys fill, several in flight at a time.
    let full_pages = expected / KEYS_PAGE_SIZE;
    let mut pages = stream::iter(0..full_pages).map(page).buffered(concurrency);
    while let Some(listed) = pages.try_next().await? {
        if found.add(listed) {
            return Ok(());
        }
    }
    drop(pages);
    let mut first = full_pages;
    if expected > 0 {
        // The page that should show the end.
        if found.add(page(full_pages).await?) {
            return Ok(());
        }
        first += 1;
    }
    // More keys than expected, or nothing known: batches until a short page.
    loop {
        let batch: Vec<Vec<ApiKey>> = stream::iter(first..first + concurrency)
            .map(page)
            .buffered(concurrency)
            .try_collect()
            .await?;
        for listed in batch {
            if found.add(listed) {
                return Ok(());
            }
        }
        first += concurrency;
    }
}
