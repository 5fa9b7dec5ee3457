//! Scheduled work. Each job says when it is due (a pure function of the time) and what it does;
//! the runner claims each run in the database, so a restart neither loses nor repeats one and
//! several instances sharing a database run it once between them.

mod notifier;
mod runner;
pub mod schedule;
mod work;

pub use notifier::{Directory, Notifier};
pub use runner::{Job, JobContext, JobError, JobSettings, Outcome, RunReport, Runner};
pub use schedule::{Due, Schedule};
pub use work::{MEMBER_RECONCILE, standard_jobs};
