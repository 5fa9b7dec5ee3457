//! Pace warnings (`alerts.pace`): a key that, at the rate of its last two syncs, will pass its
//! limit before the window resets. Announced once per key and window, in the same once-only
//! record as the threshold alerts, and never after the window's 100 % alert.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{Member, Team, TeamError, TeamKey};
use crate::money::Usd;
use crate::reset::BudgetWindow;

/// The pace warning's place in the once-only record of budget alerts (thresholds are 1 to 100).
pub const PACE_RECORD: u8 = 0;
/// The threshold whose alert makes a pace warning pointless.
const AT_LIMIT: u8 = 100;

/// One key on track to pass its limit.
#[derive(Debug, Clone)]
pub struct PaceAlert {
    pub key: TeamKey,
    pub member: Option<Member>,
    pub spent: Usd,
    pub limit: Usd,
    pub window: BudgetWindow,
    /// Spend per hour between the last two syncs.
    pub per_hour: Usd,
    /// When the limit is reached at that rate (before `window.end`).
    pub reaches_limit_at: DateTime<Utc>,
}

impl PaceAlert {
    /// How much of the limit is used now, in whole percent.
    pub fn percent(&self) -> i64 {
        self.spent.percent_of(self.limit).unwrap_or(0)
    }
}

/// Two readings of a window's spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub at: DateTime<Utc>,
    pub spent: Usd,
}

/// When spend going on as from `before` to `now` reaches `limit`, if that is before the window
/// resets; `None` when it is already there, not growing, or the readings are of two windows.
pub fn reaches_limit_at(
    before: Reading,
    now: Reading,
    limit: Usd,
    window: BudgetWindow,
) -> Option<DateTime<Utc>> {
    let end = window.end?;
    if before.at < window.start || now.at <= before.at || now.spent >= limit {
        return None;
    }
    let grown = now.spent.micros() - before.spent.micros();
    if grown <= 0 {
        return None;
    }
    let elapsed = (now.at - before.at).num_milliseconds();
    let left = limit.micros() - now.spent.micros();
    let to_limit =
        i64::try_from(i128::from(left) * i128::from(elapsed) / i128::from(grown)).ok()?;
    let at = now.at + Duration::milliseconds(to_limit);
    (at < end).then_some(at)
}

/// Spend per hour between two readings.
fn per_hour(before: Reading, now: Reading) -> Usd {
    let elapsed = (now.at - before.at).num_milliseconds().max(1);
    let grown = i128::from(now.spent.micros() - before.spent.micros());
    Usd::from_micros((grown * 3_600_000 / i128::from(elapsed)) as i64)
}

impl Team {
    /// The pace warnings due after a sync, each claimed in the database so it is announced
    /// exactly once.
    pub async fn due_pace_alerts(&self) -> Result<Vec<PaceAlert>, TeamError> {
        let keys = self.store.live_keys().await?;
        let Some(synced) = keys.iter().filter_map(|k| k.synced_at).max() else {
            return Ok(Vec::new());
        };
        let previous: HashMap<String, _> = self
            .store
            .snapshots_of_previous_sync(synced)
            .await?
            .into_iter()
            .map(|s| (s.key_hash.clone(), s))
            .collect();
        let mut alerts = Vec::new();
        for key in keys {
            let (Some(limit), Some(now_at)) = (key.limit.filter(|l| *l > Usd::ZERO), key.synced_at)
            else {
                continue;
            };
            let Some(before) = previous.get(&key.hash) else {
                continue;
            };
            if key.disabled {
                continue;
            }
            let window = key.reset.window_at(now_at);
            let before = Reading {
                at: before.taken_at,
                spent: before.usage.in_window(key.reset),
            };
            let now = Reading {
                at: now_at,
                spent: key.usage.in_window(key.reset),
            };
            let Some(reaches_limit_at) = reaches_limit_at(before, now, limit, window) else {
                continue;
            };
            let sent = self
                .store
                .budget_alerts_sent(&key.hash, window.start)
                .await?;
            if sent.contains(&AT_LIMIT) || sent.contains(&PACE_RECORD) {
                continue;
            }
            if !self
                .store
                .claim_budget_alert(&key.hash, window.start, PACE_RECORD, self.now())
                .await?
            {
                continue;
            }
            let member = match key.member_id {
                Some(id) => self.store.member(id).await?,
                None => None,
            };
            alerts.push(PaceAlert {
                member,
                spent: now.spent,
                limit,
                window,
                per_hour: per_hour(before, now),
                reaches_limit_at,
                key,
            });
        }
        Ok(alerts)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::reset::LimitReset;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, hour, minute, 0).unwrap()
    }

    fn reading(hour: u32, minute: u32, cents: i64) -> Reading {
        Reading {
            at: at(hour, minute),
            spent: Usd::from_micros(cents * 10_000),
        }
    }

    #[test]
    fn the_last_two_syncs_rate_decides_when_the_limit_is_reached() {
        let day = LimitReset::Daily.window_at(at(12, 0));
        let limit = Usd::from_dollars(10);
        // $1 in five minutes with $5 left: the limit in 25 minutes, long before midnight.
        let when = reaches_limit_at(reading(12, 0, 400), reading(12, 5, 500), limit, day);
        assert_eq!(when, Some(at(12, 30)));
        // Slowly enough, midnight comes first.
        assert_eq!(
            reaches_limit_at(reading(12, 0, 499), reading(12, 5, 500), limit, day),
            None
        );
        // Nothing spent since, or already there.
        assert_eq!(
            reaches_limit_at(reading(12, 0, 500), reading(12, 5, 500), limit, day),
            None
        );
        assert_eq!(
            reaches_limit_at(reading(12, 0, 900), reading(12, 5, 1000), limit, day),
            None
        );
        // The earlier reading is of yesterday's window.
        let yesterday = Reading {
            at: at(0, 0) - Duration::minutes(5),
            spent: Usd::ZERO,
        };
        assert_eq!(
            reaches_limit_at(yesterday, reading(0, 0, 500), limit, day),
            None
        );
        // A limit that never resets has no "before the reset".
        let ever = LimitReset::Never.window_at(at(12, 0));
        assert_eq!(
            reaches_limit_at(reading(12, 0, 400), reading(12, 5, 500), limit, ever),
            None
        );
    }

    #[test]
    fn the_rate_is_per_hour() {
        assert_eq!(
            per_hour(reading(12, 0, 400), reading(12, 5, 500)),
            Usd::from_dollars(12)
        );
    }
}
