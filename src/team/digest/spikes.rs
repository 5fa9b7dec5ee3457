//! Spend spikes: a day on which someone spent well above their usual daily amount.

use std::fmt;

use chrono::NaiveDate;

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
    /// The local day of the spike.
    pub day: NaiveDate,
    pub spent: Usd,
    /// The average daily spend over the seven days before it.
    pub usual: Usd,
}

/// Days of trailing history a day is compared with.
pub const TRAILING_DAYS: usize = 7;

impl SpikeRule {
    /// The spikes among `days`, each `(day, spent)` in order, where the first
    /// [`TRAILING_DAYS`] days are history only: each later day is compared with the seven days
    /// before it. A day after seven days of nothing is a spike as soon as it is above the
    /// minimum.
    pub fn spikes(&self, spender: &Spender, days: &[(NaiveDate, Usd)]) -> Vec<Spike> {
        let mut spikes = Vec::new();
        for i in TRAILING_DAYS..days.len() {
            let (day, spent) = days[i];
            let trailing: Usd = days[i - TRAILING_DAYS..i].iter().map(|(_, s)| *s).sum();
            // spent > factor x trailing / 7, in integers.
            let above_usual = i128::from(spent.micros()) * 100 * TRAILING_DAYS as i128
                > i128::from(self.factor_percent) * i128::from(trailing.micros());
            if spent > self.min && above_usual {
                spikes.push(Spike {
                    spender: spender.clone(),
                    day,
                    spent,
                    usual: Usd::from_micros(trailing.micros() / TRAILING_DAYS as i64),
                });
            }
        }
        spikes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn days(dollars: &[i64]) -> Vec<(NaiveDate, Usd)> {
        let first = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        dollars
            .iter()
            .enumerate()
            .map(|(i, d)| (first + Duration::days(i as i64), Usd::from_dollars(*d)))
            .collect()
    }

    fn alice() -> Spender {
        Spender::Member(MemberName::parse("alice").unwrap())
    }

    #[test]
    fn a_day_over_three_times_the_usual_and_the_minimum_is_a_spike() {
        let rule = SpikeRule {
            factor_percent: 300,
            min: Usd::from_dollars(5),
        };
        let spikes = rule.spikes(&alice(), &days(&[2, 2, 2, 2, 2, 2, 2, 7, 6, 2, 0, 0, 0, 0]));
        assert_eq!(spikes.len(), 1);
        assert_eq!(
            spikes[0].day,
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(spikes[0].usual, Usd::from_dollars(2));
        // Exactly 3x is not above 3x; above 3x but under the minimum is no spike either.
        assert!(
            rule.spikes(&alice(), &days(&[2, 2, 2, 2, 2, 2, 2, 6]))
                .is_empty()
        );
        assert!(
            rule.spikes(&alice(), &days(&[1, 1, 1, 1, 1, 1, 1, 4]))
                .is_empty()
        );
        assert_eq!(
            rule.spikes(&alice(), &days(&[0, 0, 0, 0, 0, 0, 0, 6]))
                .len(),
            1
        );
    }
}
