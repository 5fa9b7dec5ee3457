//! `report` on the command line: the weekly digest read from an SQLite database, with no
//! Discord or OpenRouter settings, printed as Markdown and as JSON with the same figures, and its
//! chart written as a PNG.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Duration, DurationRound, Utc};
use chrono_tz::Tz;
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::report::chart::DISPLAY_WIDTH;
use openrouter_team_bot::report::text::{shown, usd};
use openrouter_team_bot::team::digest::Digest;
use serde_json::Value;
use support::db::TestDb;
use support::picture::Picture;
use support::usage::SyntheticTeam;

fn berlin() -> Tz {
    "Europe/Berlin".parse().expect("a time zone")
}

/// A database holding three weeks of syncs of 25 members and two unowned keys, up to now, and
/// a config file pointing at it (nothing else configured).
async fn seeded() -> (TestDb, PathBuf) {
    let db = support::db::sqlite().await;
    let now = Utc::now();
    let start = now.duration_trunc(Duration::hours(1)).expect("an hour") - Duration::days(22);
    let team = SyntheticTeam::generate(5, 25, 2, start, now);
    let syncs: Vec<_> = (0..)
        .map(|i| start + Duration::minutes(30) + Duration::hours(4 * i))
        .take_while(|t| *t <= now)
        .collect();
    team.store(&db.store, &syncs)
        .await
        .expect("the team is stored");
    db.store.close().await;
    let dir = Path::new(db.url.trim_start_matches("sqlite://"))
        .parent()
        .expect("the database's folder")
        .to_path_buf();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_tier = \"basic\"\n\n[database]\nurl = \"{}\"\n\n[tiers.basic]\nlimit_usd = 10.0\n\n[reports]\ntimezone = \"Europe/Berlin\"\n",
            db.url
        ),
    )
    .expect("the config is written");
    (db, config)
}

/// Runs the binary with `args` and no secrets or overrides from the environment.
fn run(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_openrouter-team-bot"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("DISCORD_TOKEN")
        .env_remove("OPENROUTER_MANAGEMENT_KEY")
        .env_remove("OPENROUTER_TEAM_BOT_CONFIG")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn amount(value: &Value) -> Usd {
    Usd::from_micros(value.as_i64().expect("an amount in micro-dollars"))
}

#[tokio::test]
async fn markdown_and_json_report_the_same_last_full_week() {
    let (_db, config) = seeded().await;
    let markdown = stdout(&run(
        &config,
        &["report", "--week", "last", "--format", "markdown"],
    ));
    let json: Value = serde_json::from_str(&stdout(&run(
        &config,
        &["report", "--week", "last", "--format", "json"],
    )))
    .expect("the JSON report parses");

    let week = Digest::last_full_week(Utc::now(), berlin());
    assert_eq!(json["week"]["iso"], week.iso_name());
    assert!(markdown.starts_with(&format!("# Weekly digest {}\n", week.iso_name())));

    let total = &json["total"];
    let this_week = amount(&total["this_week_micros"]);
    assert!(this_week > Usd::ZERO, "the seeded team spent something");

    let members = json["members"].as_array().expect("a member list");
    assert_eq!(members.len(), 25);
    assert!(markdown.contains("## Members (25)"));
    // The JSON's exact amounts add up to its total; the Markdown's total is the sum of the
    // amounts it shows, so a reader's sum agrees with the page.
    let unowned = &json["unowned"]["spend"];
    let mut sum = amount(&unowned["this_week_micros"]);
    let mut shown_this = shown(amount(&unowned["this_week_micros"]));
    let mut shown_last = shown(amount(&unowned["last_week_micros"]));
    for member in members {
        let spend = amount(&member["spend"]["this_week_micros"]);
        sum = sum + spend;
        shown_this = shown_this + shown(spend);
        shown_last = shown_last + shown(amount(&member["spend"]["last_week_micros"]));
        let row = format!("| {} | {} |", member["name"].as_str().unwrap(), usd(spend));
        assert!(markdown.contains(&row), "{row}");
    }
    assert_eq!(
        sum, this_week,
        "members and unowned keys add up to the total"
    );
    let line = format!(
        "**Team total:** {} (last week {}",
        usd(shown_this),
        usd(shown_last)
    );
    assert!(markdown.contains(&line), "{line} in\n{markdown}");
    assert_eq!(json["top_models"], Value::Null, "OpenRouter is not asked");
    assert_eq!(json["credits"], Value::Null);
}

#[tokio::test]
async fn the_chart_is_written_to_the_file_given() {
    let (db, config) = seeded().await;
    let path = Path::new(db.url.trim_start_matches("sqlite://")).with_file_name("week.png");
    stdout(&run(
        &config,
        &[
            "report",
            "--format",
            "json",
            "--chart",
            path.to_str().unwrap(),
        ],
    ));
    let picture = Picture::decode(&std::fs::read(&path).expect("the chart file exists"));
    // Drawn at twice the width Discord shows it, as the digest attaches it.
    assert_eq!(picture.width, 2 * DISPLAY_WIDTH);
    assert!(picture.height > 0 && picture.height < picture.width * 2);
}

#[tokio::test]
async fn an_iso_week_is_reported_and_a_wrong_one_is_refused() {
    let (_db, config) = seeded().await;
    let last = Digest::last_full_week(Utc::now(), berlin());
    let earlier = last.previous().iso_name();
    let markdown = stdout(&run(&config, &["report", "--week", &earlier]));
    assert!(markdown.starts_with(&format!("# Weekly digest {earlier}\n")));

    let refused = run(&config, &["report", "--week", "next tuesday"]);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(
        error.contains("--week") && error.contains("2026-W47"),
        "{error}"
    );
}

#[tokio::test]
async fn a_week_without_recorded_usage_is_one_line_and_fails() {
    let (_db, config) = seeded().await;
    // The week after this one: nothing can have been recorded yet.
    let future = Digest::last_full_week(Utc::now(), berlin())
        .next()
        .next()
        .iso_name();
    let output = run(&config, &["report", "--week", &future]);
    assert!(
        !output.status.success(),
        "a week of nothing is not a report"
    );
    assert!(output.stdout.is_empty(), "no digest of zeros is printed");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains(&format!(
            "No usage recorded for {future} yet: the bot records spend from its syncs (`run`, or `sync` once)"
        )),
        "{error}"
    );
    assert_eq!(error.trim().lines().count(), 1, "{error}");
}

#[tokio::test]
async fn a_missing_database_is_named_and_not_created() {
    let (db, config) = seeded().await;
    let file = Path::new(db.url.trim_start_matches("sqlite://")).to_path_buf();
    std::fs::remove_file(&file).expect("the database is removed");
    for args in [&["report"][..], &["keys", "list", "--stored"][..]] {
        let output = run(&config, args);
        assert!(!output.status.success(), "{args:?}");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(
            error.contains(&format!("there is no database at {}", file.display()))
                && error.contains("run `openrouter-team-bot sync` once"),
            "{args:?}: {error}"
        );
        assert!(!file.exists(), "{args:?} created an empty database");
    }
}

#[tokio::test]
async fn the_csv_is_the_one_the_digest_attaches() {
    let (db, config) = seeded().await;
    let csv = stdout(&run(&config, &["report", "--format", "csv"]));
    let store = openrouter_team_bot::store::Store::connect(&db.url, 1)
        .await
        .expect("the database opens");
    let settings = openrouter_team_bot::team::digest::DigestSettings {
        timezone: berlin(),
        idle_key_days: 30,
        spikes: openrouter_team_bot::team::digest::SpikeRule {
            factor_percent: 300,
            min: Usd::from_dollars(5),
        },
    };
    let week = Digest::last_full_week(Utc::now(), berlin());
    let digest = openrouter_team_bot::team::digest::build_digest(
        &store,
        week,
        &settings,
        Utc::now(),
        &Default::default(),
    )
    .await
    .expect("the digest builds");
    assert_eq!(csv, openrouter_team_bot::report::csv::render_csv(&digest));
    assert!(csv.starts_with("member,status,this_week_usd"));
    assert_eq!(
        csv.lines().count(),
        1 + 25 + 1,
        "a header, 25 members, the unowned keys"
    );
}
