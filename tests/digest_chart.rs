//! The digest's chart for teams of 3, 30 and 100: decoded and checked as a picture (sizes as
//! Discord shows it, bars inside the plot, the "and N others" line), and the 30-member chart
//! in `docs/` is the one the bot draws.

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::report::{ChartOptions, DigestChart, render_chart};
use openrouter_team_bot::reset::LimitReset;
use openrouter_team_bot::team::digest::{
    Digest, DigestPlan, DigestSettings, OpenRouterFigures, SpikeRule,
};
use support::chart::the_chart_is_readable;
use support::usage::SyntheticTeam;

/// The 30-member chart the README shows.
const DOCS_CHART: &str = "docs/digest-30-members.png";

/// Monday 7 December 2026, 09:00 in Berlin: the digest of 30 Nov to 6 Dec is due.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap()
}

fn settings() -> DigestSettings {
    DigestSettings {
        timezone: "Europe/Berlin".parse::<Tz>().expect("a time zone"),
        idle_key_days: 30,
        spikes: SpikeRule {
            factor_percent: 300,
            min: Usd::from_dollars(5),
        },
    }
}

/// A team of `members` with two unowned keys and three weeks of spend, syncs every six hours:
/// the second member's key has a limit it passed, and the third member has left.
fn digest_of(members: usize) -> Digest {
    let start = now() - Duration::days(21);
    let mut team = SyntheticTeam::generate(7, members, 2, start, now());
    let key = team
        .keys
        .iter_mut()
        .find(|k| k.owner == Some(1))
        .expect("the second member's key");
    (key.limit, key.reset) = (Some(Usd::from_dollars(5)), LimitReset::Monthly);
    let syncs: Vec<DateTime<Utc>> = (0..)
        .map(|i| start + Duration::hours(6 * i))
        .take_while(|t| *t <= now())
        .collect();
    let week = Digest::last_full_week(now(), settings().timezone);
    let data = team.digest_data(DigestPlan::new(week, now(), 30), &syncs, now());
    let mut digest = Digest::build(&data, &settings(), &OpenRouterFigures::default());
    if let Some(line) = digest.members.get_mut(2) {
        line.departed = true;
    }
    digest
}

fn chart_of(digest: &Digest) -> DigestChart {
    render_chart(digest, ChartOptions::default()).expect("the chart draws")
}

#[test]
fn three_members_each_get_a_bar_and_no_others_line() {
    let digest = digest_of(3);
    let chart = chart_of(&digest);
    the_chart_is_readable(&chart, &digest, ChartOptions::default().top);
    let drawing = &chart.drawing;
    // Three members and the unowned keys.
    assert_eq!(drawing.rows.len(), 4);
    assert_eq!(drawing.others, None);
    let departed = drawing
        .rows
        .iter()
        .find(|r| r.departed)
        .expect("the member who left");
    assert_eq!(departed.label, digest.members[2].name.to_string());
    assert!(
        drawing.rows.iter().any(|r| r.at_limit),
        "the member over their limit"
    );
    // Short enough to show whole beside the digest's text.
    assert!(drawing.height < drawing.width, "{}", drawing.height);
}

#[test]
fn thirty_members_show_the_top_spenders_and_the_rest_in_one_line() {
    let digest = digest_of(30);
    let chart = chart_of(&digest);
    the_chart_is_readable(&chart, &digest, ChartOptions::default().top);
    let others = chart.drawing.others.as_ref().expect("an others line");
    assert_eq!(chart.drawing.rows.len(), 15);
    // Thirty members and the unowned keys, all spending.
    assert_eq!(others.count, 31 - 15);
    assert!(
        others.text.starts_with("and 16 others: $"),
        "{}",
        others.text
    );
}

#[test]
fn a_hundred_members_stay_as_readable_as_thirty() {
    let digest = digest_of(100);
    let chart = chart_of(&digest);
    the_chart_is_readable(&chart, &digest, ChartOptions::default().top);
    let thirty = chart_of(&digest_of(30));
    // The same size of picture and of text, whatever the size of the team.
    assert_eq!(
        (chart.drawing.width, chart.drawing.height),
        (thirty.drawing.width, thirty.drawing.height)
    );
    assert_eq!(chart.drawing.label_em, thirty.drawing.label_em);
    assert_eq!(
        chart.drawing.others.as_ref().map(|o| o.count),
        Some(101 - 15)
    );
    let again = chart_of(&digest);
    assert!(
        again.png == chart.png,
        "the same digest draws the same bytes"
    );
}

/// `docs/` shows what the bot draws: after a change to the chart, write the picture again with
/// `UPDATE_DOCS=1 cargo test --test digest_chart`.
#[test]
fn the_chart_in_the_docs_is_the_one_the_bot_draws() {
    let chart = chart_of(&digest_of(30));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOCS_CHART);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &chart.png).expect("docs/ is writable");
    }
    let in_docs = std::fs::read(&path).expect("the chart is in docs/");
    assert!(
        in_docs == chart.png,
        "{DOCS_CHART} is not what the bot draws now: write it again with UPDATE_DOCS=1 cargo test --test digest_chart"
    );
}
