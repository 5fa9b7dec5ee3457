//! The record of scheduled work the jobs keep in the database: which run of a job is claimed
//! and finished (so a restart neither loses nor repeats one), and the old history pruned.

use chrono::{DateTime, Utc};

use super::{Team, TeamError};

impl Team {
    /// Claims the run of `job` for `period` for this `instance`; `false` when it is already
    /// claimed (by this or another instance).
    pub async fn claim_job_run(
        &self,
        job: &str,
        period: &str,
        instance: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, TeamError> {
        Ok(self.store.claim_job_run(job, period, instance, now).await?)
    }

    /// Records how a claimed run ended.
    pub async fn finish_job_run(
        &self,
        job: &str,
        period: &str,
        outcome: &str,
        message_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        Ok(self
            .store
            .finish_job_run(job, period, outcome, message_id, now)
            .await?)
    }

    /// Gives up a claimed run that did not finish, so it is tried again.
    pub async fn release_job_run(&self, job: &str, period: &str) -> Result<(), TeamError> {
        Ok(self.store.release_job_run(job, period).await?)
    }

    /// Thins the usage snapshots taken before `cutoff` to the last one per key and day.
    /// Returns how many were removed.
    pub async fn prune_snapshots(&self, cutoff: DateTime<Utc>) -> Result<u64, TeamError> {
        Ok(self.store.prune_snapshots(cutoff).await?)
    }

    /// Forgets the runs of `jobs` claimed before `cutoff`. Returns how many were removed.
    pub async fn prune_job_runs(
        &self,
        jobs: &[&str],
        cutoff: DateTime<Utc>,
    ) -> Result<u64, TeamError> {
        Ok(self.store.prune_job_runs(jobs, cutoff).await?)
    }
}
