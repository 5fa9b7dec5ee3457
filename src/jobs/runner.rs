//! The job runner: every tick, each job's due run is claimed in the database and, if this
//! instance won the claim, run. A job that fails is logged (and, if it may, retried next tick);
//! a job that panics is logged and the runner carries on.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::notifier::{Directory, Notifier};
use super::schedule::{Due, Schedule};
use crate::config::{AlertSettings, LifecycleSettings, ReportSettings, SyncSettings};
use crate::domain::KeyListing;
use crate::team::Team;
use crate::team::digest::DigestSettings;

/// Settings the jobs read (built from the configuration in `app`).
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// `[alerts]`: budget thresholds, credits floor, spikes.
    pub alerts: AlertSettings,
    /// `[sync]`: how often usage is read, and how long snapshots are kept.
    pub sync: SyncSettings,
    /// `[reports]`: when the weekly digest is due.
    pub reports: ReportSettings,
    /// `[lifecycle]`: expiry, rotation and idle-key rules.
    pub lifecycle: LifecycleSettings,
    /// Which keys a sync lists.
    pub listing: KeyListing,
    /// What the weekly digest is built with.
    pub digest: DigestSettings,
}

/// What every job can use.
pub struct JobContext {
    pub team: Team,
    pub notifier: Arc<dyn Notifier>,
    pub directory: Arc<dyn Directory>,
    pub settings: JobSettings,
}

/// A failed run.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    pub message: String,
    /// Whether the run should be tried again at the next tick (its claim is released).
    pub retry: bool,
}

impl JobError {
    pub fn retry(error: impl std::fmt::Display) -> JobError {
        JobError {
            message: error.to_string(),
            retry: true,
        }
    }
}

/// How a run ended, for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub summary: String,
    /// The message the run posted, if any.
    pub message_id: Option<i64>,
}

impl From<String> for Outcome {
    fn from(summary: String) -> Outcome {
        Outcome {
            summary,
            message_id: None,
        }
    }
}

/// One kind of scheduled work.
#[async_trait]
pub trait Job: Send + Sync + 'static {
    /// The name runs are recorded under.
    fn name(&self) -> &'static str;
    fn schedule(&self, settings: &JobSettings) -> Schedule;
    /// Does the work; returns a short description of the outcome for the record.
    async fn run(&self, context: &JobContext, due: &Due) -> Result<Outcome, JobError>;
}

/// What one tick did with one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub job: &'static str,
    pub period: String,
    pub outcome: String,
}

/// Runs the jobs.
pub struct Runner {
    jobs: Vec<Arc<dyn Job>>,
    context: Arc<JobContext>,
    instance: String,
}

impl Runner {
    pub fn new(jobs: Vec<Arc<dyn Job>>, context: JobContext) -> Runner {
        Runner {
            jobs,
            context: Arc::new(context),
            instance: format!("{}-{}", std::process::id(), fastrand::u32(..)),
        }
    }

    /// What the jobs run with.
    pub fn context(&self) -> &JobContext {
        &self.context
    }

    /// Runs every job that is due now and not yet claimed. Returns what ran.
    pub async fn tick(&self) -> Vec<RunReport> {
        let mut reports = Vec::new();
        for job in &self.jobs {
            if let Some(report) = self.run_if_due(job.clone()).await {
                reports.push(report);
            }
        }
        reports
    }

    /// Runs the job named `name` now, even when its current period already ran, and records the
    /// run as that period's, so the next tick does not repeat it. `None` for an unknown name.
    pub async fn run_now(&self, name: &str) -> Option<Result<Outcome, JobError>> {
        let job = self.jobs.iter().find(|j| j.name() == name)?.clone();
        let team = &self.context.team;
        let now = team.now();
        let due = job.schedule(&self.context.settings).due(now);
        let claimed = match team
            .claim_job_run(name, &due.period, &self.instance, now)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(job = name, error = %e, "could not claim a job run; running it anyway");
                false
            }
        };
        let result = job.run(&self.context, &due).await;
        if claimed {
            match &result {
                Ok(outcome) => self.record_finished(name, &due.period, outcome).await,
                // A failed run is left to the next tick.
                Err(_) => {
                    if let Err(e) = team.release_job_run(name, &due.period).await {
                        tracing::warn!(job = name, error = %e, "could not release a failed run");
                    }
                }
            }
        }
        Some(result)
    }

    async fn run_if_due(&self, job: Arc<dyn Job>) -> Option<RunReport> {
        let team = &self.context.team;
        let now = self.context.team.now();
        let due = job.schedule(&self.context.settings).due(now);
        let name = job.name();
        match team
            .claim_job_run(name, &due.period, &self.instance, now)
            .await
        {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::warn!(job = name, error = %e, "could not claim a job run; trying next tick");
                return None;
            }
        }
        let outcome = if due.skip {
            tracing::warn!(
                job = name,
                period = %due.period,
                scheduled_at = %due.scheduled_at,
                "skipped a run missed while the bot was down (past the catch-up grace)"
            );
            Outcome::from("skipped: missed while the bot was down".to_string())
        } else {
            let context = self.context.clone();
            let running = job.clone();
            let run_due = due.clone();
            // A separate task turns a panic into an error instead of ending the runner.
            let result = tokio::spawn(async move { running.run(&context, &run_due).await }).await;
            match result {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(error)) if error.retry => {
                    tracing::warn!(job = name, period = %due.period, error = %error, "job failed; it will be retried");
                    if let Err(e) = team.release_job_run(name, &due.period).await {
                        tracing::error!(job = name, error = %e, "could not release a failed run");
                    }
                    return Some(RunReport {
                        job: name,
                        period: due.period,
                        outcome: format!("failed: {error}"),
                    });
                }
                Ok(Err(error)) => {
                    tracing::error!(job = name, period = %due.period, error = %error, "job failed");
                    Outcome::from(format!("failed: {error}"))
                }
                Err(panic) => {
                    tracing::error!(job = name, period = %due.period, error = %panic, "job panicked; carrying on");
                    if let Err(e) = team.release_job_run(name, &due.period).await {
                        tracing::error!(job = name, error = %e, "could not release a failed run");
                    }
                    return Some(RunReport {
                        job: name,
                        period: due.period,
                        outcome: "panicked".into(),
                    });
                }
            }
        };
        self.record_finished(name, &due.period, &outcome).await;
        Some(RunReport {
            job: name,
            period: due.period,
            outcome: outcome.summary,
        })
    }

    async fn record_finished(&self, name: &str, period: &str, outcome: &Outcome) {
        let team = &self.context.team;
        if let Err(e) = team
            .finish_job_run(
                name,
                period,
                &outcome.summary,
                outcome.message_id,
                team.now(),
            )
            .await
        {
            tracing::warn!(job = name, error = %e, "could not record a finished run");
        }
    }

    /// Ticks every `every` until the task is aborted. The first tick is immediate, so runs
    /// missed while the bot was down are caught up at start-up.
    pub fn spawn(self: Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                self.tick().await;
            }
        })
    }
}
