//! The gateway's performance, printed as figures (`cargo bench --bench gateway`): one client calls
//! the fake OpenRouter directly and through the gateway in the same run, so the difference is
//! what the gateway adds (auth, policy, holds, the ledger). Figures are medians over rounds.
//!
//! - added latency p99 at 1 request in flight, and at 64 in flight while each answer takes the
//!   model 50 ms (non-streaming);
//! - added time to first byte p99 for streams;
//! - requests per second through the gateway, and directly;
//! - 1,000 concurrent requests from one member with a budget for about 100 of them;
//! - the gateway's memory with 2,000 streams open through it (the heap directly and through the
//!   gateway, told apart by a counting allocator).
//!
//! The clients, the fakes and the bot each run on a runtime of their own, as three processes
//! would. On SQLite; on PostgreSQL too when `TEST_DATABASE_URL` is set.

#[path = "../support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use fakes::openrouter::{CompletionPlan, FakeOpenRouter};
use fakes::stage::Fakes;
use futures_util::StreamExt;
use serde_json::{Value, json};
use support::bot::Harness;
use support::db::TestDb;
use support::gateway::{guild_with_shared_mia, shared_tier};
use support::runtimes::{Runtimes, own_runtime};

const ROUNDS: usize = 9;
const SEQUENTIAL: usize = 400;
const CONCURRENT: usize = 64;
const PER_WORKER: usize = 40;
const THROUGHPUT_REQUESTS: usize = 20_000;
const OPEN_STREAMS: usize = 2_000;

/// Caps high enough that fair use never answers 429 during the measurements.
const UNTHROTTLED: &str =
    "max_in_flight_per_member = 10000\nrequests_per_minute_per_member = 1000000";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The binary's allocator (mimalloc), counting the bytes in use, so the gateway's own share of memory can be told
/// from the fake's and the clients' in this one process.
struct Counting;

static IN_USE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed to mimalloc unchanged; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            IN_USE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            IN_USE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn heap_mib() -> f64 {
    IN_USE.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0)
}

fn resident_memory_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The clients' runtime: their connections and timing run on threads of their own, apart from
/// the bot's and the fake's, as they would in other processes.
fn clients() -> &'static tokio::runtime::Handle {
    static CLIENTS: Runtimes = Runtimes::new();
    own_runtime(&CLIENTS, "clients", 1)
}

/// The fakes' runtime: OpenRouter's side keeps its own threads and timers, so the bot's load
/// does not slow the model's answers, as it could not slow the real service's.
fn fakes_runtime() -> &'static tokio::runtime::Handle {
    static FAKES: Runtimes = Runtimes::new();
    own_runtime(&FAKES, "fakes", 2)
}

/// The bot on `db` with gateway access for Mia on `tier`, its fakes on their own runtime.
async fn start_bot(db: TestDb, tier: &str) -> Harness {
    let fakes = fakes_runtime()
        .spawn(Fakes::start(
            guild_with_shared_mia(),
            support::bot::test_start(),
        ))
        .await
        .expect("the fakes' task")
        .expect("the fakes start");
    Harness::start_against(db, fakes, tier).await
}

/// One way to reach a chat completion: a base URL and the key it takes.
#[derive(Clone)]
struct Target {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Target {
    fn new(base_url: &str, key: &str) -> Target {
        Target {
            http: reqwest::Client::builder()
                .no_proxy()
                .tcp_nodelay(true)
                .pool_max_idle_per_host(4096)
                .build()
                .unwrap(),
            url: format!("{base_url}/chat/completions"),
            key: key.to_string(),
        }
    }

    /// Sends one chat request from the clients' own threads.
    async fn send(&self, body: &Value) -> reqwest::Response {
        let target = self.clone();
        let body = body.clone();
        clients()
            .spawn(async move { target.send_here(&body).await })
            .await
            .expect("the client's task")
    }

    async fn send_here(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(&self.url)
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .expect("an answer")
    }

    /// One request, read to its end, on the clients' own threads; its latency.
    async fn call(&self, body: &Value) -> (u16, Duration) {
        let target = self.clone();
        let body = body.clone();
        clients()
            .spawn(async move { target.call_here(&body).await })
            .await
            .expect("the client's task")
    }

    async fn call_here(&self, body: &Value) -> (u16, Duration) {
        let started = Instant::now();
        let response = self.send_here(body).await;
        let status = response.status().as_u16();
        response.bytes().await.expect("a whole body");
        (status, started.elapsed())
    }

    /// A stream's time to its first body bytes; the rest is read and dropped.
    async fn first_byte(&self, body: &Value) -> Duration {
        let target = self.clone();
        let body = body.clone();
        clients()
            .spawn(async move { target.first_byte_here(&body).await })
            .await
            .expect("the client's task")
    }

    async fn first_byte_here(&self, body: &Value) -> Duration {
        let started = Instant::now();
        let mut stream = self.send_here(body).await.bytes_stream();
        stream.next().await.expect("a first chunk").expect("bytes");
        let first = started.elapsed();
        while stream.next().await.is_some() {}
        first
    }
}

fn hello() -> Value {
    json!({"model": "openai/gpt-4o-mini", "max_tokens": 20,
           "messages": [{"role": "user", "content": "Hello there"}]})
}

/// p99 latency of `count` requests per worker from `workers` workers. Their starts are spread
/// over `model_time`, so that answers taking that long keep arriving evenly, as many members'
/// requests do, instead of all in one burst.
async fn p99(target: &Target, workers: usize, count: usize, model_time: Duration) -> Duration {
    let body = Arc::new(hello());
    let tasks: Vec<_> = (0..workers)
        .map(|worker| {
            let target = target.clone();
            let body = body.clone();
            let start_after = model_time * worker as u32 / workers as u32;
            clients().spawn(async move {
                tokio::time::sleep(start_after).await;
                let mut latencies = Vec::with_capacity(count);
                for _ in 0..count {
                    let (status, latency) = target.call_here(&body).await;
                    assert_eq!(status, 200);
                    latencies.push(latency);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    percentile(&all, 0.99)
}

/// Requests per second with `workers` workers sending `total` requests in all.
async fn rate(target: &Target, workers: usize, total: usize) -> f64 {
    let body = Arc::new(hello());
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let target = target.clone();
            let body = body.clone();
            clients().spawn(async move {
                for _ in 0..total / workers {
                    assert_eq!(target.call_here(&body).await.0, 200);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// How long the fake takes over an answer when 64 are in flight: a model's time, so the figure
/// is what the gateway adds to each of many overlapping requests, not how a saturated CPU
/// queues them (the throughput figure shows that).
const MODEL_TIME: Duration = Duration::from_millis(50);

async fn latencies(fake: &FakeOpenRouter, direct: &Target, gateway: &Target) {
    for (label, workers, count, model_time) in [
        ("1 in flight", 1, SEQUENTIAL, Duration::ZERO),
        (
            "64 in flight, answers taking 50 ms",
            CONCURRENT,
            PER_WORKER,
            MODEL_TIME,
        ),
    ] {
        let answer = CompletionPlan::new();
        let chunks = answer.completion_tokens.div_ceil(answer.tokens_per_chunk) as u32;
        fake.plan_completions(CompletionPlan {
            chunk_delay: model_time / chunks,
            ..answer
        });
        // Warm both paths (connections, the model cache, the token cache).
        p99(direct, workers, 5, model_time).await;
        p99(gateway, workers, 5, model_time).await;
        let mut direct_p99 = Vec::new();
        let mut gateway_p99 = Vec::new();
        for _ in 0..ROUNDS {
            direct_p99.push(ms(p99(direct, workers, count, model_time).await));
            gateway_p99.push(ms(p99(gateway, workers, count, model_time).await));
        }
        let (d, g) = (median(direct_p99), median(gateway_p99));
        println!(
            "  latency p99, {label}: direct {d:.3} ms, gateway {g:.3} ms, added {:.3} ms (ratio {:.2})",
            g - d,
            g / d
        );
    }
    fake.plan_completions(CompletionPlan::new());
}

async fn first_bytes(direct: &Target, gateway: &Target) {
    let mut body = hello();
    body["stream"] = json!(true);
    let mut direct_p99 = Vec::new();
    let mut gateway_p99 = Vec::new();
    for _ in 0..ROUNDS {
        for (target, figures) in [(direct, &mut direct_p99), (gateway, &mut gateway_p99)] {
            let mut times = Vec::with_capacity(SEQUENTIAL / 2);
            for _ in 0..SEQUENTIAL / 2 {
                times.push(target.first_byte(&body).await);
            }
            times.sort();
            figures.push(ms(percentile(&times, 0.99)));
        }
    }
    let (d, g) = (median(direct_p99), median(gateway_p99));
    println!(
        "  time to first byte p99, streams: direct {d:.3} ms, gateway {g:.3} ms, added {:.3} ms",
        g - d
    );
}

async fn throughput(direct: &Target, gateway: &Target) {
    let mut direct_rates = Vec::new();
    let mut gateway_rates = Vec::new();
    for _ in 0..3 {
        direct_rates.push(rate(direct, CONCURRENT, THROUGHPUT_REQUESTS / 2).await);
        gateway_rates.push(rate(gateway, CONCURRENT, THROUGHPUT_REQUESTS).await);
    }
    let (d, g) = (median(direct_rates), median(gateway_rates));
    println!(
        "  throughput, {CONCURRENT} in flight: direct {d:.0} req/s, gateway {g:.0} req/s (ratio {:.2}; target >= 5,000)",
        g / d
    );
}

/// 1,000 requests at once with a budget for about 100: what was spent and how many rows.
async fn budget_under_load(db: TestDb) {
    // gpt-4o-mini writing its whole 1,000-token cap: 11 * 150 + 1,000 * 600 nano-dollars each.
    let per_request = 11 * 150 + 1000 * 600;
    let limit_nanos = 100 * per_request;
    let limit = format!("{:.6}", limit_nanos as f64 / 1e9);
    let h = start_bot(db, &shared_tier(&limit, UNTHROTTLED)).await;
    h.openrouter.plan_completions(CompletionPlan {
        completion_tokens: 1000,
        tokens_per_chunk: 1000,
        ..CompletionPlan::new()
    });
    let (client, _) = h.mia_gets_token().await;
    let target = Target::new(&client.base_url, &client.token);
    let body = Arc::new(json!({"model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello there"}]}));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let target = target.clone();
            let body = body.clone();
            tokio::spawn(async move { target.call(&body).await.0 })
        })
        .collect();
    let mut served = 0;
    for task in tasks {
        if task.await.unwrap() == 200 {
            served += 1;
        }
    }
    let hash = h.mia_token_hash().await;
    let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let rows = support::gateway::until("every row settled", || async {
        let rows = h.store().ledger_of_key(&hash, since).await.unwrap();
        (rows.len() >= 1000 && rows.iter().all(|r| r.is_settled())).then_some(rows)
    })
    .await;
    let spent: i64 = rows.iter().map(|r| r.cost.unwrap().nanos()).sum();
    let charged: i64 = h
        .openrouter
        .generations()
        .iter()
        .map(|g| g.cost_nanos)
        .sum();
    println!(
        "  1,000 concurrent requests, budget for ~100: {served} served, settled ${:.6} of ${limit} ({}), {} ledger rows (one each: {}), matches OpenRouter's charges: {}",
        spent as f64 / 1e9,
        if spent <= limit_nanos {
            "never over"
        } else {
            "OVERSPENT"
        },
        rows.len(),
        rows.len() == 1000,
        spent == charged
    );
    h.stop().await;
}

/// Opens 2,000 slow streams, directly and then through the gateway, and reports the heap each
/// way: the difference is the gateway's own share (its connections both ways and each stream's
/// state), as the fake and the clients hold the same either way.
async fn open_streams(h: &Harness, direct: &Target, gateway: &Target) {
    h.openrouter.plan_completions(CompletionPlan {
        completion_tokens: 40,
        tokens_per_chunk: 1,
        chunk_delay: Duration::from_millis(250),
        ..CompletionPlan::new()
    });
    let direct_mib = heap_with_streams_open(&h.openrouter, direct).await;
    let gateway_mib = heap_with_streams_open(&h.openrouter, gateway).await;
    println!(
        "  {OPEN_STREAMS} streams open: heap +{direct_mib:.1} MiB directly, +{gateway_mib:.1} MiB through the gateway; the gateway's share {:.1} MiB (target < 150 MB); process RSS {:.0} MiB",
        gateway_mib - direct_mib,
        resident_memory_mib()
    );
    h.openrouter.plan_completions(CompletionPlan::new());
}

/// How much more heap is in use with [`OPEN_STREAMS`] streams open to `target` than before.
/// Returns once the fake has seen every one of them hang up, so their memory is given back.
async fn heap_with_streams_open(fake: &FakeOpenRouter, target: &Target) -> f64 {
    let generations = fake.generations().len();
    let before = heap_mib();
    let mut body = hello();
    body["stream"] = json!(true);
    let opening: Vec<_> = (0..OPEN_STREAMS)
        .map(|_| {
            let target = target.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut stream = target.send(&body).await.bytes_stream();
                stream.next().await.expect("a first chunk").expect("bytes");
                stream
            })
        })
        .collect();
    let mut streams = Vec::with_capacity(OPEN_STREAMS);
    for task in opening {
        streams.push(task.await.unwrap());
    }
    let open = heap_mib() - before;
    drop(streams);
    support::gateway::until("every stream to end at the fake", || async {
        (fake.generations().len() >= generations + OPEN_STREAMS).then_some(())
    })
    .await;
    open
}

async fn run(db: TestDb, second: TestDb, label: &str) {
    println!("{label}:");
    let h = start_bot(db, &shared_tier("1000000.0", UNTHROTTLED)).await;
    let (client, _) = h.mia_gets_token().await;
    h.openrouter.record_completion_requests(false);
    let fake: &FakeOpenRouter = &h.openrouter;
    let direct = Target::new(&fake.base_url(), &fake.inference_key());
    let gateway = Target::new(&client.base_url, &client.token);
    if wanted("latency") {
        latencies(fake, &direct, &gateway).await;
    }
    if wanted("first-byte") {
        first_bytes(&direct, &gateway).await;
    }
    if wanted("throughput") {
        throughput(&direct, &gateway).await;
    }
    if wanted("streams") {
        open_streams(&h, &direct, &gateway).await;
    }
    h.stop().await;
    if wanted("budget") {
        budget_under_load(second).await;
    }
}

/// Whether a part of the benchmark runs: all of them, or those named after `--`
/// (`cargo bench --bench gateway -- latency first-byte throughput streams budget`).
fn wanted(part: &str) -> bool {
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    named.is_empty() || named.iter().any(|n| n == part)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        run(
            support::db::sqlite().await,
            support::db::sqlite().await,
            "SQLite",
        )
        .await;
        if let (Some(db), Some(second)) =
            (support::db::postgres().await, support::db::postgres().await)
        {
            run(db, second, "PostgreSQL").await;
        }
    });
}
