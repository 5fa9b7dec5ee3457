//! When a job is due: pure functions of the schedule and "now", so they can be tested at any date.

use std::time::Duration;

use chrono::{DateTime, Datelike, Days, Duration as Span, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::WeeklySchedule;

/// How often a job runs.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Once per interval (periods are aligned to the Unix epoch, so every instance agrees).
    Every(Duration),
    /// Once a week at a local time; a run missed while the bot was down is caught up within
    /// `grace` and skipped after it.
    Weekly {
        at: WeeklySchedule,
        timezone: Tz,
        grace: Duration,
    },
}

/// A run that is due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The period's name, unique per job: `1795651200` (an interval's start) or `2026-W47` (the
    /// reported week).
    pub period: String,
    /// When the run was meant to happen.
    pub scheduled_at: DateTime<Utc>,
    /// The run happens well after its time (the bot was down).
    pub late: bool,
    /// The run was missed by more than the grace: record it as skipped, do not run it.
    pub skip: bool,
}

/// How long after its time a run still counts as on time.
const ON_TIME: Span = Span::minutes(5);

impl Schedule {
    /// The run due at `now` (claiming it in the database decides whether it still has to happen).
    pub fn due(&self, now: DateTime<Utc>) -> Due {
        match self {
            Schedule::Every(interval) => {
                let secs = interval.as_secs().max(1) as i64;
                let start = now.timestamp().div_euclid(secs) * secs;
                Due {
                    period: start.to_string(),
                    scheduled_at: Utc.timestamp_opt(start, 0).single().unwrap_or(now),
                    late: false,
                    skip: false,
                }
            }
            Schedule::Weekly {
                at,
                timezone,
                grace,
            } => {
                let scheduled_at = last_occurrence(at, *timezone, now);
                let behind = now - scheduled_at;
                let grace = Span::from_std(*grace).unwrap_or(Span::days(1));
                Due {
                    period: reported_week(scheduled_at, *timezone),
                    scheduled_at,
                    late: behind > ON_TIME,
                    skip: behind > grace,
                }
            }
        }
    }
}

/// The latest moment at or before `now` that matches the weekly schedule in `timezone`.
pub fn last_occurrence(at: &WeeklySchedule, timezone: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let local_today = now.with_timezone(&timezone).date_naive();
    (0..=7)
        .filter_map(|back| {
            let day = local_today.checked_sub_days(Days::new(back))?;
            (day.weekday() == at.weekday).then_some(day)
        })
        .filter_map(|day| local_instant(day, at, timezone))
        .find(|instant| *instant <= now)
        .unwrap_or(now)
}

/// The UTC instant of `at` on a local `day` (the earlier one in a DST overlap; in a DST gap, the
/// first valid minute after).
fn local_instant(day: NaiveDate, at: &WeeklySchedule, timezone: Tz) -> Option<DateTime<Utc>> {
    let mut local = day.and_time(at.time);
    for _ in 0..120 {
        if let Some(instant) = timezone.from_local_datetime(&local).earliest() {
            return Some(instant.with_timezone(&Utc));
        }
        local = local.checked_add_signed(Span::minutes(1))?;
    }
    None
}

/// The ISO week before the one `scheduled_at` falls in (local time): the last full week the
/// digest reports on, written `2026-W47`.
pub fn reported_week(scheduled_at: DateTime<Utc>, timezone: Tz) -> String {
    let day = scheduled_at.with_timezone(&timezone).date_naive();
    // Only chrono's very first week has no week before it: it names itself.
    let local = day.checked_sub_days(Days::new(7)).unwrap_or(day);
    let week = local.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn weekly(grace_hours: u64) -> Schedule {
        Schedule::Weekly {
            at: WeeklySchedule::parse("Mon 09:00").unwrap(),
            timezone: "Europe/Berlin".parse().unwrap(),
            grace: Duration::from_secs(grace_hours * 3600),
        }
    }

    #[test]
    fn interval_periods_are_aligned_for_every_instance() {
        let every = Schedule::Every(Duration::from_secs(300));
        let a = every.due(utc("2026-11-30T08:01:10Z"));
        let b = every.due(utc("2026-11-30T08:04:59Z"));
        let c = every.due(utc("2026-11-30T08:05:00Z"));
        assert_eq!(a.period, b.period);
        assert_ne!(b.period, c.period);
        assert_eq!(a.scheduled_at, utc("2026-11-30T08:00:00Z"));
    }

    #[test]
    fn the_weekly_digest_is_due_at_its_local_time() {
        // Monday 30 November 2026, 09:00 in Berlin is 08:00 UTC.
        let on_time = weekly(24).due(utc("2026-11-30T08:00:30Z"));
        assert_eq!(on_time.scheduled_at, utc("2026-11-30T08:00:00Z"));
        assert_eq!(on_time.period, "2026-W48");
        assert!(!on_time.late && !on_time.skip);
        let before = weekly(24).due(utc("2026-11-30T07:59:00Z"));
        assert_eq!(
            before.period, "2026-W47",
            "before 09:00 the last run is last week's"
        );
    }

    #[test]
    fn a_missed_digest_is_late_within_the_grace_and_skipped_after() {
        let late = weekly(24).due(utc("2026-11-30T10:00:00Z"));
        assert_eq!(late.period, "2026-W48");
        assert!(late.late && !late.skip);
        let wednesday = weekly(24).due(utc("2026-12-02T10:00:00Z"));
        assert_eq!(wednesday.period, "2026-W48");
        assert!(wednesday.skip);
    }

    #[test]
    fn summer_time_shifts_the_utc_hour() {
        // 29 June 2026 is a Monday; Berlin is UTC+2.
        let due = weekly(24).due(utc("2026-06-29T07:00:00Z"));
        assert_eq!(due.scheduled_at, utc("2026-06-29T07:00:00Z"));
    }

    #[test]
    fn schedules_at_the_ends_of_time_do_not_panic() {
        // In UTC: chrono cannot show these instants in a zone ahead of or behind it at all.
        let weekly_utc = Schedule::Weekly {
            at: WeeklySchedule::parse("Mon 09:00").unwrap(),
            timezone: Tz::UTC,
            grace: Duration::from_secs(24 * 3600),
        };
        for now in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            for schedule in [
                weekly_utc.clone(),
                Schedule::Every(Duration::from_secs(300)),
            ] {
                assert!(
                    schedule.due(now).scheduled_at <= now,
                    "{schedule:?} at {now}"
                );
            }
        }
    }
}
