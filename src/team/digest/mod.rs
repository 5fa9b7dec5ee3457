//! The weekly digest: what the team spent in a week and what needs an admin's eye, computed from
//! the stored usage snapshots (OpenRouter's own counters, never re-priced) and, when the caller
//! has them, OpenRouter's activity and credits.
//!
//! [`load_digest_data`] reads the database; [`Digest::build`] is a pure function of that data,
//! the settings and the optional OpenRouter figures; renderings live in `report` and `discord`.

mod activity;
mod build;
mod load;
mod plan;
mod spikes;
mod week;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

pub use crate::domain::UsageReadings;
pub use activity::{ModelActivity, ModelSpend, fetch_activity, top_models_since};
pub use load::{ACTIVITY_KEYS, build_digest, fetch_openrouter_figures, load_digest_data};
pub use plan::DigestPlan;
pub use spikes::{Spender, Spike, SpikeRule, first_key_day, utc_date, utc_day};
pub use week::{DigestWeek, InvalidWeek};

use crate::domain::{Access, DaySpend, LimitStop, Member, MemberName, SnapshotRow, TeamKey, TopUp};
use crate::money::Usd;
use crate::openrouter::Credits;
use crate::reset::LimitReset;

/// How far ahead the digest looks for expiring keys.
pub const EXPIRING_WITHIN_DAYS: i64 = 14;
/// How many models the team-wide list shows.
pub const TOP_MODELS: usize = 5;

/// The settings a digest depends on (built from the configuration in `app`).
#[derive(Debug, Clone, PartialEq)]
pub struct DigestSettings {
    /// `reports.timezone`: where weeks and days start.
    pub timezone: Tz,
    /// `lifecycle.idle_key_days`.
    pub idle_key_days: i64,
    /// `alerts.spike_factor` and `alerts.spike_min_usd`.
    pub spikes: SpikeRule,
}

/// Everything the database says that a digest needs (see [`load_digest_data`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DigestData {
    pub plan: DigestPlan,
    /// When the data was read; expiring keys are counted from here.
    pub now: DateTime<Utc>,
    pub members: Vec<Member>,
    /// Keys that existed at some point since the previous week started, deleted or not.
    pub keys: Vec<TeamKey>,
    pub readings: UsageReadings,
    /// Snapshots from the plan's `breaches_from` to its `status_at` that show a key's budget
    /// window at or over its limit, by key then time.
    pub breaches: Vec<SnapshotRow>,
    /// The largest share of its limit (whole percent) each key used in one of its budget
    /// windows, by the snapshots of the week up to `status_at`.
    pub peaks: HashMap<String, i64>,
    /// Each key's spend per UTC day from the seventh day before the week's Monday on.
    pub daily_spend: Vec<DaySpend>,
    /// Top-ups approved for windows from `breaches_from` on.
    pub top_ups: Vec<TopUp>,
    /// Windows recorded at the end of their limit from the plan's `breaches_from` on (a gateway
    /// token stopped short of 100 % shows only here).
    pub stops: Vec<LimitStop>,
    /// Whether any usage was recorded (a sync stored snapshots) during the week.
    pub recorded: bool,
    pub pending_requests: i64,
}

/// What OpenRouter can add to a digest: both optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenRouterFigures {
    /// `GET /activity`: top models (empty when not asked).
    pub activity: ModelActivity,
    /// `GET /credits`: balance and runway.
    pub credits: Option<Credits>,
}

/// A weekly digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub week: DigestWeek,
    /// Whether any usage was recorded during the week; a digest without is said in one line
    /// ([`Digest::nothing_recorded`]).
    pub recorded: bool,
    /// When it was built.
    pub built_at: DateTime<Utc>,
    /// When the status lists (at limit, idle keys) were taken: the week's end, or when it was
    /// built if the week had not ended.
    pub status_at: DateTime<Utc>,
    /// Every key's spend, owned or not.
    pub total: WeekSpend,
    /// One line per member: active members, and departed ones who spent in either week;
    /// biggest spender first.
    pub members: Vec<MemberLine>,
    /// Keys that no member owns.
    pub unowned: UnownedSpend,
    /// The team's top models, when OpenRouter's activity was asked.
    pub top_models: Option<Vec<ModelSpend>>,
    pub at_limit: Vec<AtLimit>,
    pub idle_keys: Vec<IdleKey>,
    pub idle_key_days: i64,
    /// Live keys expiring within [`EXPIRING_WITHIN_DAYS`] of when the digest was built.
    pub expiring: Vec<ExpiringKey>,
    /// Key requests waiting for an admin when the digest was built.
    pub pending_requests: i64,
    /// Balance and runway, when OpenRouter's credits were asked.
    pub credits: Option<CreditRunway>,
    pub spikes: Vec<Spike>,
    pub spike_rule: SpikeRule,
    /// Set by the job when the digest goes out after its scheduled time.
    pub posted_late: Option<PostedLate>,
}

/// Spend in the digest's week and the week before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeekSpend {
    pub this_week: Usd,
    pub last_week: Usd,
}

impl WeekSpend {
    /// This week minus last week (negative when spend went down).
    pub fn change(&self) -> Usd {
        self.this_week - self.last_week
    }

    /// The change relative to last week, in whole percent rounded to the nearest; `None` when
    /// last week was zero (no percentage of nothing).
    pub fn change_percent(&self) -> Option<i64> {
        let last = i128::from(self.last_week.micros());
        if last <= 0 {
            return None;
        }
        let scaled = i128::from(self.change().micros()) * 100;
        let rounded = (scaled + scaled.signum() * last / 2) / last;
        Some(rounded.clamp(i64::MIN.into(), i64::MAX.into()) as i64)
    }

    fn add(&mut self, other: WeekSpend) {
        self.this_week = self.this_week + other.this_week;
        self.last_week = self.last_week + other.last_week;
    }
}

/// One member's line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLine {
    pub name: MemberName,
    /// The member has left the server.
    pub departed: bool,
    pub spend: WeekSpend,
    /// The limit of the member's current key, and how much of it the week used.
    pub limit: Option<LimitUse>,
    /// The model the member spent most on, when OpenRouter's activity was asked.
    pub top_model: Option<String>,
    /// The member's live keys at the digest's status time.
    pub keys: usize,
    /// How the member reaches OpenRouter: their own key, or the shared key through the gateway
    /// (from their current key or token; `None` when they hold neither).
    pub access: Option<Access>,
}

/// A key limit and how much of it the week used, two ways (whole percent, rounded down).
///
/// `pace_percent` compares the week's spend with what the limit allows in a week at its pace: a
/// daily limit allows 7 times the limit, a weekly one the limit, a monthly one 12/52 of it (an
/// average week of a month). 100 % means "spent at exactly the pace the limit allows". A
/// lifetime limit does not renew and has no pace.
///
/// `peak_percent` is the most of the limit used within one of its own windows (a day, a week, a
/// month, or the key's whole life), as the week's syncs saw it: 100 % or more means the key
/// reached its limit and OpenRouter refused its requests until the reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitUse {
    pub limit: Usd,
    pub reset: LimitReset,
    pub pace_percent: Option<i64>,
    pub peak_percent: Option<i64>,
}

impl LimitUse {
    /// How much the limit allows in a week, or `None` for a lifetime limit.
    pub fn weekly_allowance(limit: Usd, reset: LimitReset) -> Option<Usd> {
        let micros = i128::from(limit.micros());
        let weekly = match reset {
            LimitReset::Daily => micros * 7,
            LimitReset::Weekly => micros,
            LimitReset::Monthly => micros * 12 / 52,
            LimitReset::Never => return None,
        };
        Some(Usd::from_micros(
            weekly.clamp(0, i128::from(i64::MAX)) as i64
        ))
    }
}

/// Spend on keys that no member owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnownedSpend {
    pub spend: WeekSpend,
    /// Unowned keys that existed in either week.
    pub keys: usize,
}

/// A key that reached its limit in one or more budget windows that overlap the week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtLimit {
    pub member: Option<MemberName>,
    pub key_name: String,
    pub reset: LimitReset,
    /// Each window it reached the limit in, oldest first (never empty).
    pub reached: Vec<LimitReached>,
}

impl AtLimit {
    /// The window where it went furthest over.
    pub fn peak(&self) -> &LimitReached {
        self.reached
            .iter()
            .max_by(|a, b| a.percent.cmp(&b.percent).then(b.at.cmp(&a.at)))
            .expect("a key at its limit reached it at least once")
    }
}

/// One budget window in which a key reached its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitReached {
    /// When a sync first saw the window at or over the limit.
    pub at: DateTime<Utc>,
    /// The most the window used, and the limit it had then.
    pub used: Usd,
    pub limit: Usd,
    /// `used` as a share of `limit`, in whole percent rounded down (100 or more).
    pub percent: i64,
    /// Top-ups approved for the window.
    pub top_up: Usd,
    /// The gateway refused the requests that would have passed the limit, so the window
    /// ended just short of it.
    pub stopped: bool,
}

/// A live key that spent nothing for `idle_key_days`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleKey {
    pub member: Option<MemberName>,
    pub key_name: String,
    pub disabled: bool,
}

/// A live key that expires soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringKey {
    pub member: Option<MemberName>,
    pub key_name: String,
    pub expires_at: DateTime<Utc>,
}

/// The account's credits and how long they last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditRunway {
    pub balance: Usd,
    /// The team's spend over the last seven days before the status time.
    pub burn_last_7_days: Usd,
    /// Whole days the balance lasts at that pace; `None` when nothing was spent.
    pub runway_days: Option<i64>,
}

/// The digest went out after its scheduled time (the bot was down, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostedLate {
    /// When it was due.
    pub due_at: DateTime<Utc>,
}

impl Digest {
    /// The last week that has fully ended at `now` in `timezone`: the one a weekly digest
    /// posted at `now` reports on.
    pub fn last_full_week(now: DateTime<Utc>, timezone: Tz) -> DigestWeek {
        DigestWeek::last_full(now, timezone)
    }

    /// Marks the digest as posted late (it was due at `due_at`).
    pub fn posted_late(mut self, due_at: DateTime<Utc>) -> Digest {
        self.posted_late = Some(PostedLate { due_at });
        self
    }

    /// The one line a week without recorded usage gets instead of a table of zeros.
    pub fn nothing_recorded(&self) -> Option<String> {
        (!self.recorded).then(|| {
            format!(
                "No usage recorded for {} yet: the bot records spend from its syncs (`run`, or `sync` once)",
                self.week.iso_name()
            )
        })
    }

    /// How far ahead expiring keys are looked for.
    pub fn expiring_within(&self) -> Duration {
        Duration::days(EXPIRING_WITHIN_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_compared_with_the_weeks_spend_at_their_weekly_pace() {
        let ten = Usd::from_dollars(10);
        assert_eq!(
            LimitUse::weekly_allowance(ten, LimitReset::Daily),
            Some(Usd::from_dollars(70))
        );
        assert_eq!(
            LimitUse::weekly_allowance(ten, LimitReset::Weekly),
            Some(ten)
        );
        assert_eq!(
            LimitUse::weekly_allowance(Usd::from_dollars(52), LimitReset::Monthly),
            Some(Usd::from_dollars(12))
        );
        assert_eq!(LimitUse::weekly_allowance(ten, LimitReset::Never), None);
    }

    #[test]
    fn the_change_is_rounded_to_whole_percent_and_absent_after_a_week_of_nothing() {
        let spend = |this, last| WeekSpend {
            this_week: Usd::from_micros(this),
            last_week: Usd::from_micros(last),
        };
        assert_eq!(spend(1_005, 1_000).change_percent(), Some(1));
        assert_eq!(spend(995, 1_000).change_percent(), Some(-1));
        assert_eq!(spend(1_004, 1_000).change_percent(), Some(0));
        assert_eq!(spend(0, 1_000).change_percent(), Some(-100));
        assert_eq!(spend(500, 0).change_percent(), None);
        assert_eq!(spend(500, 0).change(), Usd::from_micros(500));
        assert_eq!(spend(0, 500).change(), Usd::from_micros(-500));
    }
}
