//! Spend from OpenRouter's own counters: each key's lifetime `usage` read from its snapshots at a
//! few instants, and the spend between two instants as the difference. Nothing is re-priced.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::TeamKey;
use crate::money::Usd;

/// Every key's lifetime usage counter at a few instants (those of a digest's plan).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageReadings {
    /// The instants read.
    pub instants: Vec<DateTime<Utc>>,
    /// Per key hash, per instant: the counter at the key's last snapshot taken at or before it
    /// (`None`: no snapshot yet by then).
    pub at: HashMap<String, Vec<Option<Usd>>>,
    /// Per key hash: the counter at the key's first snapshot.
    pub first: HashMap<String, Usd>,
}

impl UsageReadings {
    /// The key's counter at instant `index`.
    ///
    /// A snapshot taken at an instant holds all spend before it, so the last one at or before
    /// the instant counts. Without one, a key created after the instant had spent nothing
    /// then; a key that existed but was not watched yet (the bot started later, or adopted it)
    /// gets its first snapshot as the baseline, so spend from before the bot watched is never
    /// put into a week.
    pub fn counter(&self, key: &TeamKey, index: usize) -> Usd {
        let reading = self
            .at
            .get(&key.hash)
            .and_then(|counters| counters.get(index).copied().flatten());
        if let Some(usage) = reading {
            return usage;
        }
        let created_later = self
            .instants
            .get(index)
            .is_none_or(|instant| key.created_at >= *instant);
        if created_later {
            Usd::ZERO
        } else {
            self.first.get(&key.hash).copied().unwrap_or(Usd::ZERO)
        }
    }

    /// What the key spent between instants `from` and `to`: never negative. A key deleted in
    /// between counts until its last snapshot.
    pub fn spent(&self, key: &TeamKey, from: usize, to: usize) -> Usd {
        self.counter(key, to)
            .saturating_sub(self.counter(key, from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Usage;
    use crate::reset::LimitReset;
    use chrono::TimeZone;

    fn key(created_at: DateTime<Utc>) -> TeamKey {
        TeamKey {
            hash: "h".into(),
            member_id: None,
            request_id: None,
            name: "k".into(),
            label: "sk-or-v1-...".into(),
            workspace_id: None,
            disabled: false,
            limit: None,
            reset: LimitReset::Never,
            usage: Usage::default(),
            guardrail_id: None,
            created_at,
            expires_at: None,
            synced_at: None,
            deleted_at: None,
            access: crate::domain::Access::Key,
        }
    }

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap()
    }

    fn readings(at: Vec<Option<i64>>, first: Option<i64>) -> UsageReadings {
        UsageReadings {
            instants: vec![day(2), day(9), day(16)],
            at: HashMap::from([(
                "h".to_string(),
                at.into_iter().map(|u| u.map(Usd::from_dollars)).collect(),
            )]),
            first: first
                .map(|f| HashMap::from([("h".to_string(), Usd::from_dollars(f))]))
                .unwrap_or_default(),
        }
    }

    #[test]
    fn spend_is_the_difference_of_the_counters() {
        let r = readings(vec![Some(5), Some(12), Some(20)], Some(1));
        assert_eq!(r.spent(&key(day(1)), 0, 1), Usd::from_dollars(7));
        assert_eq!(r.spent(&key(day(1)), 1, 2), Usd::from_dollars(8));
    }

    #[test]
    fn a_key_created_inside_the_period_starts_from_zero() {
        let r = readings(vec![None, Some(4), Some(6)], Some(3));
        assert_eq!(r.spent(&key(day(5)), 0, 1), Usd::from_dollars(4));
    }

    #[test]
    fn a_key_watched_late_does_not_bring_its_old_spend_into_the_week() {
        let r = readings(vec![None, Some(104), Some(106)], Some(100));
        assert_eq!(r.spent(&key(day(1)), 0, 1), Usd::from_dollars(4));
    }

    #[test]
    fn a_counter_that_went_down_counts_as_no_spend() {
        let r = readings(vec![Some(9), Some(4), Some(4)], Some(1));
        assert_eq!(r.spent(&key(day(1)), 0, 1), Usd::ZERO);
    }
}
