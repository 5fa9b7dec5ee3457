//! The job runner: claims in the database make every run happen once, failures are retried,
//! panics do not stop the runner, and missed weekly runs are caught up or skipped.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use fakes::openrouter::{Endpoint, FakeOpenRouter, Fault};
use openrouter_team_bot::app;
use openrouter_team_bot::clock::ManualClock;
use openrouter_team_bot::config::Config;
use openrouter_team_bot::jobs::{
    Directory, Due, Job, JobContext, JobError, JobSettings, Notifier, Outcome, Runner, Schedule,
    standard_jobs,
};
use openrouter_team_bot::openrouter::{ClientSettings, HttpManagementApi};
use openrouter_team_bot::store::Store;
use openrouter_team_bot::team::TopUp;
use openrouter_team_bot::team::budget_alerts::BudgetAlert;
use openrouter_team_bot::team::credit_and_spike_alerts::{CreditsLow, Spike};
use openrouter_team_bot::team::lifecycle::Departure;
use openrouter_team_bot::team::pace_alerts::PaceAlert;
use openrouter_team_bot::team::reminders::KeyReminder;
use openrouter_team_bot::team::{DiscordId, KeyRequest, Silent, Team};
use secrecy::SecretString;
use std::collections::HashSet;

/// Announcements, counted.
#[derive(Default)]
struct Counted {
    alerts: AtomicUsize,
}

#[async_trait]
impl Notifier for Counted {
    async fn budget_alerts(&self, alerts: &[BudgetAlert]) {
        self.alerts.fetch_add(alerts.len(), Ordering::SeqCst);
    }
    async fn pace_alert(&self, _alert: &PaceAlert) {
        self.alerts.fetch_add(1, Ordering::SeqCst);
    }
    async fn requests_expired(&self, _expired: &[KeyRequest]) {}
    async fn top_ups_reverted(&self, _reverted: &[TopUp]) {}
    async fn credits_low(&self, _notice: &CreditsLow) {}
    async fn spike(&self, _spike: &Spike) {}
    async fn key_reminder(&self, _reminder: &KeyReminder) {}
    async fn departed(&self, _departures: &[Departure]) {}
    async fn database_vanished(&self, _path: &std::path::Path) {}
    async fn weekly_digest(
        &self,
        _digest: &openrouter_team_bot::team::digest::Digest,
        _chart: Option<&openrouter_team_bot::report::DigestChart>,
        _nonce: &str,
    ) -> Result<Option<i64>, String> {
        Ok(None)
    }
}

#[async_trait]
impl Directory for Counted {
    async fn member_ids(&self) -> Result<HashSet<DiscordId>, String> {
        Ok(HashSet::new())
    }
}

const CONFIG: &str = r#"
default_tier = "basic"
[tiers.basic]
limit_usd = 10.0
[reports]
weekly = "Mon 09:00"
timezone = "Europe/Berlin"
catch_up_grace = "24h"
"#;

struct World {
    clock: Arc<ManualClock>,
    openrouter: FakeOpenRouter,
    config: Config,
}

impl World {
    async fn new() -> World {
        let openrouter = FakeOpenRouter::start().await.unwrap();
        World {
            // Monday 30 November 2026, 10:00 in Berlin.
            clock: Arc::new(ManualClock::new(
                Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
            )),
            openrouter,
            config: Config::parse(CONFIG, |_| None).unwrap(),
        }
    }

    fn runner(&self, store: &Store, jobs: Vec<Arc<dyn Job>>) -> Runner {
        let mut settings = ClientSettings::new(
            self.openrouter.base_url(),
            SecretString::from(self.openrouter.management_key()),
        );
        settings.max_attempts = 2;
        settings.initial_backoff = Duration::from_millis(1);
        settings.timeout = Duration::from_secs(2);
        let team = Team::new(
            store.clone(),
            Arc::new(HttpManagementApi::new(settings).unwrap()),
            app::team_rules(&self.config),
            self.clock.clone(),
            Arc::new(Silent),
        );
        Runner::new(
            jobs,
            JobContext {
                team,
                notifier: Arc::new(Counted::default()),
                directory: Arc::new(Counted::default()),
                settings: app::job_settings(&self.config),
            },
        )
    }
}

/// A job that counts its runs and records whether each was late.
struct Counting {
    name: &'static str,
    schedule: Schedule,
    runs: AtomicUsize,
    late: AtomicUsize,
}

impl Counting {
    fn new(name: &'static str, schedule: Schedule) -> Arc<Counting> {
        Arc::new(Counting {
            name,
            schedule,
            runs: AtomicUsize::new(0),
            late: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl Job for Counting {
    fn name(&self) -> &'static str {
        self.name
    }
    fn schedule(&self, _settings: &JobSettings) -> Schedule {
        self.schedule.clone()
    }
    async fn run(&self, _context: &JobContext, due: &Due) -> Result<Outcome, JobError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if due.late {
            self.late.fetch_add(1, Ordering::SeqCst);
        }
        Ok(format!("ran for {}", due.period).into())
    }
}

struct Panicking;

#[async_trait]
impl Job for Panicking {
    fn name(&self) -> &'static str {
        "panicking"
    }
    fn schedule(&self, _settings: &JobSettings) -> Schedule {
        Schedule::Every(Duration::from_secs(60))
    }
    async fn run(&self, _context: &JobContext, _due: &Due) -> Result<Outcome, JobError> {
        panic!("a bug in a job");
    }
}

fn weekly() -> Schedule {
    Schedule::Weekly {
        at: openrouter_team_bot::config::WeeklySchedule::parse("Mon 09:00").unwrap(),
        timezone: "Europe/Berlin".parse().unwrap(),
        grace: Duration::from_secs(24 * 3600),
    }
}

on_each_database!(a_panicking_job_does_not_stop_the_others, |db| async move {
    let world = World::new().await;
    let counting = Counting::new("counting", Schedule::Every(Duration::from_secs(60)));
    let runner = world.runner(&db.store, vec![Arc::new(Panicking), counting.clone()]);
    let first = runner.tick().await;
    assert_eq!(
        first.iter().find(|r| r.job == "panicking").unwrap().outcome,
        "panicked"
    );
    assert_eq!(counting.runs.load(Ordering::SeqCst), 1);
    // The panicked run is released and tried again; the finished one is not repeated.
    let second = runner.tick().await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].job, "panicking");
    assert_eq!(counting.runs.load(Ordering::SeqCst), 1);
});

on_each_database!(
    a_failed_sync_writes_nothing_and_is_retried_next_tick,
    |db| async move {
        let world = World::new().await;
        world.openrouter.seed_keys(250, "team:member");
        // One page of keys arrives, every other page fails.
        world
            .openrouter
            .fail_next(Endpoint::ListKeys, 1, Fault::Delay(Duration::ZERO));
        world
            .openrouter
            .fail_always(Endpoint::ListKeys, Fault::status(500));
        let runner = world.runner(&db.store, standard_jobs());
        let failed = runner.tick().await;
        let sync = failed
            .iter()
            .find(|r| r.job == "sync")
            .expect("the sync ran");
        assert!(sync.outcome.starts_with("failed"), "{}", sync.outcome);
        assert_eq!(db.store.snapshot_count().await.unwrap(), 0);
        assert!(db.store.live_keys().await.unwrap().is_empty());

        world.openrouter.clear_faults();
        let retried = runner.tick().await;
        let sync = retried
            .iter()
            .find(|r| r.job == "sync")
            .expect("the same period runs again");
        assert_eq!(sync.outcome, "250 keys synced, 0 alerts");
        assert_eq!(db.store.snapshot_count().await.unwrap(), 250);
        assert!(
            runner.tick().await.iter().all(|r| r.job != "sync"),
            "once done, not again"
        );
    }
);

on_each_database!(
    two_instances_run_a_weekly_job_once_between_them,
    |db| async move {
        let world = World::new().await;
        let other_store = Store::connect(&db.url, 2).await.unwrap();
        let job = Counting::new("weekly_digest", weekly());
        let one = world.runner(&db.store, vec![job.clone()]);
        let two = world.runner(&other_store, vec![job.clone()]);
        let (a, b) = tokio::join!(one.tick(), two.tick());
        assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
        assert_eq!(job.runs.load(Ordering::SeqCst), 1);
        assert_eq!(
            job.late.load(Ordering::SeqCst),
            1,
            "10:00 is an hour after 09:00: late"
        );
        other_store.close().await;
    }
);

on_each_database!(
    a_weekly_run_missed_by_more_than_the_grace_is_skipped,
    |db| async move {
        let world = World::new().await;
        // Wednesday 2 December, 11:00 in Berlin: Monday's run is 50 hours old.
        world
            .clock
            .set(Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap());
        let job = Counting::new("weekly_digest", weekly());
        let runner = world.runner(&db.store, vec![job.clone()]);
        let reports = runner.tick().await;
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].period, "2026-W48");
        assert!(
            reports[0].outcome.starts_with("skipped"),
            "{}",
            reports[0].outcome
        );
        assert_eq!(job.runs.load(Ordering::SeqCst), 0);
        assert!(
            runner.tick().await.is_empty(),
            "a skipped run is not retried"
        );
    }
);
