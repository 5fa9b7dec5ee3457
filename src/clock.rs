//! "Now", passed in, so that jobs and expiry can be tested at any date; and instants counted
//! from it in days that saturate instead of overflowing.

use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeDelta, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move (tests and the demo).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.now.lock() {
            *now = at;
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now
            .lock()
            .map(|now| *now)
            .unwrap_or_else(|e| *e.into_inner())
    }
}

/// `n` days as a span. Beyond what a span can hold (about 292 million years) it saturates, so the
/// instants computed from it saturate too instead of panicking.
pub fn days(n: i64) -> TimeDelta {
    TimeDelta::try_days(n).unwrap_or(if n < 0 {
        TimeDelta::MIN
    } else {
        TimeDelta::MAX
    })
}

/// `at + span`, or the first or last instant chrono can represent where the sum falls outside
/// its range (years -262143 to 262142): an expiry that far away is "never", a cutoff that far
/// back is "everything".
pub fn later_by(at: DateTime<Utc>, span: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(span)
        .unwrap_or(if span < TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// `at - span`, saturating like [`later_by`].
pub fn earlier_by(at: DateTime<Utc>, span: TimeDelta) -> DateTime<Utc> {
    at.checked_sub_signed(span)
        .unwrap_or(if span < TimeDelta::zero() {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn days_within_range_are_exact() {
        let at = utc("2026-11-30T08:00:00Z");
        assert_eq!(later_by(at, days(7)), utc("2026-12-07T08:00:00Z"));
        assert_eq!(earlier_by(at, days(35)), utc("2026-10-26T08:00:00Z"));
        assert_eq!(later_by(at, days(-1)), utc("2026-11-29T08:00:00Z"));
    }

    #[test]
    fn extreme_day_counts_saturate_instead_of_panicking() {
        let at = utc("2026-11-30T08:00:00Z");
        let max = DateTime::<Utc>::MAX_UTC;
        let min = DateTime::<Utc>::MIN_UTC;
        assert_eq!(days(i64::MAX), TimeDelta::MAX);
        assert_eq!(days(i64::MIN), TimeDelta::MIN);
        for n in [100_000_000, i64::MAX / 86_400_000, i64::MAX] {
            assert_eq!(later_by(at, days(n)), max, "{n} days later");
            assert_eq!(earlier_by(at, days(n)), min, "{n} days earlier");
            assert_eq!(later_by(at, days(-n)), min, "-{n} days later");
            assert_eq!(earlier_by(at, days(-n)), max, "-{n} days earlier");
        }
        assert_eq!(later_by(at, days(i64::MIN)), min);
        assert_eq!(earlier_by(at, days(i64::MIN)), max);
        assert_eq!(later_by(max, days(1)), max);
        assert_eq!(earlier_by(min, days(1)), min);
        assert_eq!(later_by(max, days(-1)), max - TimeDelta::days(1));
    }
}
