//! A week's digest ready to post: built from the database and OpenRouter's optional figures,
//! with its chart.

use chrono::{DateTime, Utc};

use super::chart::{ChartOptions, DigestChart, render_chart};
use crate::team::Team;
use crate::team::digest::{
    Digest, DigestSettings, DigestWeek, fetch_openrouter_figures, load_digest_data,
};

/// Builds the digest of `week` as things stand now, marked late when `late_since` is given, and
/// draws its chart (a digest without a chart is still posted, and the failure logged).
pub async fn prepare_digest(
    team: &Team,
    settings: &DigestSettings,
    week: DigestWeek,
    late_since: Option<DateTime<Utc>>,
) -> Result<(Digest, Option<DigestChart>), crate::store::StoreError> {
    let data = load_digest_data(&team.store, week, settings, team.now()).await?;
    let figures = fetch_openrouter_figures(team.api.as_ref(), &data, 4).await;
    let mut digest = Digest::build(&data, settings, &figures);
    if let Some(due_at) = late_since {
        digest = digest.posted_late(due_at);
    }
    let chart = match render_chart(&digest, ChartOptions::default()) {
        Ok(chart) => Some(chart),
        Err(error) => {
            tracing::error!(%error, "the digest chart could not be drawn; posting without it");
            None
        }
    };
    Ok((digest, chart))
}
