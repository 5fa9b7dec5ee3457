//! Money as whole micro-dollars: the only representation the bot stores, compares and adds.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};
use std::str::FromStr;

/// Micro-dollars in one US dollar.
pub const MICROS_PER_USD: i64 = 1_000_000;

/// An amount of US dollars, held as an integer number of micro-dollars.
///
/// OpenRouter sends money as JSON numbers; they are turned into `Usd` once, at the edge
/// ([`Usd::from_api`]), and never become floats again except for display ratios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd(i64);

/// Why a dollar amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsdError {
    #[error("{0:?} is not a dollar amount (expected something like 10, 12.5 or 0.25)")]
    NotANumber(String),
    #[error("amounts cannot be negative (got {0})")]
    Negative(String),
    #[error("{0} is too large")]
    TooLarge(String),
}

impl Usd {
    /// Zero dollars.
    pub const ZERO: Usd = Usd(0);

    /// An amount from micro-dollars, as stored in the database.
    pub const fn from_micros(micros: i64) -> Usd {
        Usd(micros)
    }

    /// An amount from whole dollars.
    pub const fn from_dollars(dollars: i64) -> Usd {
        Usd(dollars * MICROS_PER_USD)
    }

    /// The amount in micro-dollars.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Converts a dollar figure from OpenRouter's JSON, rounding to the nearest micro-dollar.
    /// Values that are not finite become zero rather than poisoning totals.
    pub fn from_api(dollars: f64) -> Usd {
        if !dollars.is_finite() {
            return Usd::ZERO;
        }
        let micros = (dollars * MICROS_PER_USD as f64).round();
        Usd(micros.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
    }

    /// The figure to send back to OpenRouter's JSON.
    pub fn to_api(self) -> f64 {
        self.0 as f64 / MICROS_PER_USD as f64
    }

    /// Parses a non-negative amount typed by a person, such as `10`, `12.50` or `$0.25`.
    /// At most six decimals are kept; more precision than that is refused rather than rounded.
    pub fn parse(text: &str) -> Result<Usd, UsdError> {
        let trimmed = text.trim();
        let unsigned = trimmed.strip_prefix('$').unwrap_or(trimmed).trim();
        if unsigned.starts_with('-') {
            return Err(UsdError::Negative(trimmed.to_string()));
        }
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, f),
            None => (unsigned, ""),
        };
        let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty())
            || !digits_only(whole)
            || !digits_only(fraction)
            || fraction.len() > 6
        {
            return Err(UsdError::NotANumber(trimmed.to_string()));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| UsdError::TooLarge(trimmed.to_string()))?
        };
        let fraction_micros: i64 = format!("{fraction:0<6}")
            .parse()
            .map_err(|_| UsdError::NotANumber(trimmed.to_string()))?;
        whole
            .checked_mul(MICROS_PER_USD)
            .and_then(|m| m.checked_add(fraction_micros))
            .map(Usd)
            .ok_or_else(|| UsdError::TooLarge(trimmed.to_string()))
    }

    /// Converts a configured dollar figure (TOML floats), refusing negative and absurd values.
    pub fn from_config(dollars: f64) -> Result<Usd, UsdError> {
        if !dollars.is_finite() {
            return Err(UsdError::NotANumber(dollars.to_string()));
        }
        if dollars < 0.0 {
            return Err(UsdError::Negative(dollars.to_string()));
        }
        if dollars > 1e12 {
            return Err(UsdError::TooLarge(dollars.to_string()));
        }
        Ok(Usd::from_api(dollars))
    }

    /// `self - other`, never below zero.
    pub fn saturating_sub(self, other: Usd) -> Usd {
        Usd(self.0.saturating_sub(other.0).max(0))
    }

    /// The share of `whole` this amount makes up, in whole percent rounded down
    /// (so 99.9 % is still under a 100 % threshold). `None` when `whole` is zero.
    pub fn percent_of(self, whole: Usd) -> Option<i64> {
        if whole.0 <= 0 {
            return None;
        }
        Some(((self.0 as i128 * 100) / whole.0 as i128) as i64)
    }
}

/// Each part's share of their sum in whole percent, rounded so that the shares add up to
/// exactly 100 (largest remainder: every share is rounded down, and the points still missing go
/// to the parts that lost the most). All zeros when the sum is not positive.
pub fn whole_percent_shares(parts: &[Usd]) -> Vec<i64> {
    let total: i128 = parts.iter().map(|p| i128::from(p.micros().max(0))).sum();
    if total <= 0 {
        return vec![0; parts.len()];
    }
    let exact: Vec<(i64, i128)> = parts
        .iter()
        .map(|p| {
            let scaled = i128::from(p.micros().max(0)) * 100;
            ((scaled / total) as i64, scaled % total)
        })
        .collect();
    let mut shares: Vec<i64> = exact.iter().map(|(whole, _)| *whole).collect();
    let missing = 100 - shares.iter().sum::<i64>();
    let mut by_remainder: Vec<usize> = (0..parts.len()).collect();
    by_remainder.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for &i in by_remainder.iter().take(missing.max(0) as usize) {
        shares[i] += 1;
    }
    shares
}

impl fmt::Display for Usd {
    /// Dollars with cents, and more decimals only when the amount needs them: `$12.50`, `$0.0042`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / MICROS_PER_USD as u64;
        let fraction = abs % MICROS_PER_USD as u64;
        let mut decimals = format!("{fraction:06}");
        while decimals.len() > 2 && decimals.ends_with('0') {
            decimals.pop();
        }
        write!(f, "{sign}${whole}.{decimals}")
    }
}

impl FromStr for Usd {
    type Err = UsdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Usd::parse(s)
    }
}

impl Add for Usd {
    type Output = Usd;
    fn add(self, rhs: Usd) -> Usd {
        Usd(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Usd {
    type Output = Usd;
    fn sub(self, rhs: Usd) -> Usd {
        Usd(self.0.saturating_sub(rhs.0))
    }
}

impl Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::ZERO, Add::add)
    }
}

/// Nano-dollars in one micro-dollar.
pub const NANOS_PER_MICRO: i64 = 1_000;

/// A cost measured finely enough that no request rounds to zero: whole nano-dollars, the unit of
/// the gateway's ledger and budget holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NanoUsd(i64);

impl NanoUsd {
    /// Nothing.
    pub const ZERO: NanoUsd = NanoUsd(0);

    /// A cost from nano-dollars, as stored in the database.
    pub const fn from_nanos(nanos: i64) -> NanoUsd {
        NanoUsd(nanos)
    }

    /// The cost in nano-dollars.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// Converts a dollar figure from OpenRouter's JSON (`usage.cost`), to the nearest
    /// nano-dollar; what is not finite or is negative becomes zero.
    pub fn from_api(dollars: f64) -> NanoUsd {
        if !dollars.is_finite() || dollars <= 0.0 {
            return NanoUsd::ZERO;
        }
        let nanos = (dollars * (MICROS_PER_USD * NANOS_PER_MICRO) as f64).round();
        NanoUsd(nanos.min(i64::MAX as f64) as i64)
    }

    /// A budget in dollars, in nano-dollars.
    pub fn from_usd(amount: Usd) -> NanoUsd {
        NanoUsd(amount.micros().saturating_mul(NANOS_PER_MICRO))
    }

    /// The cost in micro-dollars, rounded up: what a budget in [`Usd`] is charged.
    pub fn to_usd_rounded_up(self) -> Usd {
        let micros =
            self.0.div_euclid(NANOS_PER_MICRO) + i64::from(self.0.rem_euclid(NANOS_PER_MICRO) != 0);
        Usd::from_micros(micros)
    }

    /// `self - other`, never below zero.
    pub fn saturating_sub(self, other: NanoUsd) -> NanoUsd {
        NanoUsd(self.0.saturating_sub(other.0).max(0))
    }
}

impl Add for NanoUsd {
    type Output = NanoUsd;
    fn add(self, rhs: NanoUsd) -> NanoUsd {
        NanoUsd(self.0.saturating_add(rhs.0))
    }
}

impl Sum for NanoUsd {
    fn sum<I: Iterator<Item = NanoUsd>>(iter: I) -> NanoUsd {
        iter.fold(NanoUsd::ZERO, Add::add)
    }
}

impl fmt::Display for NanoUsd {
    /// Like [`Usd`], rounded up to the micro-dollar so a small cost never shows as `$0.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_usd_rounded_up().fmt(f)
    }
}

/// A price per unit (token, request) in pico-dollars, read exactly from OpenRouter's decimal
/// strings (`"0.00000015"` dollars per token is 150,000 pico-dollars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct UnitPrice(u64);

/// Pico-dollars in one dollar.
const PICOS_PER_USD: u64 = 1_000_000_000_000;

impl UnitPrice {
    /// Free.
    pub const FREE: UnitPrice = UnitPrice(0);

    /// A price from pico-dollars per unit.
    pub const fn from_picos(picos: u64) -> UnitPrice {
        UnitPrice(picos)
    }

    /// Reads OpenRouter's price string (dollars per unit, such as `"0.00003"`). Digits past the
    /// twelfth decimal round the price up; a negative price (OpenRouter writes `"-1"` for
    /// "varies") reads as `None`.
    pub fn parse(text: &str) -> Option<UnitPrice> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
            return None;
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let kept = &fraction[..fraction.len().min(12)];
        let rest = &fraction[kept.len()..];
        let scale = 10u64.pow(12 - kept.len() as u32);
        let fraction_picos = if kept.is_empty() {
            0
        } else {
            kept.parse::<u64>().ok()? * scale
        };
        let rounded_up = u64::from(rest.chars().any(|c| c != '0'));
        whole
            .checked_mul(PICOS_PER_USD)?
            .checked_add(fraction_picos + rounded_up)
            .map(UnitPrice)
    }

    /// How many whole units `budget` pays for at this price (`u64::MAX` when free).
    pub fn units_within(self, budget: NanoUsd) -> u64 {
        if self.0 == 0 {
            return u64::MAX;
        }
        let picos = u128::try_from(budget.0.max(0)).unwrap_or(0) * 1_000;
        u64::try_from(picos / u128::from(self.0)).unwrap_or(u64::MAX)
    }

    /// The price of `units` units, rounded up to the nano-dollar.
    pub fn times(self, units: u64) -> NanoUsd {
        let picos = u128::from(self.0) * u128::from(units);
        let nanos = picos.div_ceil(1_000);
        NanoUsd(i64::try_from(nanos).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_exactly_and_round_up() {
        assert_eq!(UnitPrice::parse("0.00000015"), Some(UnitPrice(150_000)));
        assert_eq!(UnitPrice::parse("0"), Some(UnitPrice::FREE));
        assert_eq!(UnitPrice::parse("2"), Some(UnitPrice(2 * PICOS_PER_USD)));
        assert_eq!(UnitPrice::parse("0.0000000000001"), Some(UnitPrice(1)));
        assert_eq!(UnitPrice::parse("-1"), None);
        assert_eq!(UnitPrice::parse("cheap"), None);
        // 1,000 tokens at $0.15 per million is 150 nano-dollars; one token rounds up to 1.
        assert_eq!(UnitPrice(150_000).times(1_000), NanoUsd(150_000));
        assert_eq!(UnitPrice(1).times(1), NanoUsd(1));
    }

    #[test]
    fn a_cheap_cost_is_never_zero() {
        let cost = NanoUsd::from_api(0.000_000_4);
        assert_eq!(cost, NanoUsd(400));
        assert_eq!(cost.to_usd_rounded_up(), Usd::from_micros(1));
        assert_eq!(cost.to_string(), "$0.000001");
        assert_eq!(NanoUsd::from_api(-1.0), NanoUsd::ZERO);
        assert_eq!(
            NanoUsd::from_usd(Usd::from_dollars(2)),
            NanoUsd(2_000_000_000)
        );
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Usd::parse("10").unwrap(), Usd::from_dollars(10));
        assert_eq!(Usd::parse("$12.5").unwrap(), Usd::from_micros(12_500_000));
        assert_eq!(Usd::parse(".25").unwrap(), Usd::from_micros(250_000));
        assert_eq!(Usd::parse(" 0.000001 ").unwrap(), Usd::from_micros(1));
    }

    #[test]
    fn refuses_negative_and_garbage() {
        assert!(matches!(Usd::parse("-5"), Err(UsdError::Negative(_))));
        assert!(matches!(Usd::parse("ten"), Err(UsdError::NotANumber(_))));
        assert!(matches!(
            Usd::parse("1.0000001"),
            Err(UsdError::NotANumber(_))
        ));
        assert!(matches!(Usd::parse(""), Err(UsdError::NotANumber(_))));
        assert!(matches!(Usd::parse("."), Err(UsdError::NotANumber(_))));
        assert!(matches!(
            Usd::parse("99999999999999999999"),
            Err(UsdError::TooLarge(_))
        ));
        assert!(matches!(Usd::from_config(-1.0), Err(UsdError::Negative(_))));
    }

    #[test]
    fn converts_api_numbers_without_float_drift() {
        assert_eq!(Usd::from_api(0.1) + Usd::from_api(0.2), Usd::from_api(0.3));
        assert_eq!(Usd::from_api(f64::NAN), Usd::ZERO);
    }

    #[test]
    fn displays_cents_and_small_amounts() {
        assert_eq!(Usd::from_dollars(12).to_string(), "$12.00");
        assert_eq!(Usd::from_micros(12_500_000).to_string(), "$12.50");
        assert_eq!(Usd::from_micros(4_200).to_string(), "$0.0042");
        assert_eq!(Usd::from_micros(-1_500_000).to_string(), "-$1.50");
    }

    #[test]
    fn percent_rounds_down_so_thresholds_are_not_crossed_early() {
        let limit = Usd::from_dollars(10);
        assert_eq!(Usd::from_micros(9_999_999).percent_of(limit), Some(99));
        assert_eq!(Usd::from_dollars(10).percent_of(limit), Some(100));
        assert_eq!(Usd::from_dollars(1).percent_of(Usd::ZERO), None);
    }

    #[test]
    fn shares_add_up_to_a_hundred() {
        let thirds = [
            Usd::from_dollars(1),
            Usd::from_dollars(1),
            Usd::from_dollars(1),
        ];
        assert_eq!(whole_percent_shares(&thirds), vec![34, 33, 33]);
        let parts = [
            Usd::from_micros(575),
            Usd::from_micros(245),
            Usd::from_micros(180),
        ];
        // 57.5 and 24.5 tie for the missing point: the larger part gets it.
        assert_eq!(whole_percent_shares(&parts), vec![58, 24, 18]);
        let sevenths = [2, 2, 2, 1].map(Usd::from_dollars);
        assert_eq!(whole_percent_shares(&sevenths), vec![29, 29, 28, 14]);
        assert_eq!(whole_percent_shares(&[Usd::ZERO]), vec![0]);
    }
}
