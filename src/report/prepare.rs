//! A week's digest ready to post: marked late when it is, and drawn as a chart.

use chrono::{DateTime, Utc};

use super::chart::{ChartOptions, DigestChart, render_chart};
use crate::team::digest::Digest;

/// Marks `digest` late when `late_since` is given, and draws its chart (a digest without a
/// chart is still posted, and the failure logged). A week without recorded usage has no chart.
pub fn prepare_digest(
    digest: Digest,
    late_since: Option<DateTime<Utc>>,
) -> (Digest, Option<DigestChart>) {
    let digest = match late_since {
        Some(due_at) => digest.posted_late(due_at),
        None => digest,
    };
    if digest.nothing_recorded().is_some() {
        return (digest, None);
    }
    let chart = match render_chart(&digest, ChartOptions::default()) {
        Ok(chart) => Some(chart),
        Err(error) => {
            tracing::error!(%error, "the digest chart could not be drawn; posting without it");
            None
        }
    };
    (digest, chart)
}
