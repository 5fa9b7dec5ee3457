//! The weekly digest from stored snapshots: a team of 300 with twelve weeks of syncs, on each
//! database. Every figure is checked against the spend the test generated, worked out here from
//! the spend events themselves; the Discord messages go through the fake Discord, and the chart
//! is decoded.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use fakes::discord::{FakeDiscord, FakeGuild, Message};
use openrouter_team_bot::discord::digest::{CHART_FILE, csv_file_name, digest_messages};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{ActivityRow, Credits};
use openrouter_team_bot::report::csv::{UNOWNED_ROW, render_csv};
use openrouter_team_bot::report::markdown::render_markdown;
use openrouter_team_bot::report::{ChartOptions, DigestChart, render_chart};
use openrouter_team_bot::reset::LimitReset;
use openrouter_team_bot::store::Store;
use openrouter_team_bot::team::digest::{
    ACTIVITY_KEYS, Digest, DigestData, DigestPlan, DigestSettings, DigestWeek, MemberLine,
    ModelActivity, OpenRouterFigures, Spender, SpikeRule, fetch_openrouter_figures,
    load_digest_data,
};
use openrouter_team_bot::team::{DiscordId, MemberName, NewKeyRequest, RequestKind, TopUpStatus};
use serenity::all::{ChannelId, HttpBuilder};
use support::chart::the_chart_is_readable;
use support::usage::{SyntheticTeam, UsageKey};

const MEMBERS: usize = 300;
const UNOWNED: usize = 4;
const GUILD: u64 = 1_000;
const BOT: u64 = 2_000;
const REPORTS: u64 = 3_000;
const TOKEN: &str = "fake-bot-token";

/// Keys created inside the digest's week.
const CREATED_THIS_WEEK: [usize; 2] = [10, 11];
/// A key created inside the previous week.
const CREATED_LAST_WEEK: usize = 12;
/// A member whose key is deleted mid-week and replaced by a new one.
const ROTATED: usize = 20;
/// Members whose keys stopped spending in October.
const IDLE: [usize; 5] = [30, 31, 32, 33, 34];
/// Members whose keys have limits far below their spend.
const OVER_LIMIT: [usize; 5] = [40, 41, 42, 43, 44];
/// Members with one very expensive day in the week.
const SPIKING: [usize; 2] = [50, 51];
/// Members whose keys expire in 3, 10 and 20 days.
const EXPIRING: [(usize, i64); 3] = [(60, 3), (61, 10), (62, 20)];
/// A member who left but spent this week, and one who left and spent nothing in either week.
const DEPARTED_SPENDING: usize = 70;
const DEPARTED_IDLE: usize = 71;

fn berlin() -> Tz {
    "Europe/Berlin".parse().expect("a time zone")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Monday 7 December 2026, 09:00 in Berlin: the digest of 30 Nov to 6 Dec is due.
fn now() -> DateTime<Utc> {
    utc(2026, 12, 7, 8, 0)
}

fn settings() -> DigestSettings {
    DigestSettings {
        timezone: berlin(),
        idle_key_days: 30,
        spikes: SpikeRule {
            factor_percent: 300,
            min: Usd::from_dollars(5),
        },
    }
}

/// Syncs at 05:00, 11:00, 17:00 and 23:00 UTC, from twelve weeks before the digest's week to
/// `now`. 23:00 UTC is midnight in Berlin in winter, so every day of the two weeks compared
/// starts at a sync.
fn sync_times() -> Vec<DateTime<Utc>> {
    let first = utc(2026, 9, 6, 5, 0);
    (0..)
        .map(|i| first + Duration::hours(6 * i))
        .take_while(|t| *t <= now())
        .collect()
}

/// The team: 300 members with one key each, four unowned keys, and the special cases above.
fn team() -> SyntheticTeam {
    let start = utc(2026, 9, 6, 0, 0);
    let mut team = SyntheticTeam::generate(42, MEMBERS, UNOWNED, start, now());
    let key_of = |team: &SyntheticTeam, member: usize| -> usize {
        team.keys
            .iter()
            .position(|k| k.owner == Some(member))
            .expect("every member has a key")
    };
    for (member, created) in CREATED_THIS_WEEK
        .iter()
        .map(|m| (*m, utc(2026, 12, 2, 10, 0)))
        .chain([(CREATED_LAST_WEEK, utc(2026, 11, 25, 9, 30))])
    {
        let key = key_of(&team, member);
        let key = &mut team.keys[key];
        key.created_at = created;
        key.retain_spends(|(t, _)| *t >= created);
    }

    let old = key_of(&team, ROTATED);
    // Deleted between two syncs: what it spent after the 11:00 sync is never seen.
    team.keys[old].delete_at(utc(2026, 12, 3, 12, 30));
    let mut new = UsageKey::new(
        format!("{:064x}", 0xdead_beefu64),
        "team:rotated:r9001",
        utc(2026, 12, 3, 13, 0),
    );
    new.owner = Some(ROTATED);
    let mut at = utc(2026, 12, 3, 14, 0);
    while at < now() {
        new.spend(at, Usd::from_micros(2_345_678));
        at += Duration::hours(7);
    }
    team.keys.push(new);

    for member in IDLE.iter().chain([&DEPARTED_IDLE]) {
        let key = key_of(&team, *member);
        team.keys[key].retain_spends(|(t, _)| *t < utc(2026, 10, 20, 0, 0));
    }
    for member in OVER_LIMIT {
        let key = key_of(&team, member);
        (team.keys[key].limit, team.keys[key].reset) =
            (Some(Usd::from_dollars(1)), LimitReset::Weekly);
    }
    for (member, day, dollars) in [
        (SPIKING[0], utc(2026, 12, 2, 12, 0), 250),
        (SPIKING[1], utc(2026, 11, 30, 10, 0), 300),
    ] {
        let key = key_of(&team, member);
        team.keys[key].spend(day, Usd::from_dollars(dollars));
    }
    let unowned = team
        .keys
        .iter()
        .position(|k| k.owner.is_none())
        .expect("unowned keys");
    team.keys[unowned].spend(utc(2026, 12, 4, 15, 0), Usd::from_dollars(400));
    for (member, days) in EXPIRING {
        let key = key_of(&team, member);
        team.keys[key].expires_at = Some(now() + Duration::days(days));
    }
    team
}

/// The team in the database, two members departed, two requests pending.
async fn seed(store: &Store, team: &SyntheticTeam) -> Vec<i64> {
    let ids = team
        .store(store, &sync_times())
        .await
        .expect("the team is stored");
    for member in [DEPARTED_SPENDING, DEPARTED_IDLE] {
        assert!(
            store
                .mark_departed(ids[member], utc(2026, 12, 5, 12, 0))
                .await
                .unwrap()
        );
    }
    for (user, name) in [(901, "newcomer"), (902, "another")] {
        let request = NewKeyRequest {
            requester: DiscordId(user),
            member_id: None,
            member_name: name.into(),
            tier: "basic".into(),
            kind: RequestKind::New,
            reason: "experiments".into(),
            replaces_key_hash: None,
            expires_at: now() + Duration::days(7),
        };
        store.create_request(&request, now()).await.unwrap();
    }
    ids
}

/// What the test expects, worked out from the spend events.
struct Expected<'a> {
    team: &'a SyntheticTeam,
    week: DigestWeek,
}

impl Expected<'_> {
    /// The key's spend in `[from, to)` as the snapshots can see it: a deleted key's spend after
    /// its last sync never reached the database.
    fn spent(&self, key: &UsageKey, from: DateTime<Utc>, to: DateTime<Utc>) -> Usd {
        let seen_until = match key.deleted_at {
            Some(_) => sync_times()
                .into_iter()
                .rev()
                .find(|t| key.exists_at(*t))
                .unwrap_or(from),
            None => to,
        };
        key.spent_between(from, to.min(seen_until))
    }

    fn week_spend(&self, key: &UsageKey, week: DigestWeek) -> Usd {
        self.spent(key, week.start(), week.end())
    }

    fn member_of(&self, key: &UsageKey) -> Option<String> {
        key.owner.map(|m| self.team.members[m].to_string())
    }

    /// (this week, last week) per member name, and for the unowned keys together.
    fn by_member(&self) -> (BTreeMap<String, (Usd, Usd)>, (Usd, Usd)) {
        let mut members = BTreeMap::new();
        let mut unowned = (Usd::ZERO, Usd::ZERO);
        for key in &self.team.keys {
            let spend = (
                self.week_spend(key, self.week),
                self.week_spend(key, self.week.previous()),
            );
            let sum = match self.member_of(key) {
                Some(name) => members.entry(name).or_insert((Usd::ZERO, Usd::ZERO)),
                None => &mut unowned,
            };
            *sum = (sum.0 + spend.0, sum.1 + spend.1);
        }
        (members, unowned)
    }

    fn idle_keys(&self) -> BTreeSet<String> {
        let end = self.week.end();
        let from = end - Duration::days(30);
        self.team
            .keys
            .iter()
            .filter(|k| k.created_at <= from && k.deleted_at.is_none())
            .filter(|k| k.spent_between(from, end) == Usd::ZERO)
            .map(|k| k.name.clone())
            .collect()
    }

    /// Keys that some sync up to the week's end saw at or over their limit, in a budget window
    /// that overlaps the week.
    fn at_limit(&self) -> BTreeSet<String> {
        let (start, end) = (self.week.start(), self.week.end());
        self.team
            .keys
            .iter()
            .filter(|k| {
                sync_times()
                    .into_iter()
                    .filter(|t| *t <= end && k.exists_at(*t))
                    .filter(|t| k.reset.window_at(*t).end.is_none_or(|e| e > start))
                    .any(|t| {
                        let api = k.api_key_at(t);
                        api.limit
                            .is_some_and(|limit| api.usage.in_window(k.reset) >= limit)
                    })
            })
            .map(|k| k.name.clone())
            .collect()
    }

    /// (who, UTC day, spent) for every day with the dates of the week that is over $5 and over
    /// 3x the average of the seven days before, counting only days from the spender's first key
    /// on (so a first day is never a spike); a day's spend is the highest daily counter a sync
    /// saw that UTC day.
    fn spikes(&self) -> BTreeSet<(String, String, Usd)> {
        let day_of = |t: DateTime<Utc>| t.timestamp().div_euclid(86_400);
        let mut spenders: HashMap<String, (i64, HashMap<i64, Usd>)> = HashMap::new();
        for key in &self.team.keys {
            let who = self
                .member_of(key)
                .unwrap_or_else(|| format!("unowned key {}", key.name));
            let (first, days) = spenders.entry(who).or_insert((i64::MAX, HashMap::new()));
            *first = (*first).min(day_of(key.created_at));
            let mut counters: HashMap<i64, Usd> = HashMap::new();
            for t in sync_times().into_iter().filter(|t| key.exists_at(*t)) {
                let day = counters.entry(day_of(t)).or_default();
                *day = (*day).max(key.usage_at(t).daily);
            }
            for (day, spent) in counters {
                let sum = days.entry(day).or_default();
                *sum = *sum + spent;
            }
        }
        let monday = day_of(self.week.monday().and_hms_opt(0, 0, 0).unwrap().and_utc());
        let mut spikes = BTreeSet::new();
        for (who, (first, days)) in spenders {
            let on = |d: i64| days.get(&d).copied().unwrap_or(Usd::ZERO);
            for day in monday..monday + 7 {
                let from = (day - 7).max(first);
                if from >= day {
                    continue;
                }
                let history: i64 = (from..day).map(|d| on(d).micros()).sum();
                let spent = on(day);
                if spent > Usd::from_dollars(5) && spent.micros() * (day - from) > 3 * history {
                    let date = self.week.monday() + Duration::days(day - monday);
                    spikes.insert((who.clone(), date.to_string(), spent));
                }
            }
        }
        spikes
    }
}

on_each_database!(
    a_digest_of_300_members_over_twelve_weeks_matches_the_generated_spend,
    |db| async move {
        let team = team();
        seed(&db.store, &team).await;
        let week = Digest::last_full_week(now(), berlin());
        assert_eq!(week.iso_name(), "2026-W49");
        let expected = Expected { team: &team, week };
        let data = load_digest_data(&db.store, week, &settings(), now())
            .await
            .expect("the digest's figures load");
        let digest = Digest::build(&data, &settings(), &OpenRouterFigures::default());

        totals_and_member_lines_match(&digest, &expected);
        shown_figures_add_up(&render_markdown(&digest));
        changes_compare_with_the_previous_week(&digest);
        idle_and_over_limit_keys_are_listed(&digest, &expected);
        spikes_are_found(&digest, &expected);
        reminders_are_listed(&digest, &team);
        openrouter_figures_add_models_and_runway(&data, &team);
        activity_is_asked_for_the_biggest_spenders_only(&data).await;

        let chart = render_chart(&digest, ChartOptions::default()).expect("the chart draws");
        the_chart_shows_what_it_says(&chart, &digest);
        the_discord_messages_are_accepted_and_name_every_member_once(&digest, &chart).await;
    }
);

/// A big team's digest asks OpenRouter for the account's activity and for that of the week's
/// biggest spenders' keys, a bounded number of calls, not one per key that spent.
async fn activity_is_asked_for_the_biggest_spenders_only(data: &DigestData) {
    use fakes::openrouter::Endpoint;
    let spending: Vec<(Usd, String)> = data
        .keys
        .iter()
        .map(|key| {
            let spent = data
                .readings
                .spent(key, DigestPlan::day(0), DigestPlan::day(7));
            (spent, key.hash.clone())
        })
        .filter(|(spent, _)| *spent > Usd::ZERO)
        .collect();
    assert!(
        spending.len() > ACTIVITY_KEYS,
        "more keys spent than are asked about"
    );
    let h = support::openrouter::Harness::start().await;
    fetch_openrouter_figures(&h.api, data, 8).await;
    let asked: Vec<Option<String>> = h
        .fake
        .requests_to(Endpoint::Activity)
        .iter()
        .map(|r| r.query_param("api_key_hash"))
        .collect();
    assert_eq!(asked.len(), 1 + ACTIVITY_KEYS);
    assert_eq!(asked.iter().filter(|hash| hash.is_none()).count(), 1);
    let smallest_asked = spending
        .iter()
        .filter(|(_, hash)| asked.contains(&Some(hash.clone())))
        .map(|(spent, _)| *spent)
        .min()
        .unwrap();
    for (spent, hash) in &spending {
        if !asked.contains(&Some(hash.clone())) {
            assert!(
                *spent <= smallest_asked,
                "{hash} spent more than a key asked about"
            );
        }
    }
}

fn totals_and_member_lines_match(digest: &Digest, expected: &Expected<'_>) {
    let (members, unowned) = expected.by_member();
    let total_this: Usd = members.values().map(|s| s.0).sum::<Usd>() + unowned.0;
    let total_last: Usd = members.values().map(|s| s.1).sum::<Usd>() + unowned.1;
    assert_eq!(digest.total.this_week, total_this);
    assert_eq!(digest.total.last_week, total_last);
    assert_eq!(
        (
            digest.unowned.spend.this_week,
            digest.unowned.spend.last_week
        ),
        unowned
    );
    assert_eq!(digest.unowned.keys, UNOWNED);

    // Everyone but the member who left without spending, once, biggest spender first.
    let listed: Vec<String> = digest.members.iter().map(|m| m.name.to_string()).collect();
    let mut wanted: Vec<String> = members.keys().cloned().collect();
    wanted.retain(|name| *name != expected.team.members[DEPARTED_IDLE].to_string());
    assert_eq!(
        listed.iter().cloned().collect::<BTreeSet<_>>(),
        wanted.iter().cloned().collect()
    );
    assert_eq!(listed.len(), MEMBERS - 1);
    for line in &digest.members {
        let (this, last) = members[line.name.as_str()];
        assert_eq!(
            (line.spend.this_week, line.spend.last_week),
            (this, last),
            "{}",
            line.name
        );
    }
    assert!(
        digest
            .members
            .windows(2)
            .all(|w| w[0].spend.this_week >= w[1].spend.this_week)
    );
    let departed = &expected.team.members[DEPARTED_SPENDING];
    assert!(
        digest
            .members
            .iter()
            .any(|m| &m.name == departed && m.departed)
    );

    // Keys created inside either week count from zero; the rotated member's old key counts
    // until its last sync and the new one from its first.
    for member in CREATED_THIS_WEEK {
        let line = line_of(digest, expected.team, member);
        assert!(line.spend.this_week > Usd::ZERO);
        assert_eq!(line.spend.last_week, Usd::ZERO);
        assert_eq!(line.spend.change_percent(), None);
    }
    let rotated = line_of(digest, expected.team, ROTATED);
    assert_eq!(rotated.keys, 1);
    assert!(rotated.spend.this_week > Usd::from_micros(2_345_678 * 10));
}

/// Cents of a shown amount such as `$12.35`, `-$1.50` or `+$2.00`.
fn cents(shown: &str) -> i64 {
    let shown = shown.trim();
    let negative = shown.starts_with('-');
    let digits: String = shown
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let (dollars, cents) = digits.split_once('.').expect("an amount with cents");
    let value = dollars.parse::<i64>().unwrap() * 100 + cents[..2].parse::<i64>().unwrap();
    if negative { -value } else { value }
}

/// What a reader checks with a pencil: each member's change is this week minus last week as
/// shown, and the team total is the sum of the shown lines and the unowned keys.
fn shown_figures_add_up(markdown: &str) {
    let (mut this_week, mut last_week) = (0, 0);
    let mut rows = 0;
    for line in markdown
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(" | $"))
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (this, last) = (cents(cells[2]), cents(cells[3]));
        let change = cells[4].split(" (").next().unwrap();
        assert_eq!(cents(change), this - last, "{line}");
        this_week += this;
        last_week += last;
        rows += 1;
    }
    assert!(rows > 100, "the member table is read");
    let unowned = markdown
        .lines()
        .find_map(|l| l.strip_prefix("- **Unowned keys:** "))
        .expect("an unowned line");
    let unowned_this = cents(unowned.split(" across").next().unwrap());
    let unowned_last = cents(
        unowned
            .split("last week ")
            .nth(1)
            .unwrap()
            .trim_end_matches(')'),
    );
    let total = markdown
        .lines()
        .find_map(|l| l.strip_prefix("- **Team total:** "))
        .expect("a total line");
    assert_eq!(
        cents(total.split(" (").next().unwrap()),
        this_week + unowned_this,
        "{total}"
    );
    let total_last = total
        .split("last week ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert_eq!(cents(total_last), last_week + unowned_last, "{total}");
}

fn changes_compare_with_the_previous_week(digest: &Digest) {
    let total = digest.total;
    assert_eq!(total.change(), total.this_week - total.last_week);
    let percent = (total.this_week.micros() - total.last_week.micros()) as f64 * 100.0
        / total.last_week.micros() as f64;
    assert_eq!(total.change_percent(), Some(percent.round() as i64));
}

fn idle_and_over_limit_keys_are_listed(digest: &Digest, expected: &Expected<'_>) {
    let idle: BTreeSet<String> = digest
        .idle_keys
        .iter()
        .map(|k| k.key_name.clone())
        .collect();
    assert_eq!(idle, expected.idle_keys());
    for member in IDLE.iter().chain([&DEPARTED_IDLE]) {
        let name = &expected.team.members[*member];
        assert!(
            digest
                .idle_keys
                .iter()
                .any(|k| k.member.as_ref() == Some(name)),
            "{name}"
        );
    }
    let at_limit: BTreeSet<String> = digest.at_limit.iter().map(|k| k.key_name.clone()).collect();
    assert_eq!(at_limit, expected.at_limit());
    for member in OVER_LIMIT {
        let name = &expected.team.members[member];
        let listed = digest
            .at_limit
            .iter()
            .find(|k| k.member.as_ref() == Some(name))
            .unwrap_or_else(|| panic!("{name} is at their limit"));
        let peak = listed.peak();
        assert!(peak.used >= peak.limit && peak.percent >= 100);
        // The member's line says the same peak, not "none" in one place and 102 % in another.
        let line = line_of(digest, expected.team, member);
        assert_eq!(
            line.limit.expect("a limit").peak_percent,
            Some(peak.percent)
        );
    }
}

fn spikes_are_found(digest: &Digest, expected: &Expected<'_>) {
    let found: BTreeSet<(String, String, Usd)> = digest
        .spikes
        .iter()
        .map(|s| (s.spender.to_string(), s.day.to_string(), s.spent))
        .collect();
    assert_eq!(found, expected.spikes());
    let named = |who: Spender, day: &str| {
        digest
            .spikes
            .iter()
            .any(|s| s.spender == who && s.day.to_string() == day)
    };
    let member = |m: usize| Spender::Member(expected.team.members[m].clone());
    assert!(named(member(SPIKING[0]), "2026-12-02"));
    assert!(named(member(SPIKING[1]), "2026-11-30"));
    assert!(named(Spender::UnownedKey("shared-1".into()), "2026-12-04"));
    // Keys created this week: their first day is not a spike, whatever they spent.
    for member in CREATED_THIS_WEEK {
        let key = expected
            .team
            .keys
            .iter()
            .find(|k| k.owner == Some(member))
            .expect("a key");
        let first = key.created_at.date_naive().to_string();
        assert!(!named(member_spender(expected, member), &first), "{first}");
    }
}

fn member_spender(expected: &Expected<'_>, member: usize) -> Spender {
    Spender::Member(expected.team.members[member].clone())
}

fn reminders_are_listed(digest: &Digest, team: &SyntheticTeam) {
    let expiring: Vec<MemberName> = digest
        .expiring
        .iter()
        .filter_map(|k| k.member.clone())
        .collect();
    assert_eq!(
        expiring,
        vec![
            team.members[EXPIRING[0].0].clone(),
            team.members[EXPIRING[1].0].clone()
        ]
    );
    assert_eq!(digest.pending_requests, 2);
    assert_eq!(digest.credits, None);
    assert_eq!(digest.top_models, None);
}

fn openrouter_figures_add_models_and_runway(data: &DigestData, team: &SyntheticTeam) {
    let first = &team.keys[0];
    let row = |date: &str, model: &str, dollars: i64| ActivityRow {
        date: date.into(),
        model: model.into(),
        usage: Usd::from_dollars(dollars),
        requests: 10,
        prompt_tokens: 1_000,
        completion_tokens: 100,
    };
    let figures = OpenRouterFigures {
        activity: ModelActivity {
            team: Some(vec![
                row("2026-12-01", "openai/gpt-4o", 900),
                row("2026-12-03", "anthropic/claude-sonnet-4", 700),
                row("2026-11-20", "meta-llama/llama-3.1-8b-instruct", 5_000),
            ]),
            by_key: HashMap::from([(
                first.hash.clone(),
                vec![
                    row("2026-12-01", "openai/gpt-4o-mini", 3),
                    row("2026-12-05", "anthropic/claude-sonnet-4", 4),
                ],
            )]),
        },
        credits: Some(Credits {
            total_credits: Usd::from_dollars(50_000),
            total_usage: Usd::from_dollars(20_000),
        }),
    };
    let digest = Digest::build(data, &settings(), &figures);
    let top = digest.top_models.expect("top models from the activity");
    assert_eq!(
        top.iter().map(|m| m.model.as_str()).collect::<Vec<_>>(),
        ["openai/gpt-4o", "anthropic/claude-sonnet-4"]
    );
    let owner = &team.members[first.owner.expect("an owned key")];
    let line = digest.members.iter().find(|m| &m.name == owner).unwrap();
    assert_eq!(line.top_model.as_deref(), Some("anthropic/claude-sonnet-4"));
    let credits = digest.credits.expect("credits");
    assert_eq!(credits.balance, Usd::from_dollars(30_000));
    // The week ended when the digest was due, so the last seven days are the week.
    assert_eq!(credits.burn_last_7_days, digest.total.this_week);
    let days = Usd::from_dollars(30_000).micros() * 7 / digest.total.this_week.micros();
    assert_eq!(credits.runway_days, Some(days));
}

fn the_chart_shows_what_it_says(chart: &DigestChart, digest: &Digest) {
    the_chart_is_readable(chart, digest, ChartOptions::default().top);
    let others = chart
        .drawing
        .others
        .as_ref()
        .expect("more spenders than bars");
    // Everyone who spent in either week, and the unowned keys as one.
    assert_eq!(
        others.count,
        MEMBERS - 1 - IDLE.len() + 1 - chart.drawing.rows.len()
    );
    let again = render_chart(digest, ChartOptions::default()).unwrap();
    assert!(
        again.png == chart.png,
        "the same digest draws the same bytes"
    );
}

async fn the_discord_messages_are_accepted_and_name_every_member_once(
    digest: &Digest,
    chart: &DigestChart,
) {
    let guild = FakeGuild::new(GUILD, "team", BOT, TOKEN).channel(REPORTS, "reports");
    let fake = FakeDiscord::start(guild).await.expect("the fake starts");
    fake.set_request_validator(support::discord::spec_validator());
    let http = HttpBuilder::new(TOKEN)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build();
    let messages = digest_messages(digest, Some(chart));
    let count = messages.len();
    for message in messages {
        ChannelId::new(REPORTS)
            .send_message(&http, message)
            .await
            .expect("Discord accepts every message of the digest");
    }
    assert_eq!(fake.violations(), vec![]);
    let posted = fake.messages_in(REPORTS);
    assert_eq!(posted.len(), count);
    assert!(count > 1, "300 members do not fit one message");

    let summary = &posted[0];
    assert_eq!(
        summary.embeds[0]["image"]["url"],
        format!("attachment://{CHART_FILE}")
    );
    let files: Vec<&str> = summary
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(files, [CHART_FILE, csv_file_name(digest).as_str()]);
    assert_eq!(summary.attachments[0].bytes, chart.png);
    assert!(summary.embed_text().contains("2026-W49"));

    let table = member_table_names(&posted);
    let names: Vec<String> = digest.members.iter().map(|m| m.name.to_string()).collect();
    assert_eq!(table.len(), names.len(), "one table line per member");
    assert_eq!(
        table.iter().collect::<BTreeSet<_>>(),
        names.iter().collect::<BTreeSet<_>>()
    );

    let csv = String::from_utf8(summary.attachments[1].bytes.clone()).expect("UTF-8 CSV");
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let csv_members: Vec<&str> = rows
        .iter()
        .map(|r| r[0])
        .filter(|n| *n != UNOWNED_ROW)
        .collect();
    assert_eq!(csv_members.len(), names.len());
    assert_eq!(
        csv_members.iter().copied().collect::<BTreeSet<_>>(),
        names.iter().map(String::as_str).collect()
    );
    let csv_total: Usd = rows
        .iter()
        .map(|r| Usd::parse(r[2]).expect("an amount"))
        .sum();
    assert_eq!(csv_total, digest.total.this_week);
}

/// The member names of the table's lines (each line starts with the name in backticks).
fn member_table_names(posted: &[Message]) -> Vec<String> {
    posted
        .iter()
        .flat_map(|m| m.embeds.iter())
        .filter(|e| {
            e["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Members"))
        })
        .flat_map(|e| {
            e["description"]
                .as_str()
                .unwrap_or("")
                .lines()
                .filter_map(|line| {
                    line.strip_prefix('`')?
                        .split('`')
                        .next()
                        .map(str::to_string)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn line_of<'a>(digest: &'a Digest, team: &SyntheticTeam, member: usize) -> &'a MemberLine {
    digest
        .members
        .iter()
        .find(|m| m.name == team.members[member])
        .unwrap_or_else(|| panic!("{} has a line", team.members[member]))
}

#[test]
fn the_plan_reads_the_two_weeks_day_by_day() {
    let week = Digest::last_full_week(now(), berlin());
    let plan = DigestPlan::new(week, now(), 30);
    let instants = plan.instants();
    assert_eq!(instants[DigestPlan::day(-7)], week.previous().start());
    assert_eq!(instants[DigestPlan::day(0)], week.start());
    assert_eq!(instants[DigestPlan::day(7)], week.end());
    assert_eq!(instants[DigestPlan::STATUS_AT], week.end());
    assert_eq!(
        instants[DigestPlan::IDLE_FROM],
        week.end() - Duration::days(30)
    );
}

/// A thousand members whose every key is over its limit and expiring: every list is too long
/// for the summary and moves to messages of its own, and still nothing breaks a limit.
#[tokio::test]
async fn a_thousand_members_with_long_lists_stay_inside_discords_limits() {
    let start = now() - Duration::days(21);
    let mut team = SyntheticTeam::generate(9, 1_000, 20, start, now());
    for key in &mut team.keys {
        (key.limit, key.reset) = (Some(Usd::from_micros(10_000)), LimitReset::Monthly);
        key.expires_at = Some(now() + Duration::days(5));
    }
    let syncs: Vec<DateTime<Utc>> = sync_times().into_iter().filter(|t| *t >= start).collect();
    let week = Digest::last_full_week(now(), berlin());
    let data = team.digest_data(DigestPlan::new(week, now(), 30), &syncs, now());
    let digest = Digest::build(&data, &settings(), &OpenRouterFigures::default())
        .posted_late(now() - Duration::hours(3));
    assert_eq!(digest.at_limit.len(), 1_020);
    assert_eq!(digest.expiring.len(), 1_020);
    let chart = render_chart(&digest, ChartOptions::default()).expect("the chart draws");

    let guild = FakeGuild::new(GUILD, "team", BOT, TOKEN).channel(REPORTS, "reports");
    let fake = FakeDiscord::start(guild).await.expect("the fake starts");
    fake.set_request_validator(support::discord::spec_validator());
    let http = HttpBuilder::new(TOKEN)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build();
    for message in digest_messages(&digest, Some(&chart)) {
        ChannelId::new(REPORTS)
            .send_message(&http, message)
            .await
            .expect("Discord accepts every message of the digest");
    }
    assert_eq!(fake.violations(), vec![]);
    let posted = fake.messages_in(REPORTS);
    assert!(
        posted[0]
            .content
            .starts_with("Posted late: this digest was due Mon 7 Dec 2026 06:00 CET"),
        "{}",
        posted[0].content
    );
    let names = member_table_names(&posted);
    assert_eq!(names.len(), 1_000);
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), 1_000);
    let text: String = posted
        .iter()
        .map(Message::embed_text)
        .collect::<Vec<_>>()
        .join("\n");
    for section in ["At or over limit (1020)", "Expiring within 14 days (1020)"] {
        assert!(text.contains(section), "{section}");
    }
    // Each over-limit key is listed once, in the messages after the summary.
    let listed = posted[1..]
        .iter()
        .flat_map(|m| m.embeds.iter())
        .filter(|e| {
            e["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("At or over limit"))
        })
        .map(|e| e["description"].as_str().unwrap_or("").lines().count())
        .sum::<usize>();
    assert_eq!(listed, 1_020);
}

/// The synthetic team itself, which the figures above are checked against.
mod synthetic_team {
    use super::*;

    #[test]
    fn member_names_are_distinct() {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let team = SyntheticTeam::generate(7, 1_000, 0, start, start);
        let names: std::collections::HashSet<&MemberName> = team.members.iter().collect();
        assert_eq!(names.len(), 1_000);
    }

    #[test]
    fn counters_follow_the_spend_events() {
        let t = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let mut key = UsageKey::new("h", "k", t(1, 0));
        key.spend(t(2, 10), Usd::from_dollars(2));
        key.spend(t(2, 5), Usd::from_dollars(1));
        key.spend(t(3, 1), Usd::from_dollars(4));
        let usage = key.usage_at(t(3, 12));
        assert_eq!(usage.total, Usd::from_dollars(7));
        assert_eq!(usage.daily, Usd::from_dollars(4));
        key.delete_at(t(3, 0));
        assert_eq!(key.usage_at(t(4, 0)).total, Usd::from_dollars(3));
        assert!(!key.exists_at(t(3, 0)));
    }
}

on_each_database!(
    a_daily_limit_reached_midweek_is_listed_with_its_day_and_top_up,
    |db| async move {
        // Wednesday 2 December: Mia's $10.00 daily limit is at 104 % by the 15:00 sync, and an
        // admin approves a $10.00 top-up; by Sunday's syncs her day is at $2.00.
        let start = utc(2026, 11, 20, 0, 0);
        let mut key = UsageKey::new("mia-hash", "team:mia:r1", start);
        key.owner = Some(0);
        key.limit = Some(Usd::from_dollars(10));
        key.reset = LimitReset::Daily;
        key.spend(utc(2026, 12, 2, 9, 0), Usd::from_micros(6_000_000));
        key.spend(utc(2026, 12, 2, 14, 0), Usd::from_micros(4_400_000));
        key.spend(utc(2026, 12, 6, 10, 0), Usd::from_dollars(2));
        let team = SyntheticTeam {
            members: vec![MemberName::parse("mia").unwrap()],
            keys: vec![key],
        };
        let syncs: Vec<DateTime<Utc>> = (0..)
            .map(|i| start + Duration::hours(3 * i))
            .take_while(|t| *t <= now())
            .collect();
        let ids = team
            .store(&db.store, &syncs)
            .await
            .expect("the team is stored");
        let top_up = db
            .store
            .create_top_up(
                "mia-hash",
                Some(ids[0]),
                DiscordId(20),
                Usd::from_dollars(10),
                "eval run",
                utc(2026, 12, 2, 15, 10),
            )
            .await
            .unwrap();
        for (from, to) in [
            (TopUpStatus::Pending, TopUpStatus::Approved),
            (TopUpStatus::Approved, TopUpStatus::Applied),
        ] {
            assert!(
                db.store
                    .move_top_up(
                        top_up.id,
                        from,
                        to,
                        Some(DiscordId(10)),
                        utc(2026, 12, 2, 15, 20)
                    )
                    .await
                    .unwrap()
            );
        }

        let week = Digest::last_full_week(now(), berlin());
        let data = load_digest_data(&db.store, week, &settings(), now())
            .await
            .expect("the digest's figures load");
        let digest = Digest::build(&data, &settings(), &OpenRouterFigures::default());
        let markdown = render_markdown(&digest);
        assert!(
            markdown.contains(
                "- mia: `team:mia:r1` 104% of $10.00 per day on Wed 2 Dec (top-up +$10.00 approved)"
            ),
            "{markdown}"
        );
        // The member's line says what each figure is, and its peak is the one listed.
        let limit = digest.members[0].limit.expect("a limit");
        assert_eq!(limit.peak_percent, Some(104));
        assert!(
            markdown
                .contains("17% of the $10.00 daily limit's weekly pace, peak 104% of it in a day"),
            "{markdown}"
        );
        let csv = render_csv(&digest);
        assert!(
            csv.contains("mia,active,12.40,0.00,12.40,,10.00,daily,17,104,"),
            "{csv}"
        );
    }
);
