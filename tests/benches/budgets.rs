//! Benchmarks of DESIGN.md's performance budgets, printed as figures (`cargo bench --bench budgets`):
//! interaction latency at 10,000 members with 200 interactions in flight, a sync of 10,000 keys,
//! and the resident memory of an idle bot. Run on SQLite, and on PostgreSQL too when
//! `TEST_DATABASE_URL` is set.

#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use fakes::discord::{FakeMember, SlashCommand};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{KeyListing, Usage, list_all_keys};
use openrouter_team_bot::reset::LimitReset;
use openrouter_team_bot::team::usage::sync_usage;
use openrouter_team_bot::team::{DiscordId, MemberName, TeamKey};
use support::bot::{Harness, guild};
use support::db::TestDb;

/// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MEMBERS: u64 = 10_000;
const IN_FLIGHT: usize = 200;
const ROUNDS: usize = 5;
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

async fn interactions(db: TestDb, label: &str) {
    seed_members(&db).await;
    let mut guild = guild();
    for i in 0..MEMBERS {
        guild = guild.member(FakeMember::new(FIRST_USER + i, format!("member{i}")));
    }
    let h = Harness::start_with(db, guild, "").await;
    println!(
        "{label}: idle bot with {MEMBERS} members, resident memory {} KiB (bot and both fakes in one process)",
        resident_memory_kib().unwrap_or(0)
    );
    let mut samples = Vec::with_capacity(IN_FLIGHT * ROUNDS);
    for round in 0..ROUNDS {
        let started = Instant::now();
        let waits: Vec<_> = (0..IN_FLIGHT)
            .map(|i| {
                let user = FIRST_USER + (round * IN_FLIGHT + i) as u64 * 7 % MEMBERS;
                let sent = Instant::now();
                let id = h.discord.interact(SlashCommand::new(user, "mykey"));
                (id, sent)
            })
            .collect();
        for (id, sent) in waits {
            let reply = h.discord.reply_to(id).await;
            assert!(reply.text().contains("Your OpenRouter key"));
            samples.push(sent.elapsed());
        }
        let _ = started;
    }
    samples.sort();
    println!(
        "{label}: /mykey with {IN_FLIGHT} in flight at {MEMBERS} members: p50 {:?}, p99 {:?}, max {:?} over {} interactions (budget: p99 under 50 ms); violations: {}",
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default(),
        samples.len(),
        h.discord.violations().len()
    );
    h.stop().await;
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
        .enable_all()
        .build()
        .expect("a runtime");
    // `cargo bench --bench budgets -- sync` (or `-- mykey`) runs that part alone.
    let only = |part: &str| {
        !args.iter().any(|a| a == "sync" || a == "mykey") || args.iter().any(|a| a == part)
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
        if only("mykey") {
            interactions(support::db::sqlite().await, "SQLite").await;
            if let Some(db) = support::db::postgres().await {
                interactions(db, "PostgreSQL").await;
            }
        }
    });
}
