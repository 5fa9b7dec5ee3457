//! `report`: the weekly digest from the database alone (no Discord, no OpenRouter), as Markdown
//! or JSON, with the chart written to a PNG file on request.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::app::{self, AppError};
use crate::config::Config;
use crate::report::{
    ChartOptions, csv::render_csv, json::render_json, markdown::render_markdown, render_chart,
};
use crate::team::digest::{Digest, DigestWeek, OpenRouterFigures, build_digest};

/// `report`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// `last` (the last full week in reports.timezone) or an ISO week such as 2026-W47.
    #[arg(long, default_value = "last")]
    pub week: String,
    /// markdown, json, or csv (the table the digest attaches).
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// Also write the chart to this PNG file.
    #[arg(long, value_name = "FILE.png")]
    pub chart: Option<PathBuf>,
}

/// How `report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
    Csv,
}

/// Prints the digest of the chosen week, as stored at the last sync.
pub async fn print_report(config: &Config, args: &ReportArgs) -> Result<(), AppError> {
    let settings = app::digest_settings(config);
    let now = Utc::now();
    let week = choose_week(&args.week, now, settings.timezone)?;
    let store = app::open_recorded_store(config).await?;
    let digest = build_digest(&store, week, &settings, now, &OpenRouterFigures::default()).await;
    store.close().await;
    let digest = digest?;
    if let Some(line) = digest.nothing_recorded() {
        return Err(AppError::Failed(line));
    }
    if let Some(path) = &args.chart {
        let chart = render_chart(&digest, ChartOptions::default())
            .map_err(|e| AppError::Failed(e.to_string()))?;
        std::fs::write(path, &chart.png).map_err(|e| {
            AppError::Failed(format!("cannot write the chart to {}: {e}", path.display()))
        })?;
    }
    match args.format {
        ReportFormat::Markdown => print!("{}", render_markdown(&digest)),
        ReportFormat::Json => {
            let json = serde_json::to_string_pretty(&render_json(&digest))
                .map_err(|e| AppError::Failed(format!("cannot write the report as JSON: {e}")))?;
            println!("{json}");
        }
        ReportFormat::Csv => print!("{}", render_csv(&digest)),
    }
    Ok(())
}

/// `last` or an ISO week.
fn choose_week(text: &str, now: DateTime<Utc>, timezone: Tz) -> Result<DigestWeek, AppError> {
    if text.trim().eq_ignore_ascii_case("last") {
        return Ok(Digest::last_full_week(now, timezone));
    }
    DigestWeek::parse_iso(text, timezone).map_err(|e| AppError::Failed(format!("--week: {e}")))
}
