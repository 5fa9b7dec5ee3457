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
use openrouter_team_bot::openrouter::{KeyListing, Usage};
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

async fn sync(db: TestDb, label: &str) {
    let openrouter = fakes::openrouter::FakeOpenRouter::start()
        .await
        .expect("the fake starts");
    openrouter.seed_keys(10_000, "team:member");
    let mut settings = openrouter_team_bot::openrouter::ClientSettings::new(
        openrouter.base_url(),
        secrecy::SecretString::from(openrouter.management_key()),
    );
    settings.timeout = Duration::from_secs(30);
    let api = openrouter_team_bot::openrouter::HttpManagementApi::new(settings).expect("a client");
    let listing = KeyListing {
        workspaces: vec![None],
        include_disabled: true,
        concurrency: 4,
        expected_keys: 0,
    };
    for run in 1..=3 {
        let started = Instant::now();
        let summary = sync_usage(
            &api,
            &db.store,
            &listing,
            Utc::now() + chrono::Duration::minutes(run),
        )
        .await
        .expect("the sync works");
        println!(
            "{label}: sync {run} of {} keys in {:?} (budget: under 2 s), {} list calls so far",
            summary.keys,
            started.elapsed(),
            openrouter.request_count(fakes::openrouter::Endpoint::ListKeys)
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        sync(support::db::sqlite().await, "SQLite").await;
        if let Some(db) = support::db::postgres().await {
            sync(db, "PostgreSQL").await;
        }
        interactions(support::db::sqlite().await, "SQLite").await;
        if let Some(db) = support::db::postgres().await {
            interactions(db, "PostgreSQL").await;
        }
    });
}
