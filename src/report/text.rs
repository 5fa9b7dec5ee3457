//! The digest's wording shared by every rendering, so Markdown, Discord and the CSV agree.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::money::Usd;
use crate::team::MemberName;
use crate::team::digest::{CreditRunway, Digest, LimitUse, MemberLine, WeekSpend};

/// An amount for people: to the cent (`$12.35`), or exact below a cent (`$0.0042`), so a
/// small spend never reads as nothing. Files for programs (CSV, JSON) keep every micro-dollar.
pub fn usd(amount: Usd) -> String {
    let micros = amount.micros();
    let cents = (i128::from(micros) + i128::from(micros.signum()) * 5_000) / 10_000;
    if cents == 0 && micros != 0 {
        return amount.to_string();
    }
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}${}.{:02}", cents / 100, cents % 100)
}

/// An amount with its sign: `+$2.00`, `-$1.50`, `$0.00`.
pub fn signed(amount: Usd) -> String {
    if amount > Usd::ZERO {
        format!("+{}", usd(amount))
    } else {
        usd(amount)
    }
}

/// A week's change: `+$2.00 (+19%)`, `-$1.00 (-50%)`, `+$3.00 (new)` after a week of nothing.
pub fn change(spend: &WeekSpend) -> String {
    let amount = signed(spend.change());
    match spend.change_percent() {
        Some(percent) if percent > 0 => format!("{amount} (+{percent}%)"),
        Some(percent) => format!("{amount} ({percent}%)"),
        None if spend.this_week > Usd::ZERO => format!("{amount} (new)"),
        None => amount,
    }
}

/// The team total in one line: `$1234.00 (last week $1000.00, +$234.00, +23%)`.
pub fn total_line(spend: &WeekSpend) -> String {
    format!(
        "{} (last week {}, {})",
        usd(spend.this_week),
        usd(spend.last_week),
        change(spend).replacen(" (", ", ", 1).trim_end_matches(')')
    )
}

/// The owner of a key, or `(unowned)`.
pub fn owner(member: Option<&MemberName>) -> String {
    member.map_or_else(|| "(unowned)".to_string(), MemberName::to_string)
}

/// A limit and its use: `45% of $10.00 per day`.
pub fn limit_use(limit: &LimitUse) -> String {
    format!(
        "{}% of {} {}",
        limit.percent,
        usd(limit.limit),
        limit.reset.per_period()
    )
}

/// A member's limit column: `45% of $10.00 per day`, `no limit`, or `no key`.
pub fn limit_column(member: &MemberLine) -> String {
    match (&member.limit, member.keys) {
        (Some(limit), _) => limit_use(limit),
        (None, 0) => "no key".to_string(),
        (None, _) => "no limit".to_string(),
    }
}

/// Credits in one line: `$500.00 left, about 20 days at the last 7 days' pace ($175.00)`.
pub fn credits_line(credits: &CreditRunway) -> String {
    match credits.runway_days {
        Some(days) => format!(
            "{} left, about {days} day{} at the last 7 days' pace ({} spent)",
            usd(credits.balance),
            if days == 1 { "" } else { "s" },
            usd(credits.burn_last_7_days)
        ),
        None => format!(
            "{} left; nothing was spent in the last 7 days",
            usd(credits.balance)
        ),
    }
}

/// A time in the team's zone: `Mon 30 Nov 2026 09:00 CET`.
pub fn local_time(at: DateTime<Utc>, timezone: Tz) -> String {
    at.with_timezone(&timezone)
        .format("%a %-d %b %Y %H:%M %Z")
        .to_string()
}

/// The note on a digest posted after its time, if it was.
pub fn late_note(digest: &Digest) -> Option<String> {
    digest.posted_late.map(|late| {
        format!(
            "Posted late: this digest was due {} (the bot was not running then).",
            local_time(late.due_at, digest.week.timezone())
        )
    })
}

/// What the spike rule is, in words: `over 3x the usual daily spend and over $5.00`.
pub fn spike_rule(digest: &Digest) -> String {
    let factor = digest.spike_rule.factor_percent;
    let times = if factor % 100 == 0 {
        format!("{}", factor / 100)
    } else {
        format!("{}.{:02}", factor / 100, factor % 100)
            .trim_end_matches('0')
            .to_string()
    };
    format!(
        "a day over {times}x the usual daily spend (the 7 days before) and over {}",
        usd(digest.spike_rule.min)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(this: i64, last: i64) -> WeekSpend {
        WeekSpend {
            this_week: Usd::from_micros(this * 10_000),
            last_week: Usd::from_micros(last * 10_000),
        }
    }

    #[test]
    fn amounts_read_to_the_cent_unless_below_one() {
        assert_eq!(usd(Usd::from_micros(2_684_566_502)), "$2684.57");
        assert_eq!(usd(Usd::from_micros(-1_504_999)), "-$1.50");
        assert_eq!(usd(Usd::from_micros(4_200)), "$0.0042");
        assert_eq!(usd(Usd::ZERO), "$0.00");
    }

    #[test]
    fn changes_read_with_sign_and_percentage() {
        assert_eq!(change(&spend(1200, 1000)), "+$2.00 (+20%)");
        assert_eq!(change(&spend(500, 1000)), "-$5.00 (-50%)");
        assert_eq!(change(&spend(300, 0)), "+$3.00 (new)");
        assert_eq!(change(&spend(0, 0)), "$0.00");
        assert_eq!(change(&spend(1000, 1000)), "$0.00 (0%)");
        assert_eq!(
            total_line(&spend(123400, 100000)),
            "$1234.00 (last week $1000.00, +$234.00, +23%)"
        );
        assert_eq!(total_line(&spend(0, 0)), "$0.00 (last week $0.00, $0.00)");
    }
}
