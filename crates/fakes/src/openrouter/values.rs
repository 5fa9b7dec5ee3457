//! The values a fake account holds, as the fake's own types: dollar amounts, limit reset periods,
//! spend counters, credits and activity rows. They share nothing with the bot's client, so the
//! two sides only meet in the JSON on the wire.

use std::fmt;
use std::ops::Add;

/// Micro-dollars in one US dollar.
const MICROS_PER_USD: i64 = 1_000_000;

/// An amount of US dollars, kept as whole micro-dollars; it becomes a JSON number of dollars
/// only when an answer is written, and a JSON number becomes one only when a request is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd(i64);

impl Usd {
    /// Zero dollars.
    pub const ZERO: Usd = Usd(0);

    /// An amount in micro-dollars.
    pub const fn from_micros(micros: i64) -> Usd {
        Usd(micros)
    }

    /// An amount in whole dollars.
    pub const fn from_dollars(dollars: i64) -> Usd {
        Usd(dollars * MICROS_PER_USD)
    }

    /// An amount in cents.
    pub const fn from_cents(cents: i64) -> Usd {
        Usd(cents * (MICROS_PER_USD / 100))
    }

    /// The amount in micro-dollars.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// A dollar figure from a request's JSON, to the nearest micro-dollar; `None` when it is
    /// not a finite, non-negative number.
    pub(crate) fn from_json(dollars: f64) -> Option<Usd> {
        (dollars.is_finite() && dollars >= 0.0)
            .then(|| Usd((dollars * MICROS_PER_USD as f64).round() as i64))
    }

    /// The figure an answer's JSON carries: dollars as a number.
    pub(crate) fn to_json(self) -> f64 {
        self.0 as f64 / MICROS_PER_USD as f64
    }

    /// `self - other`, never below zero.
    pub fn saturating_sub(self, other: Usd) -> Usd {
        Usd(self.0.saturating_sub(other.0).max(0))
    }
}

impl Add for Usd {
    type Output = Usd;
    fn add(self, other: Usd) -> Usd {
        Usd(self.0.saturating_add(other.0))
    }
}

impl fmt::Display for Usd {
    /// Dollars with six decimals, as precise as the fake keeps them: `$12.500000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = MICROS_PER_USD as u64;
        write!(f, "{sign}${}.{:06}", abs / per, abs % per)
    }
}

/// How often a key's limit resets: the spec's `limit_reset` (`daily`, `weekly`, `monthly`, or
/// `null` for a limit that never resets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LimitReset {
    /// At UTC midnight.
    Daily,
    /// At UTC midnight between Sunday and Monday.
    Weekly,
    /// At UTC midnight on the first of the month.
    Monthly,
    /// Never: the limit counts everything the key has spent (`null` in the JSON).
    #[default]
    Never,
}

impl LimitReset {
    /// The JSON value: `"daily"`, `"weekly"`, `"monthly"`, or `None` for `null`.
    pub fn to_json(self) -> Option<&'static str> {
        match self {
            LimitReset::Daily => Some("daily"),
            LimitReset::Weekly => Some("weekly"),
            LimitReset::Monthly => Some("monthly"),
            LimitReset::Never => None,
        }
    }

    /// Reads a JSON string value; `None` for anything the spec does not list.
    pub(crate) fn from_json(text: &str) -> Option<LimitReset> {
        match text {
            "daily" => Some(LimitReset::Daily),
            "weekly" => Some(LimitReset::Weekly),
            "monthly" => Some(LimitReset::Monthly),
            _ => None,
        }
    }
}

/// A key's spend counters, as `usage`, `usage_daily`, `usage_weekly` and `usage_monthly` report
/// them (UTC day, Monday-start week, calendar month); the fake moves them only when told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Everything the key has spent.
    pub total: Usd,
    /// The spend of the current UTC day.
    pub daily: Usd,
    /// The spend of the current week.
    pub weekly: Usd,
    /// The spend of the current month.
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

/// What `GET /credits` answers: the account's credits and what has been used of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credits {
    /// Every credit bought.
    pub total_credits: Usd,
    /// Every credit used.
    pub total_usage: Usd,
}

/// One row of spend for `GET /activity`: a day's use of one model by one key. The fake sums the
/// rows of the same day and model when it lists them, as OpenRouter reports one row for each.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
    /// The model's id, such as `openai/gpt-4o-mini`.
    pub model: String,
    /// What was spent.
    pub usage: Usd,
    /// How many requests were made.
    pub requests: i64,
    /// Prompt tokens.
    pub prompt_tokens: i64,
    /// Completion tokens.
    pub completion_tokens: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_dollars_round_to_the_micro_dollar_and_refuse_what_is_not_an_amount() {
        assert_eq!(Usd::from_json(12.5), Some(Usd::from_micros(12_500_000)));
        assert_eq!(Usd::from_json(0.0000004), Some(Usd::ZERO));
        assert_eq!(Usd::from_json(-1.0), None);
        assert_eq!(Usd::from_json(f64::NAN), None);
        assert_eq!(Usd::from_cents(250).to_json(), 2.5);
    }
}
