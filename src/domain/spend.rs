//! What keys spent: OpenRouter's counters for a key, the snapshots a sync stores of them, and
//! the spend per key and day read back from those snapshots.

use chrono::{DateTime, Utc};

use crate::money::Usd;
use crate::reset::LimitReset;

/// Spend counters that OpenRouter keeps per key (UTC day, Monday-start week, calendar month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub total: Usd,
    pub daily: Usd,
    pub weekly: Usd,
    pub monthly: Usd,
}

impl Usage {
    /// The spend that counts against a limit with this reset period.
    pub fn in_window(&self, reset: LimitReset) -> Usd {
        match reset {
            LimitReset::Daily => self.daily,
            LimitReset::Weekly => self.weekly,
            LimitReset::Monthly => self.monthly,
            LimitReset::Never => self.total,
        }
    }
}

/// One stored snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    pub key_hash: String,
    pub taken_at: DateTime<Utc>,
    pub usage: Usage,
    pub limit: Option<Usd>,
}

/// A budget window in which the bot recorded a key at the end of its limit (its 100 % alert):
/// for a gateway token that the gateway stopped just short of it, which no snapshot shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitStop {
    pub key_hash: String,
    pub window_start: DateTime<Utc>,
    /// When the bot recorded it.
    pub at: DateTime<Utc>,
    /// The most a snapshot of the window showed used (zero without one), and the limit then.
    pub used: Usd,
    pub limit: Option<Usd>,
}

/// One key's spend on one UTC day (the highest `usage_daily` its snapshots saw that day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySpend {
    pub key_hash: String,
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub spent: Usd,
}
