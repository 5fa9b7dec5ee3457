//! The digest's wording shared by every rendering, so Markdown, Discord and the CSV agree.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::money::Usd;
use crate::reset::LimitReset;
use crate::team::MemberName;
use crate::team::digest::{
    AtLimit, CreditRunway, Digest, LimitUse, MemberLine, ModelSpend, WeekSpend,
};

/// An amount for people: to the cent (`$12.35`), or exact below a cent (`$0.0042`), so a
/// small spend never reads as nothing. Files for programs (CSV, JSON) keep every micro-dollar.
pub fn usd(amount: Usd) -> String {
    let micros = amount.micros();
    let cents = nearest_cents(micros);
    if cents == 0 && micros != 0 {
        return amount.to_string();
    }
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}${}.{:02}", cents / 100, cents % 100)
}

/// Micro-dollars to the nearest cent, halves away from zero.
fn nearest_cents(micros: i64) -> i128 {
    (i128::from(micros) + i128::from(micros.signum()) * 5_000) / 10_000
}

/// An amount with its sign: `+$2.00`, `-$1.50`, `$0.00`.
pub fn signed(amount: Usd) -> String {
    if amount > Usd::ZERO {
        format!("+{}", usd(amount))
    } else {
        usd(amount)
    }
}

/// The share of the models left out of a top list (`models` is the top of a list whose
/// shares add up to 100), when there are any.
pub fn other_models_percent(models: &[ModelSpend]) -> Option<i64> {
    let rest = 100 - models.iter().map(|m| m.percent).sum::<i64>();
    (!models.is_empty() && rest > 0).then_some(rest)
}

/// An amount as [`usd`] shows it: to the cent, or exact below a cent.
pub fn shown(amount: Usd) -> Usd {
    let cents = nearest_cents(amount.micros());
    if cents == 0 {
        return amount;
    }
    Usd::from_micros((cents * 10_000).clamp(i64::MIN.into(), i64::MAX.into()) as i64)
}

/// A week's change: `+$2.00 (+19%)`, `-$1.00 (-50%)`, `+$3.00 (new)` after a week of nothing.
/// The amount is the shown this week minus the shown last week, so a reader's subtraction
/// agrees with it to the cent.
pub fn change(spend: &WeekSpend) -> String {
    let amount = signed(shown(spend.this_week) - shown(spend.last_week));
    match spend.change_percent() {
        Some(percent) if percent > 0 => format!("{amount} (+{percent}%)"),
        Some(percent) => format!("{amount} ({percent}%)"),
        None if spend.this_week > Usd::ZERO => format!("{amount} (new)"),
        None => amount,
    }
}

/// The team's total as the digest shows it: the sum of the shown member lines and the shown
/// unowned keys, so the figures on the page add up.
pub fn shown_total(digest: &Digest) -> WeekSpend {
    let lines = digest
        .members
        .iter()
        .map(|m| m.spend)
        .chain([digest.unowned.spend]);
    let mut total = WeekSpend::default();
    for spend in lines {
        total.this_week = total.this_week + shown(spend.this_week);
        total.last_week = total.last_week + shown(spend.last_week);
    }
    total
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

/// A limit and its use, saying what each percentage is:
/// `45% of the $10.00 daily limit's weekly pace, peak 104% of it in a day`, or
/// `52% of the $20.00 lifetime limit used`.
pub fn limit_use(limit: &LimitUse) -> String {
    let amount = usd(limit.limit);
    let kind = limit.reset.adjective();
    match limit.pace_percent {
        None => format!(
            "{}% of the {amount} {kind} limit used",
            limit.peak_percent.unwrap_or(0)
        ),
        Some(pace) => {
            let mut words = format!("{pace}% of the {amount} {kind} limit's weekly pace");
            if let (Some(peak), Some(window)) = (limit.peak_percent, window_noun(limit.reset)) {
                words.push_str(&format!(", peak {peak}% of it in a {window}"));
            }
            words
        }
    }
}

/// The span one budget lasts, for "in a day": `None` for a lifetime limit.
fn window_noun(reset: LimitReset) -> Option<&'static str> {
    match reset {
        LimitReset::Daily => Some("day"),
        LimitReset::Weekly => Some("week"),
        LimitReset::Monthly => Some("month"),
        LimitReset::Never => None,
    }
}

/// When and how far a key reached its limit, each window in turn:
/// `104% of $10.00 per day on Wed 25 Nov (top-up +$5.00 approved); 101% on Fri 27 Nov`.
pub fn limit_reached(at_limit: &AtLimit, timezone: Tz) -> String {
    let mut parts = Vec::new();
    for (i, reached) in at_limit.reached.iter().enumerate() {
        let day = reached.at.with_timezone(&timezone).format("%a %-d %b");
        let mut part = if i == 0 {
            format!(
                "{}% of {} {} on {day}",
                reached.percent,
                usd(reached.limit),
                at_limit.reset.per_period()
            )
        } else {
            format!("{}% on {day}", reached.percent)
        };
        if reached.stopped {
            part.push_str(" (stopped at the limit by the gateway)");
        }
        if reached.top_up > Usd::ZERO {
            part.push_str(&format!(" (top-up {} approved)", signed(reached.top_up)));
        }
        parts.push(part);
    }
    parts.join("; ")
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
        "a UTC day over {times}x the usual daily spend (the average of the 7 days before, counting only days since the first key was made; a first day is never a spike) and over {}",
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

    #[test]
    fn a_change_is_the_difference_of_the_amounts_shown() {
        // $152.144 - $134.056 is $18.088, but the page shows $152.14 and $134.06.
        let spend = WeekSpend {
            this_week: Usd::from_micros(152_144_000),
            last_week: Usd::from_micros(134_056_000),
        };
        assert_eq!(change(&spend), "+$18.08 (+13%)");
        assert_eq!(shown(Usd::from_micros(4_200)), Usd::from_micros(4_200));
        assert_eq!(
            shown(Usd::from_micros(-1_504_999)),
            Usd::from_micros(-1_500_000)
        );
    }
}
