//! Benchmarks of DESIGN.md's performance budgets, printed as figures (`cargo bench --bench budgets`),
//! on SQLite, and on PostgreSQL too when `TEST_DATABASE_URL` is set:
//!
//! - `sync`: syncs of 1,000, 10,000 and 50,000 keys against a fake OpenRouter in a process of its
//!   own (time, list calls, listing apart from storing, the bot's resident memory), each followed
//!   by the alert pass;
//! - `interactions`: DB-only interactions (`/mykey`, `/requests`, `/audit`) at 10,000 members and
//!   100,000 past requests with 200 in flight, timed by the fake Discord (on a thread of its own)
//!   from sending each interaction to its callback's arrival, with the bot's CPU time per
//!   interaction from its threads alone.
//!
//! `cargo bench --bench budgets -- sync` (or `-- interactions`) runs one part.

#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use fakes::discord::{FakeMember, SlashCommand};
use fakes::stage::Fakes;
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{KeyListing, Usage, list_all_keys};
use openrouter_team_bot::reset::LimitReset;
use openrouter_team_bot::team::usage::sync_usage;
use openrouter_team_bot::team::{DiscordId, MemberName, TeamKey};
use support::bot::{Harness, guild};
use support::db::TestDb;
use support::runtimes::{Runtimes, cpu_by_thread_name, own_runtime};

/// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MEMBERS: u64 = 10_000;
const IN_FLIGHT: usize = 200;
const ROUNDS: usize = 10;
const FIRST_USER: u64 = 5_000_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn resident_memory_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn seed_members(db: &TestDb) {
    let now = Utc::now();
    for i in 0..MEMBERS {
        let member = db
            .store
            .add_member(
                &MemberName::parse(&format!("member{i}")).expect("a valid name"),
                Some(DiscordId(FIRST_USER + i)),
                None,
                now,
            )
            .await
            .expect("a member is stored");
        db.store
            .save_key(&TeamKey {
                hash: format!("{i:064x}"),
                member_id: Some(member.id),
                request_id: None,
                name: format!("team:member{i}:r{i}"),
                label: "sk-or-v1-abc...xyz".into(),
                workspace_id: None,
                disabled: false,
                limit: Some(Usd::from_dollars(10)),
                reset: LimitReset::Daily,
                usage: Usage::default(),
                guardrail_id: None,
                created_at: now,
                expires_at: None,
                synced_at: Some(now),
                deleted_at: None,
                access: openrouter_team_bot::domain::Access::Key,
            })
            .await
            .expect("a key is stored");
    }
}

/// Past requests per member: 100,000 at 10,000 members, every one fulfilled.
const PAST_REQUESTS_PER_MEMBER: u64 = 10;

/// Fills `key_requests` and `audit_log` with a team's history in one statement each.
async fn seed_history(db: &TestDb) {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url)
        .await
        .expect("the database opens");
    let rows = MEMBERS * PAST_REQUESTS_PER_MEMBER;
    let now = Utc::now().timestamp();
    let numbers = format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) ",
        last = rows - 1
    );
    pool.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO key_requests (discord_user_id, member_name, tier, kind, reason, status, \
         created_at, updated_at, expires_at) {numbers}\
         SELECT {FIRST_USER} + i % {MEMBERS}, 'member' || (i % {MEMBERS}), 'basic', 'new', \
         'for the benchmark', 'fulfilled', {now} - {rows} + i, {now} - {rows} + i, {now} + i FROM n"
    )))
    .await
    .expect("past requests are stored");
    pool.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target, details) {numbers}\
         SELECT {now} - {rows} + i, {FIRST_USER} + i % {MEMBERS}, 'member' || (i % {MEMBERS}), \
         'request.fulfilled', 'member' || (i % {MEMBERS}), '' FROM n"
    )))
    .await
    .expect("the audit log is stored");
    pool.close().await;
}

/// The fakes' runtime: Discord's side keeps its own thread, as another process would.
fn fakes_runtime() -> &'static tokio::runtime::Handle {
    static FAKES: Runtimes = Runtimes::new();
    own_runtime(&FAKES, "fakes", 1)
}

/// The name of the bot's runtime threads, whose CPU time is the bot's (with SQLite's workers).
const BOT_THREADS: &str = "bot";

/// CPU time the bot's threads used so far: its runtime and SQLite's connection workers.
fn bot_cpu() -> Duration {
    cpu_by_thread_name()
        .into_iter()
        .filter(|(name, _)| name == BOT_THREADS || name.starts_with("sqlx-sqlite"))
        .map(|(_, used)| used)
        .sum()
}

/// One DB-only interaction to time: the command the `i`th caller runs and what its answer shows.
struct Interaction {
    name: &'static str,
    command: fn(u64) -> SlashCommand,
    shows: &'static str,
}

const INTERACTIONS: [Interaction; 3] = [
    Interaction {
        name: "/mykey",
        command: |i| SlashCommand::new(FIRST_USER + i * 7 % MEMBERS, "mykey"),
        shows: "Your OpenRouter key",
    },
    Interaction {
        name: "/requests",
        command: |_| SlashCommand::new(support::bot::DANA, "requests"),
        shows: "Pending key requests",
    },
    Interaction {
        name: "/audit",
        command: |_| SlashCommand::new(support::bot::DANA, "audit"),
        shows: "request.fulfilled",
    },
];

/// DB-only interactions at 10,000 members and 100,000 past requests, `IN_FLIGHT` at once. The
/// fake Discord runs on a thread of its own and times each answer itself: from sending the
/// interaction on the gateway to the arrival of its callback. The bot's CPU time per
/// interaction (its threads only) gives the rate two cores could serve.
async fn interactions(db: TestDb, label: &str) {
    seed_members(&db).await;
    seed_history(&db).await;
    let mut guild = guild();
    for i in 0..MEMBERS {
        guild = guild.member(FakeMember::new(FIRST_USER + i, format!("member{i}")));
    }
    let fakes = fakes_runtime()
        .spawn(Fakes::start(guild, support::bot::test_start()))
        .await
        .expect("the fakes' task")
        .expect("the fakes start");
    let h = Harness::start_against(db, fakes, "").await;
    // The OpenAPI check of every request is the tests' job; here it would be the fake's cost.
    h.discord.set_request_validator(None);
    println!(
        "{label}: idle bot with {MEMBERS} members, resident memory {} KiB (bot and both fakes in one process)",
        resident_memory_kib().unwrap_or(0)
    );
    for interaction in &INTERACTIONS {
        burst(&h, interaction, 0).await;
        let cpu_before = bot_cpu();
        let started = Instant::now();
        let mut samples = Vec::with_capacity(IN_FLIGHT * ROUNDS);
        for round in 1..=ROUNDS {
            samples.extend(burst(&h, interaction, round).await);
        }
        let wall = started.elapsed();
        let cpu = bot_cpu().saturating_sub(cpu_before);
        samples.sort();
        let count = samples.len() as f64;
        let cpu_each = cpu.as_secs_f64() / count;
        println!(
            "{label}: {} with {IN_FLIGHT} in flight at {MEMBERS} members and {} past requests: \
             bot's answer p50 {:.2?}, p99 {:.2?} (budget: p99 under 25 ms); bot's CPU {:.0} µs each, \
             {:.0}/s on 2 cores (budget: 8,000/s); {:.0}/s seen with the fake on the same cores",
            interaction.name,
            MEMBERS * PAST_REQUESTS_PER_MEMBER,
            percentile(&samples, 0.50),
            percentile(&samples, 0.99),
            cpu_each * 1e6,
            2.0 / cpu_each,
            count / wall.as_secs_f64(),
        );
    }
    let violations = h.discord.violations();
    assert!(violations.is_empty(), "the fake refused: {violations:?}");
    h.stop().await;
}

/// `IN_FLIGHT` of `interaction` at once; the bot's answer times as the fake saw them.
async fn burst(h: &Harness, interaction: &Interaction, round: usize) -> Vec<Duration> {
    let ids: Vec<_> = (0..IN_FLIGHT)
        .map(|i| {
            h.discord
                .interact((interaction.command)((round * IN_FLIGHT + i) as u64))
        })
        .collect();
    let mut times = Vec::with_capacity(ids.len());
    for id in ids {
        let reply = h.discord.reply_to(id).await;
        assert!(
            reply.text().contains(interaction.shows),
            "{}: {}",
            interaction.name,
            reply.text()
        );
        times.push(h.discord.answer_time(id).expect("a callback arrived"));
    }
    times
}

/// The team behind a sync: only its alert pass runs here.
const TEAM_CONFIG: &str = "default_tier = \"basic\"\n[tiers.basic]\nlimit_usd = 10.0\n";

/// Syncs of `count` keys with daily $10 limits, a tenth of them past 50 % (some past 80 and
/// 100 %), then the alert pass after the sync: time, list calls, and resident memory. The fake
/// OpenRouter runs in a process of its own, so the time and memory are the bot's.
async fn sync(db: TestDb, count: usize, label: &str) {
    let mut openrouter = FakeProcess::start(count);
    let mut settings = openrouter_team_bot::openrouter::ClientSettings::new(
        openrouter.base_url.clone(),
        secrecy::SecretString::from(openrouter.management_key.clone()),
    );
    settings.timeout = Duration::from_secs(30);
    let api = std::sync::Arc::new(
        openrouter_team_bot::openrouter::HttpManagementApi::new(settings).expect("a client"),
    );
    let listing = KeyListing {
        workspaces: vec![None],
        include_disabled: true,
        concurrency: 4,
        expected_keys: 0,
    };
    let config = openrouter_team_bot::config::Config::parse(TEAM_CONFIG, |_| None)
        .expect("the bench's config");
    let team = openrouter_team_bot::team::Team::new(
        db.store.clone(),
        api.clone(),
        openrouter_team_bot::app::team_rules(&config),
        std::sync::Arc::new(openrouter_team_bot::clock::SystemClock),
        std::sync::Arc::new(openrouter_team_bot::team::Silent),
    );
    let mut peak_kib = 0;
    for run in 1..=3 {
        let calls_before = openrouter.list_calls();
        let started = Instant::now();
        let summary = sync_usage(
            api.as_ref(),
            &db.store,
            &listing,
            Utc::now() + chrono::Duration::minutes(run),
        )
        .await
        .expect("the sync works");
        let synced = started.elapsed();
        peak_kib = peak_kib.max(resident_memory_kib().unwrap_or(0));
        let started = Instant::now();
        let alerts = team
            .due_budget_alerts(&[50, 80, 100])
            .await
            .expect("the alert pass works");
        let alert_pass = started.elapsed();
        println!(
            "{label}: sync {run} of {} keys in {synced:.2?} with {} list calls (budget at 50,000: under 2 s, 500 pages); alert pass {alert_pass:.2?}, {} alerts due (budget: under 200 ms)",
            summary.keys,
            openrouter.list_calls() - calls_before,
            alerts.len()
        );
    }
    let started = Instant::now();
    let keys = list_all_keys(api.as_ref(), &listing)
        .await
        .expect("the keys are listed");
    let listed = started.elapsed();
    let started = Instant::now();
    db.store
        .record_sync(&keys, Utc::now() + chrono::Duration::minutes(4))
        .await
        .expect("the sync is stored");
    let stored = started.elapsed();
    drop(keys);
    println!("{label}: sync of {count} keys split: listing {listed:.2?}, storing {stored:.2?}");
    println!(
        "{label}: bot's resident memory after {count}-key syncs {} KiB (peak seen {peak_kib} KiB; the fake runs in its own process)",
        resident_memory_kib().unwrap_or(0)
    );
}

/// The fake OpenRouter in a child process (this binary with `--fake-openrouter N`): it prints
/// its address and management key, then answers each `list-calls` line on its stdin with the
/// number of key list calls it has served, and ends when its stdin closes.
struct FakeProcess {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
    base_url: String,
    management_key: String,
}

impl FakeProcess {
    fn start(count: usize) -> FakeProcess {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(std::env::current_exe().expect("the bench binary"))
            .arg(FAKE_FLAG)
            .arg(count.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the fake's process starts");
        let input = child.stdin.take().expect("its stdin");
        let mut output = std::io::BufReader::new(child.stdout.take().expect("its stdout"));
        let mut line = String::new();
        output.read_line(&mut line).expect("the fake's address");
        let (base_url, management_key) = line.trim().split_once(' ').expect("an address and a key");
        FakeProcess {
            base_url: base_url.to_owned(),
            management_key: management_key.to_owned(),
            child,
            input,
            output,
        }
    }

    fn list_calls(&mut self) -> usize {
        use std::io::{BufRead, Write};
        writeln!(self.input, "list-calls").expect("the fake is asked");
        let mut line = String::new();
        self.output.read_line(&mut line).expect("the fake answers");
        line.trim().parse().expect("a count")
    }
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const FAKE_FLAG: &str = "--fake-openrouter";

/// The child's side of [`FakeProcess`].
fn serve_fake(count: usize) {
    use std::io::Write;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let openrouter = runtime.block_on(async {
        fakes::openrouter::FakeOpenRouter::start()
            .await
            .expect("the fake starts")
    });
    for i in 0..count {
        let spent = if i % 10 == 0 {
            500 + (i % 7) as i64 * 100
        } else {
            100
        };
        let mut seed = fakes::openrouter::KeySeed::named(format!("team:member{i}:r{i}"));
        seed.limit = Some(fakes::openrouter::Usd::from_dollars(10));
        seed.limit_reset = fakes::openrouter::LimitReset::Daily;
        seed.usage = fakes::openrouter::Usage {
            total: fakes::openrouter::Usd::from_cents(spent),
            daily: fakes::openrouter::Usd::from_cents(spent),
            weekly: fakes::openrouter::Usd::from_cents(spent),
            monthly: fakes::openrouter::Usd::from_cents(spent),
        };
        openrouter.add_key(seed);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {}",
        openrouter.base_url(),
        openrouter.management_key()
    )
    .expect("the address is told");
    out.flush().expect("the address is told");
    for line in std::io::stdin().lines() {
        if line.expect("a request").trim() == "list-calls" {
            let calls = openrouter.request_count(fakes::openrouter::Endpoint::ListKeys);
            writeln!(out, "{calls}").expect("the count is told");
            out.flush().expect("the count is told");
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == FAKE_FLAG) {
        let count = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .expect("a key count");
        serve_fake(count);
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name(BOT_THREADS)
        .enable_all()
        .build()
        .expect("a runtime");
    // `cargo bench --bench budgets -- sync` (or `-- interactions`) runs that part alone.
    let only = |part: &str| {
        !args.iter().any(|a| a == "sync" || a == "interactions") || args.iter().any(|a| a == part)
    };
    runtime.block_on(async {
        if only("sync") {
            for count in [1_000, 10_000, 50_000] {
                sync(support::db::sqlite().await, count, "SQLite").await;
                if let Some(db) = support::db::postgres().await {
                    sync(db, count, "PostgreSQL").await;
                }
            }
        }
        if only("interactions") {
            interactions(support::db::sqlite().await, "SQLite").await;
            if let Some(db) = support::db::postgres().await {
                interactions(db, "PostgreSQL").await;
            }
        }
    });
}
