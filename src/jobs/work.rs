//! The bot's scheduled jobs: usage sync with budget alerts, housekeeping (expiry, top-up
//! reverts), team checks (credits, spikes) and pruning.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::runner::{Job, JobContext, JobError, JobSettings, Outcome};
use super::schedule::{Due, Schedule};
use crate::clock::{days, earlier_by};
use crate::domain::count_len;
use crate::team::credit_and_spike_alerts::WarningLevels;

/// Every job the bot runs.
pub fn standard_jobs() -> Vec<Arc<dyn Job>> {
    vec![
        Arc::new(Housekeeping::default()),
        Arc::new(SyncUsage),
        Arc::new(TeamChecks),
        Arc::new(KeyReminders),
        Arc::new(MemberReconcile),
        Arc::new(WeeklyDigest),
        Arc::new(Prune),
    ]
}

/// Lists every key, stores a snapshot of each, then announces budget thresholds newly crossed.
pub struct SyncUsage;

#[async_trait]
impl Job for SyncUsage {
    fn name(&self) -> &'static str {
        "sync"
    }

    fn schedule(&self, settings: &JobSettings) -> Schedule {
        Schedule::Every(settings.sync.interval)
    }

    async fn run(&self, context: &JobContext, _due: &Due) -> Result<Outcome, JobError> {
        let team = &context.team;
        let summary = team
            .sync_usage(&context.settings.listing)
            .await
            .map_err(JobError::retry)?;
        // The snapshot is stored; a failure from here on is not a reason to sync again.
        let alerts = match team
            .due_budget_alerts(&context.settings.alerts.thresholds)
            .await
        {
            Ok(alerts) => alerts,
            Err(e) => {
                tracing::error!(error = %e, "checking budget alerts failed");
                Vec::new()
            }
        };
        context.notifier.budget_alerts(&alerts).await;
        let paces = if context.settings.alerts.pace {
            team.due_pace_alerts().await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "checking the keys' pace failed");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        for alert in &paces {
            context.notifier.pace_alert(alert).await;
        }
        if let Err(e) = team.retry_key_deletions().await {
            tracing::error!(error = %e, "retrying the deletion of replaced keys failed");
        }
        if let Err(e) = team.delete_orphan_keys().await {
            tracing::error!(error = %e, "deleting keys the bot created but never recorded failed");
        }
        Ok(format!(
            "{} synced, {}",
            count_len(summary.keys, "key"),
            count_len(alerts.len() + paces.len(), "alert")
        )
        .into())
    }
}

/// Every minute: expires requests nobody acted on, recovers key creations a crash interrupted
/// and puts back ended top-ups; checks that the database file is still there.
#[derive(Default)]
pub struct Housekeeping {
    /// Whether the alerts channel was told that the database file vanished.
    vanish_announced: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Job for Housekeeping {
    fn name(&self) -> &'static str {
        "housekeeping"
    }

    fn schedule(&self, _settings: &JobSettings) -> Schedule {
        Schedule::Every(Duration::from_secs(60))
    }

    async fn run(&self, context: &JobContext, _due: &Due) -> Result<Outcome, JobError> {
        let team = &context.team;
        if let Some(path) = team.vanished_database_file() {
            tracing::error!(
                path = %path.display(),
                "the database file was deleted or moved while the bot runs: what it records now is lost when it stops; stop the bot and put the file back"
            );
            if !self
                .vanish_announced
                .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                context.notifier.database_vanished(path).await;
            }
        }
        let expired = team.expire_requests().await.map_err(JobError::retry)?;
        if !expired.is_empty() {
            context.notifier.requests_expired(&expired).await;
        }
        if let Err(e) = team.recover_provisioning().await {
            tracing::error!(error = %e, "recovering interrupted key requests failed");
        }
        let reverted = team.revert_top_ups().await.map_err(JobError::retry)?;
        if !reverted.is_empty() {
            context.notifier.top_ups_reverted(&reverted).await;
        }
        Ok(format!(
            "{} expired, {} reverted",
            count_len(expired.len(), "request"),
            count_len(reverted.len(), "top-up")
        )
        .into())
    }
}

/// Every hour: credits running low (once a day at most) and spend spikes (once per member per
/// day).
pub struct TeamChecks;

#[async_trait]
impl Job for TeamChecks {
    fn name(&self) -> &'static str {
        "team_checks"
    }

    fn schedule(&self, _settings: &JobSettings) -> Schedule {
        Schedule::Every(Duration::from_secs(3600))
    }

    async fn run(&self, context: &JobContext, _due: &Due) -> Result<Outcome, JobError> {
        let alerts = &context.settings.alerts;
        let levels = WarningLevels {
            credits_floor: alerts.credits_floor,
            runway_days: alerts.runway_days,
            spike_factor_percent: alerts.spike_factor_percent,
            spike_min: alerts.spike_min,
        };
        let notices = context
            .team
            .due_team_notices(&levels)
            .await
            .map_err(JobError::retry)?;
        let mut said = Vec::new();
        if let Some(low) = &notices.credits_low {
            context.notifier.credits_low(low).await;
            said.push("credits low".to_string());
        }
        for spike in &notices.spikes {
            context.notifier.spike(spike).await;
            said.push(format!("spike {}", spike.member.name));
        }
        Ok(if said.is_empty() {
            "nothing to report".to_string()
        } else {
            said.join(", ")
        }
        .into())
    }
}

/// Once a day: thins old snapshots and forgets old runs of frequent jobs.
pub struct Prune;

#[async_trait]
impl Job for Prune {
    fn name(&self) -> &'static str {
        "prune"
    }

    fn schedule(&self, _settings: &JobSettings) -> Schedule {
        Schedule::Every(Duration::from_secs(86_400))
    }

    async fn run(&self, context: &JobContext, _due: &Due) -> Result<Outcome, JobError> {
        let team = &context.team;
        let now = team.now();
        let cutoff = earlier_by(now, days(context.settings.sync.snapshot_retention_days));
        let snapshots = team
            .prune_snapshots(cutoff)
            .await
            .map_err(JobError::retry)?;
        let runs = team
            .prune_job_runs(
                &["sync", "housekeeping", "team_checks"],
                earlier_by(now, days(7)),
            )
            .await
            .map_err(JobError::retry)?;
        Ok(format!("{snapshots} old snapshots and {runs} old job runs removed").into())
    }
}

/// Every hour: rotate and expiry reminders, and disabling overdue or idle keys after notice.
pub struct KeyReminders;

#[async_trait]
impl Job for KeyReminders {
    fn name(&self) -> &'static str {
        "key_reminders"
    }

    fn schedule(&self, _settings: &JobSettings) -> Schedule {
        Schedule::Every(Duration::from_secs(3600))
    }

    async fn run(&self, context: &JobContext, _due: &Due) -> Result<Outcome, JobError> {
        let reminders = context
            .team
            .due_key_reminders(&context.settings.lifecycle)
            .await
            .map_err(JobError::retry)?;
        for reminder in &reminders {
            context.notifier.key_reminder(reminder).await;
        }
        Ok(count_len(reminders.len(), "reminder").into())
    }
}

/// The name of [`MemberReconcile`], which start-up runs at once.
pub const MEMBER_RECONCILE: &str = "member_reconcile";

/// Once a day (and at start-up): members who left the server while the bot was not watching.
pub struct MemberReconcile;

#[async_trait]
impl Job for MemberReconcile {
    fn name(&self) -> &'static str {
        MEMBER_RECONCILE
    }

    fn schedule(&self, _settings: &JobSettings) -> Schedule {
        Schedule::Every(Duration::from_secs(86_400))
    }

    async fn run(&self, context: &JobContext, _due: &Due) -> Result<Outcome, JobError> {
        reconcile(context).await
    }
}

/// Compares the roster with the server's members and handles everyone who left.
async fn reconcile(context: &JobContext) -> Result<Outcome, JobError> {
    let present = context
        .directory
        .member_ids()
        .await
        .map_err(JobError::retry)?;
    let departures = context
        .team
        .reconcile_members(&present)
        .await
        .map_err(JobError::retry)?;
    if !departures.is_empty() {
        context.notifier.departed(&departures).await;
    }
    Ok(format!(
        "{} server members, {} departures handled",
        present.len(),
        departures.len()
    )
    .into())
}

/// Once a week at `reports.weekly` in `reports.timezone`: the digest of the last full week.
pub struct WeeklyDigest;

#[async_trait]
impl Job for WeeklyDigest {
    fn name(&self) -> &'static str {
        "weekly_digest"
    }

    fn schedule(&self, settings: &JobSettings) -> Schedule {
        Schedule::Weekly {
            at: settings.reports.weekly,
            timezone: settings.reports.timezone,
            grace: settings.reports.catch_up_grace,
        }
    }

    async fn run(&self, context: &JobContext, due: &Due) -> Result<Outcome, JobError> {
        let timezone = context.settings.reports.timezone;
        let week =
            crate::team::digest::DigestWeek::parse_iso(&due.period, timezone).map_err(|e| {
                JobError {
                    message: e.to_string(),
                    retry: false,
                }
            })?;
        let late = due.late.then_some(due.scheduled_at);
        let digest = context
            .team
            .weekly_digest(&context.settings.digest, week)
            .await
            .map_err(JobError::retry)?;
        let (digest, chart) = crate::report::prepare_digest(digest, late);
        let nonce = format!("dg{}", due.period.replace('-', ""));
        let message_id = context
            .notifier
            .weekly_digest(&digest, chart.as_ref(), &nonce)
            .await
            .map_err(JobError::retry)?;
        Ok(Outcome {
            summary: format!(
                "digest of {} posted{}",
                due.period,
                if due.late { " late" } else { "" }
            ),
            message_id,
        })
    }
}
