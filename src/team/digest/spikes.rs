//! Spend spikes: a day on which someone spent well above their usual daily amount.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::TeamKey;
use crate::money::Usd;
use crate::team::MemberName;

/// Who spent: a member, or a key nobody owns (named by its key name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Spender {
    Member(MemberName),
    UnownedKey(String),
}

impl fmt::Display for Spender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spender::Member(name) => write!(f, "{name}"),
            Spender::UnownedKey(key) => write!(f, "unowned key {key}"),
        }
    }
}

/// When a day counts as a spike (`alerts.spike_factor`, `alerts.spike_min_usd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpikeRule {
    /// The day must be above this many hundredths of the trailing daily average (300: 3x).
    pub factor_percent: i64,
    /// ... and above this amount.
    pub min: Usd,
}

/// One spike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spike {
    pub spender: Spender,
    /// The UTC day of the spike (OpenRouter's days, as its daily counters reset).
    pub day: NaiveDate,
    pub spent: Usd,
    /// The average daily spend over the days before it that count (see [`SpikeRule::judge`]).
    pub usual: Usd,
}

/// Days of trailing history a day is compared with.
pub const TRAILING_DAYS: i64 = 7;

impl SpikeRule {
    /// Whether `spent` on UTC day `day` (days since the Unix epoch) is a spike, and if so the
    /// usual daily spend it is above. The usual spend is the average over the trailing
    /// [`TRAILING_DAYS`] days on which the spender existed (from `since`, the day their first key
    /// was created), days without spend counting as nothing; days before that never count, and
    /// a first day has nothing to compare with, so it is never a spike. The same rule serves the
    /// live spike alert and the digest.
    pub fn judge(
        &self,
        day: i64,
        since: i64,
        spent: Usd,
        spent_on: impl Fn(i64) -> Usd,
    ) -> Option<Usd> {
        let from = (day - TRAILING_DAYS).max(since);
        let counted = day - from;
        if counted <= 0 || spent <= self.min {
            return None;
        }
        let history: Usd = (from..day).map(spent_on).sum();
        // spent > factor x history / counted, in integers.
        let above_usual = i128::from(spent.micros()) * 100 * i128::from(counted)
            > i128::from(self.factor_percent) * i128::from(history.micros());
        above_usual.then(|| Usd::from_micros(history.micros() / counted))
    }
}

/// The UTC day (days since the Unix epoch) the first of `keys` was created: a spender's first
/// day for [`SpikeRule::judge`].
pub fn first_key_day<'a>(keys: impl IntoIterator<Item = &'a TeamKey>) -> i64 {
    keys.into_iter()
        .map(|k| k.created_at.timestamp().div_euclid(86_400))
        .min()
        .unwrap_or(i64::MAX)
}

/// A UTC day number (days since the Unix epoch) as a date.
pub fn utc_date(day: i64) -> NaiveDate {
    DateTime::<Utc>::UNIX_EPOCH.date_naive() + chrono::Duration::days(day)
}

/// The UTC day number of a date.
pub fn utc_day(date: NaiveDate) -> i64 {
    (date - DateTime::<Utc>::UNIX_EPOCH.date_naive()).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: SpikeRule = SpikeRule {
        factor_percent: 300,
        min: Usd::from_micros(5_000_000),
    };

    /// `RULE.judge` of the last of `dollars`, a spender whose first day is the first of them.
    fn judge(dollars: &[i64]) -> Option<Usd> {
        let day = dollars.len() as i64 - 1;
        RULE.judge(day, 0, Usd::from_dollars(dollars[day as usize]), |d| {
            Usd::from_dollars(dollars[d as usize])
        })
    }

    #[test]
    fn a_day_over_three_times_the_usual_and_the_minimum_is_a_spike() {
        assert_eq!(judge(&[2, 2, 2, 2, 2, 2, 2, 7]), Some(Usd::from_dollars(2)));
        // Exactly 3x is not above 3x; above 3x but under the minimum is no spike either.
        assert_eq!(judge(&[2, 2, 2, 2, 2, 2, 2, 6]), None);
        assert_eq!(judge(&[1, 1, 1, 1, 1, 1, 1, 4]), None);
        // Only the seven days before count.
        assert_eq!(
            judge(&[50, 2, 2, 2, 2, 2, 2, 2, 7]),
            Some(Usd::from_dollars(2))
        );
    }

    #[test]
    fn a_first_day_is_no_spike_and_days_before_the_key_do_not_count() {
        assert_eq!(judge(&[40]), None, "nothing to compare the first day with");
        // The second day is compared with the first alone, not with six days of nothing.
        assert_eq!(judge(&[4, 10]), None);
        assert_eq!(judge(&[2, 7]), Some(Usd::from_dollars(2)));
        let late_start = RULE.judge(10, 9, Usd::from_dollars(7), |d| {
            Usd::from_dollars(if d == 9 { 2 } else { 0 })
        });
        assert_eq!(late_start, Some(Usd::from_dollars(2)));
    }

    #[test]
    fn days_are_numbered_from_the_epoch() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(utc_date(utc_day(date)), date);
        assert_eq!(utc_day(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }
}
