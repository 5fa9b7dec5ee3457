//! When a digest reads the counters: the day boundaries around its week, and the instants that
//! decide idleness and the burn rate.

use chrono::{DateTime, Utc};

use super::DigestWeek;
use crate::clock::{days, earlier_by};
use crate::reset::LimitReset;

/// Local days read before the digest's week: its previous week, which also gives the trailing
/// seven days that spikes are measured against.
const DAYS_BEFORE: i64 = 7;
/// Day boundaries read: from the previous week's Monday to the end of the digest's week.
const DAY_BOUNDARIES: usize = 15;

/// The instants a digest reads counters at, and what each one is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestPlan {
    pub week: DigestWeek,
    /// When the status lists (at limit, idle) are taken: the week's end, or `now` when the
    /// week has not ended yet.
    pub status_at: DateTime<Utc>,
    /// Keys with no spend since this instant (up to `status_at`) are idle.
    pub idle_from: DateTime<Utc>,
    /// The start of the last seven days before `status_at`, whose spend is the burn rate.
    pub burn_from: DateTime<Utc>,
    /// Midnight UTC of the seventh day before the week's Monday: where the daily spend that
    /// spikes are judged by starts.
    pub daily_from: DateTime<Utc>,
    /// The start of the earliest budget window (OpenRouter's, in UTC) that overlaps the week:
    /// where "At or over limit" starts looking.
    pub breaches_from: DateTime<Utc>,
}

impl DigestPlan {
    /// The plan for `week` as seen at `now`, with idle keys counted over `idle_key_days`.
    pub fn new(week: DigestWeek, now: DateTime<Utc>, idle_key_days: i64) -> DigestPlan {
        let status_at = now.min(week.end());
        DigestPlan {
            week,
            status_at,
            idle_from: earlier_by(status_at, days(idle_key_days)),
            burn_from: earlier_by(status_at, days(7)),
            daily_from: (week.monday() - chrono::Duration::days(7))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
            breaches_from: [LimitReset::Weekly, LimitReset::Monthly]
                .into_iter()
                .map(|reset| reset.window_at(week.start()).start)
                .min()
                .unwrap_or(week.start()),
        }
    }

    /// Every instant to read, in the order the indexes below refer to.
    pub fn instants(&self) -> Vec<DateTime<Utc>> {
        let mut instants: Vec<DateTime<Utc>> = (0..DAY_BOUNDARIES as i64)
            .map(|day| self.week.day_start(day - DAYS_BEFORE))
            .collect();
        instants.extend([self.idle_from, self.status_at, self.burn_from]);
        instants
    }

    /// The index of the instant local day `day` starts, counted from the week's Monday
    /// (-7 is the previous Monday, 7 the week's end).
    pub fn day(day: i64) -> usize {
        (day + DAYS_BEFORE).clamp(0, DAY_BOUNDARIES as i64 - 1) as usize
    }

    /// The index of [`DigestPlan::idle_from`].
    pub const IDLE_FROM: usize = DAY_BOUNDARIES;
    /// The index of [`DigestPlan::status_at`].
    pub const STATUS_AT: usize = DAY_BOUNDARIES + 1;
    /// The index of [`DigestPlan::burn_from`].
    pub const BURN_FROM: usize = DAY_BOUNDARIES + 2;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn an_idle_window_longer_than_the_calendar_reaches_back_to_its_start() {
        let week = DigestWeek::parse_iso("2026-W48", chrono_tz::Tz::UTC).unwrap();
        for idle_key_days in [100_000_000, i64::MAX] {
            let plan = DigestPlan::new(week, day(30), idle_key_days);
            assert_eq!(plan.idle_from, DateTime::<Utc>::MIN_UTC, "{idle_key_days}");
            assert_eq!(plan.burn_from, day(23));
        }
    }
}
