//! Reads what a digest needs: the database's figures, and OpenRouter's optional ones.

use chrono::{DateTime, Utc};

use super::{
    Digest, DigestData, DigestPlan, DigestSettings, DigestWeek, OpenRouterFigures, fetch_activity,
};
use crate::openrouter::ManagementApi;
use crate::store::{Store, StoreError};
use crate::team::{Caller, Team, TeamError};

/// OpenRouter calls for the keys' activity a digest makes at a time.
const ACTIVITY_CONCURRENCY: usize = 4;

impl Team {
    /// The digest of `week` as things stand now, with OpenRouter's figures where it answers.
    pub async fn weekly_digest(
        &self,
        settings: &DigestSettings,
        week: DigestWeek,
    ) -> Result<Digest, TeamError> {
        let data = load_digest_data(&self.store, week, settings, self.now()).await?;
        let figures =
            fetch_openrouter_figures(self.api.as_ref(), &data, ACTIVITY_CONCURRENCY).await;
        Ok(Digest::build(&data, settings, &figures))
    }

    /// [`Team::weekly_digest`], asked for by a person (admins only).
    pub async fn weekly_digest_for(
        &self,
        admin: &Caller,
        settings: &DigestSettings,
        week: DigestWeek,
    ) -> Result<Digest, TeamError> {
        self.require_admin(admin)?;
        self.weekly_digest(settings, week).await
    }
}

/// Reads the figures for `week` as they stand at `now`.
pub async fn load_digest_data(
    store: &Store,
    week: DigestWeek,
    settings: &DigestSettings,
    now: DateTime<Utc>,
) -> Result<DigestData, StoreError> {
    let plan = DigestPlan::new(week, now, settings.idle_key_days);
    // Keys deleted before the previous week began spent nothing in either week.
    let alive_since = week.previous().start();
    let keys = store.keys_alive_since(alive_since).await?;
    let readings = store.usage_readings(&plan.instants(), alive_since).await?;
    let breaches = store
        .limit_breaches(plan.breaches_from, plan.status_at)
        .await?;
    let peaks = store.peak_limit_use(week.start(), plan.status_at).await?;
    let top_ups = store
        .approved_top_ups_between(plan.breaches_from, plan.status_at)
        .await?;
    let stops = store
        .limit_stops(plan.breaches_from, plan.status_at)
        .await?;
    let daily_spend = store.daily_spend_since(plan.daily_from).await?;
    let recorded = store
        .snapshots_taken_between(week.start(), week.end())
        .await?
        > 0;
    let members = store.members().await?;
    let pending_requests = store.pending_request_count().await?;
    Ok(DigestData {
        plan,
        now,
        members,
        keys,
        readings,
        breaches,
        peaks,
        daily_spend,
        top_ups,
        stops,
        recorded,
        pending_requests,
    })
}

/// Reads the database and builds the digest of `week` in one go.
pub async fn build_digest(
    store: &Store,
    week: DigestWeek,
    settings: &DigestSettings,
    now: DateTime<Utc>,
    openrouter: &OpenRouterFigures,
) -> Result<Digest, StoreError> {
    let data = load_digest_data(store, week, settings, now).await?;
    Ok(Digest::build(&data, settings, openrouter))
}

/// How many keys' activity a digest asks OpenRouter for: the week's biggest spenders, whose
/// top model the digest shows.
pub const ACTIVITY_KEYS: usize = 100;

/// Asks OpenRouter for the credits and for the activity of the keys that spent most in the week
/// (at most `concurrency` calls at a time). Whatever fails is left out and logged: the digest is
/// built without it.
pub async fn fetch_openrouter_figures(
    api: &dyn ManagementApi,
    data: &DigestData,
    concurrency: usize,
) -> OpenRouterFigures {
    let credits = match api.credits().await {
        Ok(credits) => Some(credits),
        Err(error) => {
            tracing::warn!(%error, "credits for the digest are unavailable");
            None
        }
    };
    let keys = data.keys_spending_most_in_week(ACTIVITY_KEYS);
    let activity = fetch_activity(api, &keys, concurrency).await;
    OpenRouterFigures { activity, credits }
}
