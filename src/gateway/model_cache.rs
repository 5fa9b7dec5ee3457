//! OpenRouter's model list, kept for the prices a hold needs: read at start, refreshed every few
//! minutes, and read again early when a request names a model the list does not have (not more
//! often than every half minute, so a mistyped model cannot make the gateway hammer OpenRouter).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::models::ModelList;
use super::upstream::Upstream;

/// How old the list may grow before it is read again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(300);
/// The least time between two reads of the list.
const MIN_REFRESH_GAP: Duration = Duration::from_secs(30);

/// The latest model list and when it was read.
pub struct ModelCache {
    upstream: Upstream,
    list: RwLock<Option<Arc<ModelList>>>,
    read_at: std::sync::Mutex<Option<Instant>>,
    reading: tokio::sync::Mutex<()>,
}

impl ModelCache {
    pub fn new(upstream: Upstream) -> ModelCache {
        ModelCache {
            upstream,
            list: RwLock::new(None),
            read_at: std::sync::Mutex::new(None),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    /// The list as last read, if it ever was.
    pub fn current(&self) -> Option<Arc<ModelList>> {
        self.list.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the list again unless it was read within `fresh_for`; keeps the old list when
    /// OpenRouter fails. Returns the list now held.
    pub async fn refresh(&self, fresh_for: Duration) -> Option<Arc<ModelList>> {
        let _one_reader = self.reading.lock().await;
        let recent = self
            .read_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < fresh_for.max(MIN_REFRESH_GAP));
        if recent {
            return self.current();
        }
        *self.read_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        match self.upstream.models().await {
            Ok(body) => match ModelList::parse(&body) {
                Ok(list) => {
                    tracing::debug!(models = list.len(), "model list read");
                    let list = Arc::new(list);
                    *self.list.write().unwrap_or_else(|e| e.into_inner()) = Some(list.clone());
                    return Some(list);
                }
                Err(e) => tracing::warn!(error = %e, "OpenRouter's model list could not be read"),
            },
            Err(e) => tracing::warn!(error = %e, "OpenRouter's model list could not be fetched"),
        }
        self.current()
    }

    /// The list, read now if it never was or a model is missing from it.
    pub async fn with_models(&self, models: &[&str]) -> Option<Arc<ModelList>> {
        if let Some(list) = self.current()
            && models.iter().all(|m| list.prices(m).is_some())
        {
            return Some(list);
        }
        self.refresh(MIN_REFRESH_GAP).await
    }
}
