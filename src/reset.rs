//! How often a key's spending limit resets, and the budget window a moment falls in.
//!
//! OpenRouter resets limits at UTC midnight; weekly windows start on Monday, monthly ones on the 1st.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A key limit's reset period (`limit_reset` at OpenRouter; `None` there is [`LimitReset::Never`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitReset {
    Daily,
    Weekly,
    Monthly,
    /// A lifetime limit: spending never resets. Written `none` in the config.
    #[serde(rename = "none")]
    Never,
}

/// The span of time one budget lasts: `[start, end)`; `end` is `None` for lifetime limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetWindow {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

impl LimitReset {
    /// The word used in the config file, in the database and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReset::Daily => "daily",
            LimitReset::Weekly => "weekly",
            LimitReset::Monthly => "monthly",
            LimitReset::Never => "none",
        }
    }

    /// The value OpenRouter's `limit_reset` field takes (`null` for lifetime limits).
    pub fn to_api(self) -> Option<&'static str> {
        match self {
            LimitReset::Never => None,
            other => Some(other.as_str()),
        }
    }

    /// Reads OpenRouter's `limit_reset` field; unknown values are treated as lifetime limits.
    pub fn from_api(value: Option<&str>) -> LimitReset {
        match value {
            Some("daily") => LimitReset::Daily,
            Some("weekly") => LimitReset::Weekly,
            Some("monthly") => LimitReset::Monthly,
            _ => LimitReset::Never,
        }
    }

    /// The budget window that `at` falls in.
    pub fn window_at(self, at: DateTime<Utc>) -> BudgetWindow {
        let day = at.date_naive();
        let (start, end) = match self {
            LimitReset::Daily => (day, day.checked_add_days(Days::new(1))),
            LimitReset::Weekly => {
                let back = Days::new(u64::from(day.weekday().num_days_from_monday()));
                // Only chrono's very first days have no Monday before them.
                let monday = day.checked_sub_days(back).unwrap_or(NaiveDate::MIN);
                (monday, monday.checked_add_days(Days::new(7)))
            }
            LimitReset::Monthly => {
                let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
                (first, first.checked_add_months(Months::new(1)))
            }
            LimitReset::Never => {
                return BudgetWindow {
                    start: DateTime::<Utc>::UNIX_EPOCH,
                    end: None,
                };
            }
        };
        BudgetWindow {
            start: midnight(start),
            end: end.map(midnight),
        }
    }

    /// A short phrase for messages: "per day", "per week", "per month", "in total".
    pub fn per_period(self) -> &'static str {
        match self {
            LimitReset::Daily => "per day",
            LimitReset::Weekly => "per week",
            LimitReset::Monthly => "per month",
            LimitReset::Never => "in total",
        }
    }

    /// The limit's kind in words: "daily", "weekly", "monthly", "lifetime".
    pub fn adjective(self) -> &'static str {
        match self {
            LimitReset::Daily => "daily",
            LimitReset::Weekly => "weekly",
            LimitReset::Monthly => "monthly",
            LimitReset::Never => "lifetime",
        }
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

impl fmt::Display for LimitReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reset period that is not one of `daily`, `weekly`, `monthly`, `none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a reset period (expected daily, weekly, monthly or none)")]
pub struct UnknownReset(pub String);

impl FromStr for LimitReset {
    type Err = UnknownReset;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(LimitReset::Daily),
            "weekly" => Ok(LimitReset::Weekly),
            "monthly" => Ok(LimitReset::Monthly),
            "none" | "never" | "lifetime" => Ok(LimitReset::Never),
            _ => Err(UnknownReset(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekly_windows_start_on_monday_utc() {
        let w = LimitReset::Weekly.window_at(at("2026-11-29T23:59:00Z"));
        assert_eq!(w.start, at("2026-11-23T00:00:00Z"));
        assert_eq!(w.end, Some(at("2026-11-30T00:00:00Z")));
    }

    #[test]
    fn monthly_and_daily_windows() {
        let m = LimitReset::Monthly.window_at(at("2026-12-31T10:00:00Z"));
        assert_eq!(m.start, at("2026-12-01T00:00:00Z"));
        assert_eq!(m.end, Some(at("2027-01-01T00:00:00Z")));
        let d = LimitReset::Daily.window_at(at("2026-11-27T10:00:00Z"));
        assert_eq!(d.end, Some(at("2026-11-28T00:00:00Z")));
        assert_eq!(
            LimitReset::Never.window_at(at("2026-11-27T10:00:00Z")).end,
            None
        );
    }

    #[test]
    fn windows_at_the_ends_of_time_do_not_panic() {
        for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            for reset in [
                LimitReset::Daily,
                LimitReset::Weekly,
                LimitReset::Monthly,
                LimitReset::Never,
            ] {
                let window = reset.window_at(at);
                assert!(
                    window.end.is_none_or(|end| window.start < end),
                    "{reset} at {at}: {window:?}"
                );
            }
        }
    }
}
