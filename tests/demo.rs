//! The `demo` command: the whole bot against the simulated Discord and OpenRouter, played at the
//! fastest speed. The tests read what a person would: the terminal, `transcript.md`, the files
//! in the output folder, the database `keys list` is pointed at afterwards, and they check that
//! the demo needs no credentials and sends nothing off the machine.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use openrouter_team_bot::demo::{self, DIGEST_JOB, DemoOptions, Speed};
use sqlx::{AnyPool, Row};

const BINARY: &str = env!("CARGO_BIN_EXE_openrouter-team-bot");

/// Every step of the story, in order, as the terminal tells it; `transcript.md` tells the same
/// steps (compared without Markdown markup).
const STORY: &[&str] = &[
    "Mia runs /mykey in #general",
    "Mia clicks [Request a key]",
    "Request an OpenRouter key",
    "Mia sends the form",
    "Key request #1 sent",
    "Olu runs /mykey in #general",
    "Key request #2 sent",
    "Sam runs /mykey in #general",
    "Key request #3 sent",
    "Dana clicks [Approve] on the post \"Key request #1\" in #key-approvals",
    "Approved by @Dana.",
    "Request #1 was approved",
    "Erik clicks [Approve] on the post \"Key request #2\" in #key-approvals",
    "Dana clicks [Deny] on the post \"Key request #3\" in #key-approvals",
    "Deny request #3",
    "Denied by @Dana: Team keys are for work projects",
    "Request #3 was denied",
    "Mia clicks [Reveal my key] on the DM",
    "Your key team:mia:r1",
    "is fake: the simulated OpenRouter made it",
    "Olu clicks [Reveal my key] on the DM",
    "Lee runs /mykey in #general",
    "Key request #4 sent",
    "Lee clicks [Reveal my key] on the DM",
    "Your key team:lee:r4",
    "Budget alert: mia at 55% of its limit",
    "50% threshold crossed",
    "Mia runs /budget in #general",
    "Budget of mia",
    "Budget alert: mia at 104% of its limit",
    "100% threshold crossed",
    // The DM speaks to Mia; the channel's card speaks of her.
    "You have used 104% of your $10.00 daily limit: OpenRouter refuses your key's requests until the limit",
    "Mia clicks [Request top-up] on the DM \"Your budget: 104% used\"",
    "Top-up #1 of $10.00 for team:mia:r1 sent to the admins",
    "Erik clicks [Approve top-up] on the post \"Top-up request #1\" in #key-approvals",
    "Top-up #1 approved and applied",
    "was approved: the limit is raised",
    // Thursday: Ines, on the shared tier, gets a gateway token and calls the gateway with it.
    "Ines runs /mykey in #general",
    "Key request #5 sent",
    "Tier shared: $0.40 per day",
    "Dana clicks [Approve] on the post \"Key request #5\" in #key-approvals",
    "Request #5 was approved",
    "Ines clicks [Reveal my key] on the DM",
    "Your gateway token team:ines:r5",
    "ortb_",
    "token is fake as well: the demo's gateway made it",
    "https://llm.acme.example/api/v1 is a made-up address: the demo's gateway listens on http://127.0.0.1:",
    "Ines's client → the gateway: POST /chat/completions for openai/gpt-4o",
    "200 OK: openai/gpt-4o wrote",
    "Your top-up has ended",
    "Ines's client → the gateway: POST /chat/completions for openai/gpt-4o",
    "200 OK: openai/gpt-4o wrote",
    "Budget alert: ines at 50% of its limit",
    "Ines runs a batch of prompts against openai/gpt-4o",
    "200 OK: openai/gpt-4o wrote",
    "429 Too Many Requests: \"Your budget has $",
    "left, too little for this request; today's budget resets at 2026-11-27 00:00 UTC.",
    "Ines runs /budget in #general",
    "Budget of ines",
    "100% threshold reached",
    // Friday, in a new budget window: a model the tier does not allow is served by its fallback.
    "Ines's client → the gateway: POST /chat/completions for anthropic/claude-sonnet-4",
    "200 OK with x-gateway-model-downgraded: requested=anthropic/claude-sonnet-4; served=openai/gpt-4o-mini",
    "openai/gpt-4o-mini wrote",
    "Olu leaves the Acme AI server",
    // In the audit channel, and in the alerts channel: a departure is an alert.
    "olu left the server; disabled team:olu:r2",
    "olu left the server; disabled team:olu:r2",
    "the week is over",
];

/// `text` with the Markdown markup the transcript adds taken out.
fn without_markup(text: &str) -> String {
    text.replace("**", "").replace('`', "")
}

/// Asserts that `steps` appear in `text` in this order.
fn assert_in_order(text: &str, steps: &[&str], what: &str) {
    let mut from = 0;
    for step in steps {
        match text[from..].find(step) {
            Some(at) => from += at + step.len(),
            None => panic!("{what} lacks {step:?} (after byte {from}):\n{text}"),
        }
    }
}

/// Asserts that `bytes` are a PNG: the signature, then an IHDR chunk with a sensible size.
fn assert_png(bytes: &[u8]) {
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "digest.png starts with the PNG signature"
    );
    assert!(bytes.len() > 33, "digest.png holds more than a header");
    assert_eq!(&bytes[8..12], &[0, 0, 0, 13], "IHDR is 13 bytes long");
    assert_eq!(&bytes[12..16], b"IHDR", "the first chunk is IHDR");
    let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    assert!(
        (100..=4000).contains(&width) && (100..=4000).contains(&height),
        "a chart-sized picture, not {width}x{height}"
    );
}

/// The binary with an environment that holds no credentials and no config, in `dir`.
fn binary_in(dir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(dir).env_clear();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
}

fn text_of(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn database(path: &Path) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .expect("the demo's database opens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tells_the_whole_week_and_leaves_a_database_keys_list_can_read() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    // A space in the path, as in many home folders.
    let out = dir.path().join("demo output");
    let options = DemoOptions {
        out: Some(out.clone()),
        speed: Speed::FASTEST,
    };
    let mut terminal = Vec::new();
    let outcome = demo::run(&options, &mut terminal)
        .await
        .expect("the demo plays to the end");
    let printed = String::from_utf8(terminal).expect("the terminal text is UTF-8");

    assert_eq!(
        outcome.violations,
        vec![],
        "the simulated Discord refused nothing"
    );
    assert!(outcome.digest_posted, "the weekly digest was posted");

    // The story, in order, in the terminal and in transcript.md.
    assert_in_order(&printed, STORY, "the terminal");
    let transcript =
        std::fs::read_to_string(&outcome.files.transcript).expect("transcript.md is written");
    assert_in_order(&without_markup(&transcript), STORY, "transcript.md");
    for day in 1..=7 {
        assert!(
            printed.contains(&format!("[day {day}/7]")),
            "the terminal shows day {day} of the week"
        );
    }
    assert!(printed.contains("the bot syncs: 3 keys synced"));
    assert!(
        printed.contains("3 keys synced, 1 alert\n"),
        "a sync with one alert says so in the singular: {printed}"
    );
    assert!(!printed.contains(" 1 alerts"), "{printed}");
    assert!(printed.contains(" → #key-reports: "), "{printed}");
    assert!(transcript.contains("**team-bot** · in #key-reports"));
    assert!(
        transcript.contains("![digest.png](digest.png)")
            || transcript.contains("[digest.png](digest.png)"),
        "the transcript shows the chart it wrote next to it"
    );
    assert!(transcript.contains("**Every key in this transcript is fake**"));

    // Ines's reveal shows her token with the gateway's public URL, and the token is shown
    // nowhere else: not in the demo's notes, not in the calls.
    let plain = without_markup(&transcript);
    assert!(
        plain.contains("Base URL: https://llm.acme.example/api/v1"),
        "{transcript}"
    );
    let token = plain
        .split(|c: char| c.is_whitespace() || c == '=')
        .find(|word| word.starts_with("ortb_") && word.len() > 20)
        .expect("the reveal shows the token");
    let (_, after_reveal) = transcript
        .split_once("Demo note: the ortb_… token is fake as well")
        .expect("a note says the token is fake");
    assert!(
        !after_reveal.contains(token),
        "the token is shown only in the reveal"
    );
    assert!(
        printed
            .lines()
            .filter(|line| line.contains(token))
            .all(|line| line.contains("Your gateway token team:ines:r5")),
        "the terminal shows the token only in the reveal"
    );
    // The gateway never lets her spend pass the limit: every answer the batch got is counted,
    // and the refusal is the gateway's own.
    assert!(
        printed.contains("before forwarding it, so that its cost cannot pass the budget"),
        "{printed}"
    );
    assert!(
        printed.contains(" through the gateway, on the team's shared key); the bot syncs"),
        "{printed}"
    );
    // The digest has a line for Ines, on the shared key.
    let digest_line = transcript
        .lines()
        .find(|line| line.contains("`ines`") && !line.contains("`team:ines:"))
        .unwrap_or_else(|| panic!("the digest has no line for Ines:\n{transcript}"));
    assert!(digest_line.contains("shared key"), "{digest_line}");
    // Admin and lifecycle actions are in words in their own channel; the alerts channel
    // carries alerts, not the audit trail.
    assert!(
        printed
            .contains("team-bot → #key-audit: @Dana approved mia's key request #1 for tier basic"),
        "{printed}"
    );
    assert!(
        !printed.contains("#key-alerts: Audit") && !printed.contains("approve_request"),
        "{printed}"
    );
    // One spike rule: the digest lists the spike the live alert sent, against the same usual
    // spend, and no key's first day.
    assert!(
        printed.contains("has spent $10.40 today (UTC), against a usual $2.75 a day"),
        "{printed}"
    );
    assert!(
        transcript.contains("**Spikes (1):** Wed 25 Nov `mia`: $13.80 (usually $2.75 a day)"),
        "{transcript}"
    );
    // Mia hit 104 % of her daily limit on Wednesday and got a top-up: the digest of the whole
    // week says so, and her line's peak agrees with it.
    // Ines, on the shared key, was stopped by the gateway just short of hers.
    let at_limit = transcript
        .split("**At or over limit (2):**")
        .nth(1)
        .and_then(|rest| rest.split("- **").next())
        .unwrap_or_else(|| panic!("the digest has no At or over limit list of two:\n{transcript}"));
    assert!(
        at_limit.contains(
            "`mia` `team:mia:r1` 104% of $10.00 per day on Wed 25 Nov (top-up +$10.00 approved)"
        ),
        "{at_limit}"
    );
    assert!(
        at_limit.contains("`ines` `team:ines:")
            && at_limit.contains("per day on Thu 26 Nov (stopped at the limit by the gateway)"),
        "{at_limit}"
    );
    let csv = std::fs::read_to_string(&outcome.files.csv).expect("the digest's CSV is written");
    assert!(
        csv.lines()
            .any(|line| line.starts_with("mia,") && line.contains(",10.00,daily,38,104,")),
        "{csv}"
    );
    // The summary at the end, and where the files are.
    assert!(printed.contains("MEMBER  DISCORD  TIER"), "{printed}");
    assert!(printed.contains("team:olu:r2 (disabled)"), "{printed}");
    assert!(
        printed.contains("team:ines:r5 (gateway token, active)"),
        "{printed}"
    );
    assert!(printed.contains("4 budget alerts"), "{printed}");
    let ines = outcome
        .summary
        .members
        .iter()
        .find(|m| m.member == "ines")
        .expect("Ines is in the summary");
    assert_eq!(ines.alerts, ["50%", "100%"]);
    assert!(ines.spent > openrouter_team_bot::money::Usd::ZERO);
    for file in [
        &outcome.files.transcript,
        &outcome.files.chart,
        &outcome.files.csv,
        &outcome.files.database,
        &outcome.files.config,
    ] {
        assert!(
            file.starts_with(&out),
            "{} is in the output folder",
            file.display()
        );
        assert!(file.is_file(), "{} is written", file.display());
        assert!(
            printed.contains(&file.display().to_string()),
            "the terminal names {}",
            file.display()
        );
    }

    // The digest's attachments.
    assert_png(&std::fs::read(&outcome.files.chart).expect("digest.png is readable"));
    let csv = std::fs::read_to_string(&outcome.files.csv).expect("digest.csv is text");
    for member in ["mia", "olu", "lee", "ines"] {
        assert!(
            csv.contains(member),
            "digest.csv has a line for {member}:\n{csv}"
        );
    }
    assert!(
        csv.lines()
            .any(|line| line.starts_with("ines,") && line.ends_with(",gateway")),
        "{csv}"
    );

    // The database's final state.
    let db = database(&outcome.files.database).await;
    let olu: (String, i64) = sqlx::query_as(
        "SELECT m.status, k.disabled FROM members m JOIN keys k ON k.member_id = m.id WHERE m.name = 'olu'",
    )
    .fetch_one(&db)
    .await
    .expect("olu and his key are stored");
    assert_eq!(
        olu,
        ("departed".to_string(), 1),
        "the departed member's key is disabled"
    );
    let disabled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM keys WHERE disabled <> 0")
        .fetch_one(&db)
        .await
        .expect("keys can be counted");
    assert_eq!(disabled, 1, "no one else's key is disabled");

    // Mia's Wednesday: 55 % (alert at 50), then 104 % (one alert at 100; 80 passed on the way).
    // Ines's Thursday, from the gateway's ledger: 50 %, then the refusal, which is the 100 %
    // mark (80 passed on the way).
    let alerts = sqlx::query(
        "SELECT k.name, a.threshold, COUNT(*) AS times FROM alerts_sent a JOIN keys k ON k.hash = a.key_hash \
         GROUP BY k.name, a.window_start, a.threshold ORDER BY k.name, a.threshold",
    )
    .fetch_all(&db)
    .await
    .expect("alerts_sent can be read");
    let alerts: Vec<(String, i64, i64)> = alerts
        .iter()
        .map(|row| (row.get("name"), row.get("threshold"), row.get("times")))
        .collect();
    let mia = |threshold| ("team:mia:r1".to_string(), threshold, 1);
    let ines = |threshold| ("team:ines:r5".to_string(), threshold, 1);
    assert_eq!(
        alerts,
        vec![ines(50), ines(80), ines(100), mia(50), mia(80), mia(100)]
    );
    assert_eq!(
        outcome.summary.budget_alerts, 4,
        "four alerts were posted: at 50 % and at 100 %, for Mia and for Ines"
    );
    // What the gateway's ledger holds for Ines: every request, none spending past the limit.
    let ledger = sqlx::query(
        "SELECT r.outcome, r.status, r.cost_nanos, r.started_at FROM gateway_requests r \
         JOIN keys k ON k.hash = r.key_hash WHERE k.name = 'team:ines:r5' ORDER BY r.started_at, r.id",
    )
    .fetch_all(&db)
    .await
    .expect("the ledger can be read");
    let statuses: Vec<String> = ledger.iter().map(|row| row.get("status")).collect();
    assert!(statuses.iter().all(|s| s == "settled"), "{statuses:?}");
    let thursday = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 26, 0, 0, 0)
        .unwrap()
        .timestamp();
    let spent_thursday: i64 = ledger
        .iter()
        .filter(|row| (thursday..thursday + 86_400).contains(&row.get::<i64, _>("started_at")))
        .map(|row| row.get::<i64, _>("cost_nanos"))
        .sum();
    assert!(
        spent_thursday <= 400_000_000,
        "Thursday's spend {spent_thursday} nano-dollars stays within the $0.40 limit"
    );
    let outcomes: Vec<String> = ledger.iter().map(|row| row.get("outcome")).collect();
    assert!(outcomes.iter().any(|o| o == "downgraded"), "{outcomes:?}");
    assert!(
        outcomes.iter().any(|o| o == "refused_budget"),
        "{outcomes:?}"
    );

    // One digest posted, for the demo's week. The bot starts on that Monday after the previous
    // digest's time and grace, so its first tick records that week (which it never saw) as
    // skipped.
    let runs = sqlx::query(
        "SELECT period, outcome, message_id IS NOT NULL AS posted FROM job_runs WHERE job = $1 ORDER BY period",
    )
    .bind(DIGEST_JOB)
    .fetch_all(&db)
    .await
    .expect("job_runs can be read");
    let runs: Vec<(String, String, bool)> = runs
        .iter()
        .map(|row| {
            let posted: i64 = row.get("posted");
            (row.get("period"), row.get("outcome"), posted != 0)
        })
        .collect();
    let posted: Vec<&str> = runs
        .iter()
        .filter(|(_, _, posted)| *posted)
        .map(|(period, _, _)| period.as_str())
        .collect();
    assert_eq!(posted, vec!["2026-W48"], "{runs:?}");
    assert!(
        runs.iter()
            .all(|(period, outcome, _)| period == "2026-W48" || outcome.starts_with("skipped")),
        "{runs:?}"
    );
    db.close().await;

    // `keys list` on the demo's config prints the team's keys from the database, without
    // credentials (the simulated services are gone by now).
    let listed = tokio::task::spawn_blocking({
        let config = outcome.files.config.clone();
        let cwd = dir.path().to_path_buf();
        move || {
            binary_in(&cwd)
                .args(["keys", "list", "--stored", "--config"])
                .arg(config)
                .output()
        }
    })
    .await
    .expect("the waiting thread ends")
    .expect("the binary starts");
    let (stdout, stderr) = text_of(&listed);
    assert!(listed.status.success(), "keys list fails: {stderr}");
    for key in ["team:mia:r1", "team:olu:r2", "team:lee:r4", "team:ines:r5"] {
        assert!(stdout.contains(key), "keys list shows {key}:\n{stdout}");
    }
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("team:olu:r2") && line.contains("disabled")),
        "{stdout}"
    );
    assert!(
        !stdout.contains("team:sam"),
        "the denied request made no key"
    );
}

/// Accepts connections on 127.0.0.1 and counts them: set as every proxy variable, it catches
/// any HTTP request the demo would send anywhere but 127.0.0.1.
fn the_outside_world() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("the port is known");
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut stream) = stream {
                let mut first = [0u8; 1];
                let _ = stream.read(&mut first);
            }
        }
    });
    (format!("http://{address}"), reached)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_binary_needs_no_config_or_credentials_and_stays_on_the_machine() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (proxy, reached) = the_outside_world();
    let cwd = dir.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = binary_in(&cwd);
        for name in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            command.env(name, &proxy);
        }
        command
            .env("NO_PROXY", "127.0.0.1")
            .env("no_proxy", "127.0.0.1")
            .args(["demo", "--out", "demo-output", "--speed", "0"])
            .output()
    })
    .await
    .expect("the waiting thread ends")
    .expect("the binary starts");
    let (stdout, stderr) = text_of(&output);
    assert!(
        output.status.success(),
        "demo fails:\n{stderr}\n--- stdout ---\n{stdout}"
    );
    assert!(
        !dir.path().join("config.toml").exists(),
        "no config was needed"
    );
    let out = dir.path().join("demo-output");
    for file in [
        "transcript.md",
        "digest.png",
        "digest.csv",
        "demo.db",
        "config.toml",
    ] {
        assert!(out.join(file).is_file(), "{file} is written");
    }
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "the demo tried to reach something beyond 127.0.0.1"
    );
    let config = std::fs::read_to_string(out.join("config.toml")).expect("the config is text");
    assert!(
        !config.contains("sk-or-v1-"),
        "no key in the written config"
    );
    assert!(
        !config.contains("demo-bot-token"),
        "no token in the written config"
    );

    // A config given to the demo would be silently ignored: it is refused instead.
    let refused = binary_in(dir.path())
        .args(["demo", "--config", "mine.toml", "--speed", "0"])
        .output()
        .expect("the binary starts");
    let (_, stderr) = text_of(&refused);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("`demo` does not read --config mine.toml")
            && stderr.contains("without --config"),
        "{stderr}"
    );
}
