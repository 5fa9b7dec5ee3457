//! Fair use of the team's one key: OpenRouter's rate limits are shared by everyone behind it,
//! so each member has a cap on requests running at once and on requests started per minute.
//! A refusal says when to come back (`Retry-After`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One member's caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberCaps {
    pub max_in_flight: u32,
    pub requests_per_minute: u32,
}

/// Why a request may not start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// The member already has this many requests running.
    InFlight { max: u32 },
    /// The member started this many requests in the last minute; one more fits after the wait.
    PerMinute { max: u32, retry_after: Duration },
}

#[derive(Debug)]
struct Member {
    in_flight: u32,
    /// The per-minute allowance left, in whole requests times [`SCALE`] (so refilling by a
    /// fraction of a request each instant is exact).
    allowance: u64,
    refilled_at: Instant,
}

/// Allowance units per request.
const SCALE: u64 = 60_000;

/// Everyone's running counts and allowances.
#[derive(Debug, Default, Clone)]
pub struct FairUse {
    members: Arc<Mutex<HashMap<i64, Member>>>,
}

/// A started request; dropping it (however the request ends) frees its in-flight place.
#[derive(Debug)]
pub struct Running {
    members: Arc<Mutex<HashMap<i64, Member>>>,
    member: i64,
}

impl FairUse {
    /// Starts a request for `member` at `now`, or says why not.
    pub fn start(&self, member: i64, caps: MemberCaps, now: Instant) -> Result<Running, Throttled> {
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        let full = u64::from(caps.requests_per_minute) * SCALE;
        let entry = members.entry(member).or_insert(Member {
            in_flight: 0,
            allowance: full,
            refilled_at: now,
        });
        // A full minute's allowance comes back in a minute: `requests_per_minute` units per ms.
        let elapsed_ms = now.saturating_duration_since(entry.refilled_at).as_millis();
        let refill = u64::try_from(elapsed_ms)
            .unwrap_or(u64::MAX)
            .saturating_mul(u64::from(caps.requests_per_minute));
        entry.allowance = entry.allowance.saturating_add(refill).min(full);
        entry.refilled_at = now;
        if entry.in_flight >= caps.max_in_flight {
            return Err(Throttled::InFlight {
                max: caps.max_in_flight,
            });
        }
        if entry.allowance < SCALE {
            let missing = SCALE - entry.allowance;
            let per_ms = u64::from(caps.requests_per_minute.max(1));
            return Err(Throttled::PerMinute {
                max: caps.requests_per_minute,
                retry_after: Duration::from_millis(missing.div_ceil(per_ms)),
            });
        }
        entry.allowance -= SCALE;
        entry.in_flight += 1;
        Ok(Running {
            members: self.members.clone(),
            member,
        })
    }

    /// Requests running now, for everyone.
    pub fn in_flight(&self) -> u64 {
        let members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        members.values().map(|m| u64::from(m.in_flight)).sum()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = members.get_mut(&self.member) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: MemberCaps = MemberCaps {
        max_in_flight: 2,
        requests_per_minute: 3,
    };

    #[test]
    fn running_requests_are_capped_and_freed_when_they_end() {
        let fair = FairUse::default();
        let now = Instant::now();
        let first = fair.start(1, CAPS, now).unwrap();
        let _second = fair.start(1, CAPS, now).unwrap();
        assert_eq!(
            fair.start(1, CAPS, now).unwrap_err(),
            Throttled::InFlight { max: 2 }
        );
        // Another member is not held back by the first.
        let _other = fair.start(2, CAPS, now).unwrap();
        drop(first);
        assert!(fair.start(1, CAPS, now).is_ok());
        assert_eq!(fair.in_flight(), 2);
    }

    #[test]
    fn a_minute_allows_its_requests_and_says_when_the_next_fits() {
        let fair = FairUse::default();
        let start = Instant::now();
        for _ in 0..3 {
            drop(fair.start(1, CAPS, start).unwrap());
        }
        assert_eq!(
            fair.start(1, CAPS, start).unwrap_err(),
            Throttled::PerMinute {
                max: 3,
                retry_after: Duration::from_secs(20),
            }
        );
        let later = start + Duration::from_secs(10);
        assert_eq!(
            fair.start(1, CAPS, later).unwrap_err(),
            Throttled::PerMinute {
                max: 3,
                retry_after: Duration::from_secs(10),
            }
        );
        let after_wait = start + Duration::from_secs(20);
        assert!(fair.start(1, CAPS, after_wait).is_ok());
    }
}
