//! The command line as an operator meets it: the real binary, started with a cleared environment
//! in a temporary folder holding its config file, against a fake OpenRouter (and, for `check`, a
//! fake Discord) served by the test. The tests assert on what the operator sees (exit code,
//! stdout, stderr), on what reached the fakes, and on what the database holds afterwards.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use fakes::discord::FakeDiscord;
use fakes::openrouter::{self as fake, Endpoint, FakeOpenRouter, Fault, KeySeed};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{KeyHash, ManagementApi, Usage};
use openrouter_team_bot::reset::LimitReset;
use openrouter_team_bot::store::Store;
use openrouter_team_bot::team::MemberName;
use serde_json::Value;
use support::bot::{
    ADMIN_ROLE, ALERTS, APPROVALS, DISCORD_TOKEN, GUILD, MIA, REPORTS, Story, eventually, secret_in,
};
use support::db::TestDb;
use support::openrouter::fake_usage;

const BINARY: &str = env!("CARGO_BIN_EXE_openrouter-team-bot");
const EXAMPLE: &str = include_str!("../config.example.toml");

/// How many keys the seeded account holds: two full `GET /keys` pages and a short one.
const ACCOUNT_KEYS: usize = 250;
/// `openrouter.max_attempts` in the test config.
const MAX_ATTEMPTS: usize = 2;
/// `sync.page_concurrency` as config.example.toml sets it.
const PAGE_CONCURRENCY: usize = 4;

// ----- the config file -----

/// `text` with the setting `key` (the first line that sets it, even commented out) set to
/// `value`, written as TOML.
fn set(text: &str, key: &str, value: &str) -> String {
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let bare = line.trim_start_matches("# ");
            let sets_key = bare
                .split_once('=')
                .is_some_and(|(name, _)| name.trim() == key);
            if sets_key && !found {
                found = true;
                format!("{key} = {value}")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(found, "config.example.toml has no `{key}` line");
    lines.join("\n") + "\n"
}

/// A TOML string.
fn quoted(text: &str) -> String {
    format!("{text:?}")
}

/// config.example.toml pointed at the fake OpenRouter and the database, with a short timeout
/// and two attempts per call so that failures are quick.
fn config_for(openrouter: &FakeOpenRouter, database_url: &str) -> String {
    let text = set(EXAMPLE, "base_url", &quoted(&openrouter.base_url()));
    let text = set(&text, "url", &quoted(database_url));
    let text = set(&text, "timeout", &quoted("2s"));
    set(&text, "max_attempts", &MAX_ATTEMPTS.to_string())
}

/// [`config_for`] with the Discord ids filled in (no Discord to reach: no token is given).
fn config_with_ids(openrouter: &FakeOpenRouter, database_url: &str) -> String {
    let mut text = config_for(openrouter, database_url);
    for (key, value) in [
        ("guild_id", GUILD),
        ("approvals_channel_id", APPROVALS),
        ("alerts_channel_id", ALERTS),
        ("reports_channel_id", REPORTS),
    ] {
        text = set(&text, key, &value.to_string());
    }
    text
}

/// [`config_for`] with the Discord settings of the fake Discord's guild.
fn config_with_discord(
    discord: &FakeDiscord,
    openrouter: &FakeOpenRouter,
    database_url: &str,
) -> String {
    let mut text = config_for(openrouter, database_url);
    for (key, value) in [
        ("guild_id", GUILD.to_string()),
        ("admin_role_ids", format!("[{ADMIN_ROLE}]")),
        ("approvals_channel_id", APPROVALS.to_string()),
        ("alerts_channel_id", ALERTS.to_string()),
        ("reports_channel_id", REPORTS.to_string()),
        ("api_base_url", quoted(discord.api_url())),
    ] {
        text = set(&text, key, &value);
    }
    text
}

// ----- running the binary -----

/// What one run of the binary showed the operator.
struct Run {
    command: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {}\n(exit {:?})\n--- stdout ---\n{}--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Asserts that the command succeeded.
    fn succeeded(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success:\n{self}");
        self.assert_no_panic();
        self
    }

    /// Asserts that the command failed the ordinary way: exit code 1, no panic.
    fn failed(self) -> Run {
        assert_eq!(self.code, Some(1), "expected a failure:\n{self}");
        self.assert_no_panic();
        self
    }

    fn assert_no_panic(&self) {
        assert_ne!(self.code, Some(101), "the binary panicked:\n{self}");
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked:\n{self}"
        );
    }

    /// The `error: ...` line on stderr.
    fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|line| line.starts_with("error: "))
            .unwrap_or_else(|| panic!("no `error:` line:\n{self}"))
    }

    /// The `check` line about `what` (`config`, `database`, `openrouter`, `discord`).
    fn check_line(&self, what: &str) -> &str {
        self.stdout
            .lines()
            .find(|line| line.split_whitespace().nth(1) == Some(what))
            .unwrap_or_else(|| panic!("no `{what}` line:\n{self}"))
    }

    /// Asserts that neither output holds any of `secrets`.
    fn assert_hides(&self, secrets: &[&str]) {
        for secret in secrets {
            assert!(
                !self.stdout.contains(secret) && !self.stderr.contains(secret),
                "{secret:?} was shown:\n{self}"
            );
        }
    }
}

/// The operator's desk: an empty temporary working folder (the config file, when there is one,
/// is `config.toml` in it, the binary's default) and the environment the binary gets: PATH and
/// HOME, plus what the test sets.
struct Operator {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Operator {
    fn without_config() -> Operator {
        Operator {
            dir: tempfile::tempdir().expect("a temporary folder"),
            env: Vec::new(),
        }
    }

    fn with_config(text: &str) -> Operator {
        let operator = Operator::without_config();
        std::fs::write(operator.path("config.toml"), text).expect("the config file is written");
        operator
    }

    fn env(mut self, name: &str, value: &str) -> Operator {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `openrouter-team-bot ARGS` and waits for it to end.
    async fn runs(&self, args: &[&str]) -> Run {
        let mut command = Command::new(BINARY);
        command.args(args).current_dir(self.dir.path()).env_clear();
        for name in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the waiting thread ends")
            .expect("the binary starts");
        Run {
            command: format!("openrouter-team-bot {}", args.join(" ")),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The binary running as the bot (`run`), its stderr collected until it ends.
struct RunningBot {
    child: std::process::Child,
    stderr: std::thread::JoinHandle<String>,
}

impl Operator {
    /// Starts `openrouter-team-bot ARGS` and leaves it running.
    fn starts(&self, args: &[&str]) -> RunningBot {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut child = command.spawn().expect("the binary starts");
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let stderr = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = std::io::Read::read_to_end(&mut pipe, &mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        RunningBot { child, stderr }
    }
}

impl RunningBot {
    /// Waits until the bot has connected to `discord` (`connections` identifies before), or
    /// fails with what it logged if it ended instead.
    async fn connected(mut self, discord: &FakeDiscord, connections: usize) -> RunningBot {
        let exited = eventually("the bot to connect or end", || {
            if discord.identify_payloads().len() > connections {
                return Some(None);
            }
            self.child.try_wait().ok().flatten().map(Some)
        })
        .await;
        if let Some(status) = exited {
            let log = self.stderr.join().unwrap_or_default();
            panic!("the bot ended ({status}) before connecting:\n{log}");
        }
        discord.wait_until_ready().await;
        self
    }

    /// Stops the bot the way a service manager does (SIGTERM) and returns everything it logged.
    async fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        tokio::task::spawn_blocking(move || {
            let _ = self.child.wait();
            self.stderr.join().unwrap_or_default()
        })
        .await
        .expect("the waiting thread ends")
    }
}

// ----- the account -----

fn cents(n: usize) -> Usd {
    Usd::from_micros(n as i64 * 10_000)
}

/// The name of the seeded key number `i` (from 1).
fn key_name(i: usize) -> String {
    format!("team:member{i:03}:r{i}")
}

/// What key number `i` has spent.
fn usage_of(i: usize) -> Usage {
    Usage {
        total: cents(20 * i),
        daily: cents(i),
        weekly: cents(3 * i),
        monthly: cents(10 * i),
    }
}

/// Fills the fake with [`ACCOUNT_KEYS`] keys with spend; every fifth has a daily limit of $10,
/// every fiftieth is disabled. Returns their hashes in order.
fn seed_account(fake: &FakeOpenRouter) -> Vec<KeyHash> {
    (1..=ACCOUNT_KEYS)
        .map(|i| {
            KeyHash(fake.add_key(KeySeed {
                usage: fake_usage(usage_of(i)),
                limit: (i % 5 == 0).then(|| fake::Usd::from_dollars(10)),
                limit_reset: if i % 5 == 0 {
                    fake::LimitReset::Daily
                } else {
                    fake::LimitReset::Never
                },
                disabled: i % 50 == 0,
                ..KeySeed::named(key_name(i))
            }))
        })
        .collect()
}

fn every_key_name() -> BTreeSet<String> {
    (1..=ACCOUNT_KEYS).map(key_name).collect()
}

/// The account's spend today, this week and this month.
fn account_totals() -> (Usd, Usd, Usd) {
    (
        (1..=ACCOUNT_KEYS).map(|i| usage_of(i).daily).sum(),
        (1..=ACCOUNT_KEYS).map(|i| usage_of(i).weekly).sum(),
        (1..=ACCOUNT_KEYS).map(|i| usage_of(i).monthly).sum(),
    )
}

async fn start_openrouter() -> FakeOpenRouter {
    FakeOpenRouter::start()
        .await
        .expect("the fake OpenRouter starts")
}

/// An operator whose config points at `fake` and `db`, with the management key in the
/// environment.
fn operator_for(fake: &FakeOpenRouter, db: &TestDb) -> Operator {
    Operator::with_config(&config_for(fake, &db.url))
        .env("OPENROUTER_MANAGEMENT_KEY", &fake.management_key())
}

/// Links a new member `name` to the key with `hash`, as `/team adopt` would.
async fn link(store: &Store, name: &str, hash: &KeyHash) {
    let member = store
        .add_member(
            &MemberName::parse(name).expect("a valid member name"),
            None,
            Some("basic"),
            Utc::now(),
        )
        .await
        .expect("the member is added");
    assert!(
        store
            .set_key_owner(hash.as_str(), Some(member.id))
            .await
            .expect("the key's owner is set"),
        "the key is stored"
    );
}

/// The `offset` of every `GET /keys` the fake saw, sorted.
fn listed_offsets(fake: &FakeOpenRouter) -> Vec<usize> {
    let mut offsets: Vec<usize> = fake
        .requests_to(Endpoint::ListKeys)
        .iter()
        .map(|r| {
            r.query_param("offset")
                .and_then(|o| o.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    offsets.sort_unstable();
    offsets
}

/// Asserts that the fake was asked for the three pages that hold the 250 keys, each once, and
/// for no more than one batch of pages past the end (there is no total to stop at).
fn assert_listed_three_pages(fake: &FakeOpenRouter) {
    let offsets = listed_offsets(fake);
    let with_keys: Vec<usize> = offsets
        .iter()
        .copied()
        .filter(|o| *o < ACCOUNT_KEYS)
        .collect();
    assert_eq!(with_keys, vec![0, 100, 200], "pages asked for: {offsets:?}");
    assert!(
        offsets.len() <= PAGE_CONCURRENCY,
        "more than one batch of pages: {offsets:?}"
    );
}

// ----- keys list -----

on_each_database!(
    keys_list_shows_every_key_of_the_account_with_its_owner,
    |db| async move {
        let fake = start_openrouter().await;
        let hashes = seed_account(&fake);
        let operator = operator_for(&fake, &db);
        operator.runs(&["sync"]).await.succeeded();
        link(&db.store, "alice", &hashes[6]).await;
        fake.clear_requests();

        let run = operator.runs(&["keys", "list"]).await.succeeded();

        assert_listed_three_pages(&fake);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            [
                "MEMBER", "NAME", "LABEL", "TODAY", "WEEK", "MONTH", "LIMIT", "STATE"
            ],
            "{run}"
        );
        let rows = &lines[1..=ACCOUNT_KEYS];
        let names: BTreeSet<String> = rows
            .iter()
            .filter_map(|row| row.split_whitespace().nth(1))
            .map(str::to_string)
            .collect();
        assert_eq!(names, every_key_name(), "{run}");
        let alice = rows
            .iter()
            .find(|row| row.contains(&key_name(7)))
            .expect("key 7 is listed");
        assert!(alice.starts_with("alice "), "{alice}");
        let limited = rows
            .iter()
            .find(|row| row.contains(&format!("{} ", key_name(50))))
            .expect("key 50 is listed");
        assert!(limited.starts_with("(unowned) "), "{limited}");
        assert!(limited.contains("$10.00 per day"), "{limited}");
        assert!(limited.ends_with("disabled"), "{limited}");

        assert_eq!(lines[ACCOUNT_KEYS + 1], "", "{run}");
        let (day, week, month) = account_totals();
        let footer = lines[ACCOUNT_KEYS + 2];
        assert!(
            footer.starts_with(&format!(
                "250 keys (1 owned by members, 249 unowned); spent today {day}, this week {week}, this month {month}. Live from OpenRouter at "
            )),
            "{footer}"
        );
        assert_eq!(lines.len(), ACCOUNT_KEYS + 3, "{run}");
    }
);

on_each_database!(
    keys_list_as_json_and_csv_holds_every_key_and_the_totals,
    |db| async move {
        let fake = start_openrouter().await;
        let hashes = seed_account(&fake);
        let operator = operator_for(&fake, &db);
        operator.runs(&["sync"]).await.succeeded();
        link(&db.store, "alice", &hashes[6]).await;
        fake.clear_requests();

        let run = operator
            .runs(&["keys", "list", "--format", "json"])
            .await
            .succeeded();
        assert_listed_three_pages(&fake);
        let doc: Value = serde_json::from_str(&run.stdout).expect("the output is JSON");
        let keys = doc["keys"].as_array().expect("a list of keys");
        assert_eq!(keys.len(), ACCOUNT_KEYS);
        let names: BTreeSet<String> = keys
            .iter()
            .filter_map(|k| k["name"].as_str())
            .map(str::to_string)
            .collect();
        assert_eq!(names, every_key_name());
        let owned: Vec<(&str, &str)> = keys
            .iter()
            .filter_map(|k| Some((k["member"].as_str()?, k["name"].as_str()?)))
            .collect();
        assert_eq!(owned, vec![("alice", key_name(7).as_str())]);
        let fifty = keys
            .iter()
            .find(|k| k["name"] == key_name(50).as_str())
            .expect("key 50 is listed");
        assert_eq!(fifty["usage_today_micros"], 500_000);
        assert_eq!(fifty["usage_month_micros"], 5_000_000);
        assert_eq!(fifty["limit_micros"], 10_000_000);
        assert_eq!(fifty["limit_reset"], "daily");
        assert_eq!(fifty["disabled"], true);
        let (day, week, month) = account_totals();
        let totals = &doc["totals"];
        assert_eq!(totals["keys"], ACCOUNT_KEYS);
        assert_eq!(totals["usage_today_micros"], day.micros());
        assert_eq!(totals["usage_week_micros"], week.micros());
        assert_eq!(totals["usage_month_micros"], month.micros());

        let run = operator
            .runs(&["keys", "list", "--format", "csv"])
            .await
            .succeeded();
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), ACCOUNT_KEYS + 1, "{run}");
        assert_eq!(
            lines[0],
            "member,name,label,usage_today_usd,usage_week_usd,usage_month_usd,limit_usd,limit_reset,disabled"
        );
        let names: BTreeSet<String> = lines[1..]
            .iter()
            .filter_map(|line| line.split(',').nth(1))
            .map(str::to_string)
            .collect();
        assert_eq!(names, every_key_name());
        let owned: Vec<&&str> = lines[1..].iter().filter(|l| !l.starts_with(',')).collect();
        assert_eq!(owned.len(), 1, "{run}");
        assert!(
            owned[0].starts_with(&format!("alice,{},", key_name(7))),
            "{run}"
        );
    }
);

on_each_database!(
    keys_list_without_a_management_key_shows_what_the_last_sync_stored,
    |db| async move {
        let fake = start_openrouter().await;
        let hashes = seed_account(&fake);
        operator_for(&fake, &db).runs(&["sync"]).await.succeeded();
        link(&db.store, "alice", &hashes[6]).await;
        fake.clear_requests();

        let operator = Operator::with_config(&config_for(&fake, &db.url));
        let run = operator
            .runs(&["keys", "list", "--format", "csv"])
            .await
            .succeeded();

        assert_eq!(fake.requests().len(), 0, "OpenRouter was asked");
        assert_eq!(run.stdout.lines().count(), ACCOUNT_KEYS + 1, "{run}");
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(&format!("alice,{},", key_name(7)))),
            "{run}"
        );
        assert!(run.stderr.contains("OPENROUTER_MANAGEMENT_KEY"), "{run}");
        assert!(run.stderr.contains("last sync"), "{run}");

        let run = operator.runs(&["keys", "list"]).await.succeeded();
        assert!(
            run.stdout.contains("As stored at the last sync: synced ")
                && run
                    .stdout
                    .contains("today, this week and this month are as of then."),
            "{run}"
        );
    }
);

// ----- sync -----

on_each_database!(
    sync_stores_a_snapshot_of_every_key_and_says_how_many,
    |db| async move {
        let fake = start_openrouter().await;
        let hashes = seed_account(&fake);
        let operator = operator_for(&fake, &db);

        let run = operator.runs(&["sync"]).await.succeeded();

        assert_eq!(run.stdout, "Synced 250 keys from OpenRouter.\n", "{run}");
        assert_listed_three_pages(&fake);
        assert!(
            fake.requests_to(Endpoint::ListKeys)
                .iter()
                .all(|r| r.query_param("include_disabled").as_deref() == Some("true")),
            "disabled keys are listed too"
        );
        let stored = db.store.live_keys().await.expect("the keys are read");
        let names: BTreeSet<String> = stored.iter().map(|k| k.name.clone()).collect();
        assert_eq!(names, every_key_name());
        assert_eq!(
            db.store.snapshot_count().await.unwrap(),
            ACCOUNT_KEYS as i64
        );
        let fifty = db
            .store
            .key(hashes[49].as_str())
            .await
            .unwrap()
            .expect("key 50 is stored");
        assert_eq!(fifty.usage, usage_of(50));
        assert_eq!(fifty.limit, Some(Usd::from_dollars(10)));
        assert_eq!(fifty.reset, LimitReset::Daily);
        assert!(fifty.disabled);

        operator.runs(&["sync"]).await.succeeded();
        assert_eq!(
            db.store.snapshot_count().await.unwrap(),
            2 * ACCOUNT_KEYS as i64,
            "each sync stores one snapshot per key"
        );
    }
);

on_each_database!(
    sync_says_how_many_known_keys_vanished_at_openrouter,
    |db| async move {
        let fake = start_openrouter().await;
        let hashes = seed_account(&fake);
        let operator = operator_for(&fake, &db);
        operator.runs(&["sync"]).await.succeeded();
        let api = support::openrouter::client(&fake.base_url(), &fake.management_key(), |_| {});
        api.delete_key(&hashes[0])
            .await
            .expect("the key is deleted");

        let run = operator.runs(&["sync"]).await.succeeded();
        assert_eq!(
            run.stdout, "Synced 249 keys from OpenRouter; 1 known key no longer exists there.\n",
            "{run}"
        );
        api.delete_key(&hashes[1])
            .await
            .expect("the key is deleted");
        api.delete_key(&hashes[2])
            .await
            .expect("the key is deleted");
        let run = operator.runs(&["sync"]).await.succeeded();
        assert_eq!(
            run.stdout, "Synced 247 keys from OpenRouter; 2 known keys no longer exist there.\n",
            "{run}"
        );
        let stored = db
            .store
            .key(hashes[0].as_str())
            .await
            .unwrap()
            .expect("still stored");
        assert!(
            stored.deleted_at.is_some(),
            "the vanished key is marked deleted"
        );
        assert_eq!(db.store.live_keys().await.unwrap().len(), ACCOUNT_KEYS - 3);
    }
);

on_each_database!(
    a_sync_that_openrouter_keeps_failing_stops_with_a_clear_error_and_writes_nothing,
    |db| async move {
        let fake = start_openrouter().await;
        seed_account(&fake);
        let operator = operator_for(&fake, &db);
        operator.runs(&["sync"]).await.succeeded();
        fake.add_key(KeySeed::named("team:latecomer:r999"));
        fake.fail_always(Endpoint::ListKeys, Fault::status(500));
        fake.clear_requests();

        let run = operator.runs(&["sync"]).await.failed();

        assert_eq!(run.stdout, "", "{run}");
        let error = run.error_line();
        assert!(
            error.contains("listing keys at OpenRouter failed")
                && error.contains("server error (500)"),
            "{run}"
        );
        let attempts = fake.request_count(Endpoint::ListKeys);
        assert!(
            (MAX_ATTEMPTS..=MAX_ATTEMPTS * PAGE_CONCURRENCY).contains(&attempts),
            "{attempts} requests to GET /keys"
        );
        assert_eq!(
            db.store.snapshot_count().await.unwrap(),
            ACCOUNT_KEYS as i64,
            "a failed sync stored snapshots"
        );
        let stored = db.store.live_keys().await.unwrap();
        assert_eq!(stored.len(), ACCOUNT_KEYS, "a failed sync changed the keys");
    }
);

// ----- check -----

on_each_database!(
    check_with_a_regular_key_says_a_management_key_is_needed,
    |db| async move {
        let fake = start_openrouter().await;
        let operator = Operator::with_config(&config_with_ids(&fake, &db.url))
            .env("OPENROUTER_MANAGEMENT_KEY", &fake.regular_key());

        let run = operator.runs(&["check"]).await.failed();

        let line = run.check_line("openrouter");
        assert!(line.starts_with("FAIL  openrouter  "), "{run}");
        assert!(line.contains("regular API key"), "{run}");
        assert!(line.contains("management key"), "{run}");
        assert!(
            line.contains("https://openrouter.ai/settings/management-keys"),
            "{run}"
        );
        assert_eq!(fake.request_count(Endpoint::CurrentKey), 1);

        let run = operator.runs(&["sync"]).await.failed();
        let error = run.error_line();
        assert!(
            error.contains("403") && error.contains("management key"),
            "{run}"
        );
        assert_eq!(db.store.snapshot_count().await.unwrap(), 0);
    }
);

on_each_database!(
    check_with_both_credentials_passes_every_line,
    |db| async move {
        let fake = start_openrouter().await;
        let discord = FakeDiscord::start(support::bot::guild())
            .await
            .expect("the fake Discord starts");
        let operator = Operator::with_config(&config_with_discord(&discord, &fake, &db.url))
            .env("OPENROUTER_MANAGEMENT_KEY", &fake.management_key())
            .env("DISCORD_TOKEN", DISCORD_TOKEN);

        // Before the first start the tier's guardrail does not exist yet: a warning, not a failure.
        let first = operator.runs(&["check"]).await.succeeded();
        assert!(
            first
                .check_line("guardrails")
                .contains("tier basic has no guardrail yet"),
            "{first}"
        );
        assert!(first.stdout.contains("WARN  guardrails"), "{first}");
        fake.add_guardrail(
            "team:tier:basic",
            Some(vec![
                "meta-llama/llama-3.1-8b-instruct".to_string(),
                "openai/gpt-4o-mini".to_string(),
            ]),
        );

        let run = operator.runs(&["check"]).await.succeeded();

        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), 5, "{run}");
        assert!(lines.iter().all(|l| l.starts_with("ok    ")), "{run}");
        assert!(
            run.check_line("guardrails")
                .contains("the guardrails of all 1 tiers with an allowlist match the config"),
            "{run}"
        );
        assert!(
            run.check_line("config")
                .contains("config.toml (3 tiers; new members get basic)"),
            "{run}"
        );
        assert!(
            run.check_line("openrouter").contains("management key"),
            "{run}"
        );
        assert!(run.check_line("discord").contains("Acme AI"), "{run}");
        assert_eq!(fake.request_count(Endpoint::CurrentKey), 2);
    }
);

#[tokio::test]
async fn check_of_the_example_config_without_credentials_names_both_variables() {
    let operator = Operator::without_config();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let example = example.to_str().expect("a UTF-8 path");

    let run = operator
        .runs(&["check", "--config", example])
        .await
        .failed();

    // Every id still 0 is named at once, and nothing is contacted before they are filled in.
    assert!(
        run.check_line("config").starts_with(
            "FAIL  config      `discord.guild_id`, `discord.approvals_channel_id`, `discord.alerts_channel_id` and `discord.reports_channel_id` are still 0 in the config file"
        ),
        "{run}"
    );
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some("database")),
        "the database is not opened before the ids are filled in: {run}"
    );
    let openrouter = run.check_line("openrouter");
    assert!(
        openrouter.starts_with("FAIL  openrouter  `OPENROUTER_MANAGEMENT_KEY` is not set"),
        "{run}"
    );
    assert!(
        openrouter.contains("https://openrouter.ai/settings/management-keys"),
        "{run}"
    );
    assert!(
        run.check_line("discord")
            .starts_with("FAIL  discord     `DISCORD_TOKEN` is not set"),
        "{run}"
    );
    assert_eq!(run.error_line(), "error: 3 of 3 checks failed", "{run}");
    let left_behind: Vec<_> = std::fs::read_dir(operator.dir.path())
        .expect("the folder is readable")
        .collect();
    assert!(left_behind.is_empty(), "check created {left_behind:?}");
}

// ----- bad input -----

/// Runs `args` with a config file holding `text` and the management key set, and returns the
/// run after checking it failed with a single error naming every one of `expected`.
async fn refused(text: &str, args: &[&str], expected: &[&str]) -> Run {
    let operator = Operator::with_config(text).env(
        "OPENROUTER_MANAGEMENT_KEY",
        fakes::openrouter::DEFAULT_MANAGEMENT_KEY,
    );
    let run = operator.runs(args).await.failed();
    let shown = if args[0] == "check" {
        run.check_line("config")
    } else {
        run.error_line()
    };
    for part in expected {
        assert!(shown.contains(part), "{part:?} is not named:\n{run}");
    }
    run
}

#[tokio::test]
async fn invalid_settings_are_refused_with_the_setting_named() {
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            EXAMPLE.replace("[openrouter]\n", "[openrouter]\nkey_prefix = \"acme\"\n"),
            vec![
                "setting `openrouter.key_prefix`",
                "unknown field `key_prefix`",
                "key_name_prefix",
            ],
        ),
        (
            set(EXAMPLE, "limit_usd", "-5.0"),
            vec!["tiers.basic.limit_usd", "negative"],
        ),
        (
            set(EXAMPLE, "timezone", &quoted("Mars/Olympus")),
            vec![
                "reports.timezone",
                "\"Mars/Olympus\" is not an IANA time zone name",
            ],
        ),
        (
            set(EXAMPLE, "thresholds", "[0, 80, 100]"),
            vec!["alerts.thresholds", "0 is not a percentage from 1 to 100"],
        ),
        // Day counts so large that the dates computed from them overflowed in the running bot.
        (
            set(EXAMPLE, "request_expiry_days", "100000000"),
            vec![
                "lifecycle.request_expiry_days",
                "100000000 is out of range (1 to 365 days)",
            ],
        ),
        (
            set(EXAMPLE, "key_expiry_days", "100000000"),
            vec![
                "lifecycle.key_expiry_days",
                "100000000 is out of range (0 to 3650 days",
            ],
        ),
        (
            set(EXAMPLE, "idle_key_days", "9223372036854775807"),
            vec![
                "lifecycle.idle_key_days",
                "9223372036854775807 is out of range (1 to 3650 days)",
            ],
        ),
        (
            set(EXAMPLE, "snapshot_retention_days", "9223372036854775807"),
            vec![
                "sync.snapshot_retention_days",
                "9223372036854775807 is out of range (15 to 3650 days",
            ],
        ),
    ];
    for (text, expected) in &cases {
        for args in [&["sync"][..], &["keys", "list"], &["migrate"], &["check"]] {
            let run = refused(text, args, expected).await;
            if args[0] != "check" {
                assert_eq!(run.stdout, "", "{run}");
                assert!(run.error_line().contains(expected[0]), "{run}");
            }
        }
    }
}

#[tokio::test]
async fn a_missing_config_file_is_named() {
    let operator = Operator::without_config();

    let run = operator.runs(&["sync"]).await.failed();
    let error = run.error_line();
    assert!(
        error.starts_with("error: cannot read the config file config.toml"),
        "{run}"
    );
    assert!(error.contains("config.example.toml"), "{run}");

    let run = operator
        .runs(&["keys", "list", "--config", "elsewhere.toml"])
        .await
        .failed();
    assert!(
        run.error_line()
            .starts_with("error: cannot read the config file elsewhere.toml"),
        "{run}"
    );
}

#[tokio::test]
async fn an_unknown_output_format_is_refused_with_the_choices() {
    let operator = Operator::with_config(EXAMPLE);

    let run = operator.runs(&["keys", "list", "--format", "xml"]).await;

    assert_eq!(run.code, Some(2), "{run}");
    run.assert_no_panic();
    assert!(
        run.stderr
            .contains("invalid value 'xml' for '--format <FORMAT>'"),
        "{run}"
    );
    assert!(run.stderr.contains("table, json, csv"), "{run}");
}

/// An operator whose config points at `fake` and whose `DATABASE_URL` is `url`.
fn operator_with_database_url(fake: &FakeOpenRouter, url: &str) -> Operator {
    Operator::with_config(&config_with_ids(fake, "sqlite://overridden.db"))
        .env("OPENROUTER_MANAGEMENT_KEY", &fake.management_key())
        .env("DATABASE_URL", url)
}

/// Asserts that every command that needs the database at `url` fails naming it and
/// `DATABASE_URL`, with `cause` in the message, before it asks OpenRouter for anything, and that
/// `check` reports it on its database line. Returns that line.
async fn assert_database_refused(
    operator: &Operator,
    fake: &FakeOpenRouter,
    url: &str,
    cause: &str,
) -> String {
    for args in [
        &["migrate"][..],
        &["sync"],
        &["keys", "list"],
        &["keys", "list", "--stored"],
    ] {
        let run = operator.runs(args).await.failed();
        let error = run.error_line();
        if args[0] == "keys" && error.starts_with("error: there is no database at ") {
            // `keys list` only reads what the bot recorded: a file that does not exist is
            // named as missing rather than created.
            assert!(url.starts_with("sqlite:"), "{run}");
            assert!(error.contains("(set by DATABASE_URL)"), "{run}");
            continue;
        }
        assert!(
            error.starts_with(&format!(
                "error: cannot open the database {url} (set by DATABASE_URL): "
            )),
            "{run}"
        );
        assert!(error.contains(cause), "{run}");
    }
    assert_eq!(fake.request_count(Endpoint::ListKeys), 0);
    let run = operator.runs(&["check"]).await.failed();
    assert!(run.check_line("openrouter").starts_with("ok "), "{run}");
    let line = run.check_line("database");
    assert!(line.starts_with("FAIL  database    "), "{run}");
    assert!(line.contains("DATABASE_URL"), "{run}");
    line.to_string()
}

#[tokio::test]
async fn an_unreachable_postgres_server_is_named_with_its_setting() {
    let fake = start_openrouter().await;
    let url = "postgres://postgres@127.0.0.1:1/team";
    let operator = operator_with_database_url(&fake, url);

    let line = assert_database_refused(&operator, &fake, url, "Connection refused").await;

    assert!(line.contains("Connection refused"), "{line}");
}

#[tokio::test]
async fn an_sqlite_file_that_cannot_be_created_is_named_with_its_setting() {
    let fake = start_openrouter().await;
    let operator = Operator::without_config();
    // A file where the database's folder should be: no one can create the database there.
    std::fs::write(operator.path("not-a-folder"), "").expect("the file is written");
    let url = format!(
        "sqlite://{}",
        operator.path("not-a-folder/team.db").display()
    );
    let operator = operator_with_database_url(&fake, &url);

    let line =
        assert_database_refused(&operator, &fake, &url, "unable to open database file").await;

    assert!(line.contains("not-a-folder is not a folder"), "{line}");
}

// ----- secrets -----

/// An OpenRouter error body that quotes `key`, as a careless proxy might.
fn echoing(status: u16, key: &str) -> Fault {
    Fault::Body {
        status,
        body: serde_json::json!({
            "error": {"code": status, "message": format!("No access for Bearer {key}")}
        })
        .to_string(),
    }
}

/// Asserts every line on stderr is a JSON object.
fn assert_json_lines(run: &Run) {
    for line in run.stderr.lines().filter(|l| !l.trim().is_empty()) {
        let parsed: Result<Value, _> = serde_json::from_str(line);
        assert!(
            parsed.as_ref().is_ok_and(Value::is_object),
            "not a JSON line: {line}\n{run}"
        );
    }
}

on_each_database!(
    secrets_stay_out_of_every_output_even_at_trace_level,
    |db| async move {
        let fake = start_openrouter().await;
        seed_account(&fake);
        let discord = FakeDiscord::start(support::bot::guild())
            .await
            .expect("the fake Discord starts");
        let key = fake.management_key();
        assert!(key.starts_with("sk-or-v1-"));
        let secrets = [key.as_str(), &key["sk-or-v1-".len()..][..24], DISCORD_TOKEN];
        let operator = Operator::with_config(&config_with_discord(&discord, &fake, &db.url))
            .env("OPENROUTER_MANAGEMENT_KEY", &key)
            .env("DISCORD_TOKEN", DISCORD_TOKEN)
            .env("RUST_LOG", "trace");

        for format in ["text", "json"] {
            let runs = [
                operator
                    .runs(&["sync", "--log-format", format])
                    .await
                    .succeeded(),
                {
                    // Retried, then answered.
                    fake.fail_next(Endpoint::ListKeys, 1, echoing(503, &key));
                    operator
                        .runs(&["keys", "list", "--log-format", format])
                        .await
                        .succeeded()
                },
                {
                    fake.fail_always(Endpoint::ListKeys, echoing(401, &key));
                    let run = operator
                        .runs(&["sync", "--log-format", format])
                        .await
                        .failed();
                    fake.clear_faults();
                    assert!(run.stderr.contains("[redacted]"), "{run}");
                    run
                },
                {
                    // Every page fails: requests still in flight from the previous command
                    // cannot use the fault up.
                    fake.fail_always(
                        Endpoint::ListKeys,
                        Fault::Body {
                            status: 400,
                            body: format!("<html>bad request from {key}</html>"),
                        },
                    );
                    let run = operator
                        .runs(&["keys", "list", "--format", "json", "--log-format", format])
                        .await
                        .failed();
                    fake.clear_faults();
                    run
                },
                operator
                    .runs(&["check", "--log-format", format])
                    .await
                    .succeeded(),
                {
                    fake.fail_next(Endpoint::CurrentKey, 1, echoing(401, &key));
                    let run = operator
                        .runs(&["check", "--log-format", format])
                        .await
                        .failed();
                    assert!(run.check_line("openrouter").contains("[redacted]"), "{run}");
                    run
                },
            ];
            for run in &runs {
                run.assert_hides(&secrets);
                assert!(
                    run.stderr.contains("TRACE") || run.stderr.contains("\"level\":\"TRACE\""),
                    "nothing was logged at trace level:\n{run}"
                );
                if format == "json" {
                    assert_json_lines(run);
                }
            }
        }
    }
);

/// Every `RUST_LOG` an operator might set to see more.
const LOG_LEVELS: [&str; 6] = [
    "info",
    "debug",
    "trace",
    "serenity=trace",
    "reqwest=trace",
    "hyper=trace",
];

on_each_database!(
    no_log_level_shows_a_revealed_rotated_or_revoked_key,
    |db| async move {
        let fake = start_openrouter().await;
        let discord = FakeDiscord::start(support::bot::guild())
            .await
            .expect("the fake Discord starts");
        let story = Story(&discord);
        let management_key = fake.management_key();
        let mut name = Some("mia");
        for level in LOG_LEVELS {
            let connections = discord.identify_payloads().len();
            let bot = Operator::with_config(&config_with_discord(&discord, &fake, &db.url))
                .env("OPENROUTER_MANAGEMENT_KEY", &management_key)
                .env("DISCORD_TOKEN", DISCORD_TOKEN)
                .env("RUST_LOG", level)
                .starts(&["run"])
                .connected(&discord, connections)
                .await;

            let revealed = story.member_gets_key_as(MIA, name.take()).await;
            let card = story.mykey(MIA).await;
            let rotated = story.clicks_and_sees(MIA, &card, "Rotate").await;
            let rotated = secret_in(&rotated.text())
                .unwrap_or_else(|| panic!("no new key in {:?}", rotated.text()));
            let card = story.mykey(MIA).await;
            let ask = story.clicks_and_sees(MIA, &card, "Revoke").await;
            let confirm = ask.message.expect("a confirmation message");
            let done = story
                .clicks_and_sees(MIA, &confirm, "Yes, revoke my key")
                .await;
            assert!(done.text().contains("Revoked"), "{}", done.text());
            let log = bot.stop().await;

            assert!(!log.is_empty(), "RUST_LOG={level} logged nothing");
            if let Some(shown) = ["TRACE", "DEBUG"]
                .iter()
                .find(|l| level.contains(&l.to_lowercase()))
            {
                assert!(
                    log.contains(shown),
                    "RUST_LOG={level} logged no {shown} line:\n{log}"
                );
            }
            support::logs::assert_hidden(
                &log,
                &[&revealed, &rotated, &management_key, DISCORD_TOKEN],
                &format!("RUST_LOG={level}"),
            );
        }
    }
);

// ----- migrate -----

on_each_database!(
    empty migrate_creates_the_schema_says_so_and_can_run_again,
    |db| async move {
        assert!(db.store.members().await.is_err(), "the schema exists already");
        let operator = Operator::with_config(&set(EXAMPLE, "url", &quoted(&db.url)));

        let run = operator.runs(&["migrate"]).await.succeeded();
        assert!(
            run.stdout
                .starts_with(&format!("Created the database schema in {} (", db.url)),
            "{run}"
        );
        assert!(run.stdout.ends_with(" applied).\n"), "{run}");
        assert!(db.store.members().await.unwrap().is_empty());
        assert_eq!(db.store.snapshot_count().await.unwrap(), 0);

        let run = operator.runs(&["migrate"]).await.succeeded();
        assert_eq!(
            run.stdout,
            format!(
                "The database schema is up to date ({}); nothing to do.\n",
                db.url
            ),
            "{run}"
        );
        assert_eq!(db.store.snapshot_count().await.unwrap(), 0);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_database_file_is_created_with_a_warning_and_not_silently() {
    let fake = start_openrouter().await;
    seed_account(&fake);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("team.db").display());
    let operator = Operator::with_config(&config_for(&fake, &url))
        .env("OPENROUTER_MANAGEMENT_KEY", &fake.management_key());

    let first = operator.runs(&["sync"]).await.succeeded();
    assert!(
        first.stderr.contains("created a new, empty database"),
        "{first}"
    );
    let again = operator.runs(&["sync"]).await.succeeded();
    assert!(
        !again.stderr.contains("created a new, empty database"),
        "{again}"
    );
}

#[tokio::test]
async fn a_malformed_database_url_is_named_as_the_environment_variable() {
    let fake = start_openrouter().await;
    let operator = operator_with_database_url(&fake, "mysql://db.internal/team");
    let run = operator.runs(&["check"]).await.failed();
    assert!(
        run.check_line("config")
            .contains("setting `DATABASE_URL`: must start with sqlite://"),
        "{run}"
    );
    assert_eq!(
        run.error_line(),
        "error: the environment variable DATABASE_URL has a problem (see above)",
        "{run}"
    );
    assert_eq!(fake.request_count(Endpoint::ListKeys), 0);
}
