//! The weekly digest for 1,000 members, chart included, against its budget of one second
//! (DESIGN.md, section 7): reading the figures from SQLite, building the digest, drawing the
//! chart and rendering Markdown, JSON, CSV and the Discord messages.
//!
//! `cargo bench --bench digest` prints each step's median over a few runs; it exits non-zero
//! when the total is over budget.

// The synthetic team of the tests' support code; the benchmark uses only part of it.
#[allow(dead_code)]
#[path = "../support/usage.rs"]
mod usage;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use openrouter_team_bot::discord::digest::digest_message_parts;
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::report::{
    ChartOptions, csv::render_csv, json::render_json, markdown::render_markdown, render_chart,
};
use openrouter_team_bot::store::Store;
use openrouter_team_bot::team::digest::{
    Digest, DigestSettings, OpenRouterFigures, SpikeRule, load_digest_data,
};
use usage::SyntheticTeam;

/// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MEMBERS: usize = 1_000;
const UNOWNED: usize = 20;
const RUNS: usize = 5;
const BUDGET: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(bench())
}

async fn bench() -> ExitCode {
    let timezone: Tz = "Europe/Berlin".parse().expect("a time zone");
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap();
    let start = now - chrono::Duration::days(35);
    // Syncs every six hours for five weeks: the digest reads the same few counters per key
    // however many snapshots there are (one index seek each).
    let syncs: Vec<DateTime<Utc>> = (0..)
        .map(|i| start + chrono::Duration::hours(6 * i))
        .take_while(|t| *t <= now)
        .collect();
    let team = SyntheticTeam::generate(1, MEMBERS, UNOWNED, start, now);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url, 4).await.expect("SQLite opens");
    store.migrate().await.expect("SQLite migrates");
    let seeding = Instant::now();
    team.store(&store, &syncs)
        .await
        .expect("the team is stored");
    let snapshots = store.snapshot_count().await.unwrap_or(0);
    println!(
        "seeded {MEMBERS} members, {} keys, {snapshots} snapshots in {:.1?} (not timed below)",
        team.keys.len(),
        seeding.elapsed()
    );

    let settings = DigestSettings {
        timezone,
        idle_key_days: 30,
        spikes: SpikeRule {
            factor_percent: 300,
            min: Usd::from_dollars(5),
        },
    };
    let week = Digest::last_full_week(now, timezone);
    let mut steps: Vec<(&str, Vec<Duration>)> = [
        "read from SQLite",
        "build",
        "chart",
        "Markdown, JSON, CSV",
        "Discord messages",
    ]
    .into_iter()
    .map(|name| (name, Vec::new()))
    .collect();
    let mut totals = Vec::new();
    let mut messages = 0;
    for _ in 0..RUNS {
        let run = Instant::now();
        let mut lap = Instant::now();
        let mut time = |step: usize, steps: &mut Vec<(&str, Vec<Duration>)>| {
            steps[step].1.push(lap.elapsed());
            lap = Instant::now();
        };
        let data = load_digest_data(&store, week, &settings, now)
            .await
            .expect("the figures load");
        time(0, &mut steps);
        let digest = Digest::build(&data, &settings, &OpenRouterFigures::default());
        time(1, &mut steps);
        let chart = render_chart(&digest, ChartOptions::default()).expect("the chart draws");
        time(2, &mut steps);
        let printed = render_markdown(&digest).len()
            + render_json(&digest).to_string().len()
            + render_csv(&digest).len();
        time(3, &mut steps);
        messages = digest_message_parts(&digest, Some(&chart)).len();
        time(4, &mut steps);
        totals.push(run.elapsed());
        assert!(printed > 0 && digest.members.len() == MEMBERS);
    }
    store.close().await;

    for (name, times) in &mut steps {
        println!("{name:>20}: {:>8.1?}", median(times));
    }
    let total = median(&mut totals);
    println!(
        "{:>20}: {total:>8.1?} (median of {RUNS}; {messages} Discord messages; budget {BUDGET:?})",
        "digest total"
    );
    if total <= BUDGET {
        println!("within budget");
        ExitCode::SUCCESS
    } else {
        println!("OVER BUDGET");
        ExitCode::FAILURE
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}
