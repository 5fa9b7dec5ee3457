//! What the simulated team spends on its personal keys during the demo's week, and how
//! OpenRouter counts it at any moment: the counters `GET /keys` reports (today, this week, this
//! month, in total, each starting at its UTC boundary) and the per-day, per-model rows of
//! `GET /activity`. (The shared tier's spend is not scripted: it is what the gateway's requests
//! cost at the simulated OpenRouter.)

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};

use crate::money::Usd;
use crate::openrouter::{ActivityRow, Usage};

/// When in the day each part of a day's spend happens: just before the 10:00, 14:00 and 18:00
/// syncs.
const SPEND_TIMES: [(u32, u32); 3] = [(9, 30), (13, 30), (17, 30)];

/// A member's spend per day of the week, Monday first, each day in the three parts of
/// [`SPEND_TIMES`], in cents; with the models it goes to.
struct Habit {
    member: &'static str,
    models: &'static [&'static str],
    cents: [[i64; 3]; 7],
}

/// The week's script. Mia's Wednesday eval run takes her past half her $10 daily limit by
/// 10:00 and past all of it by 14:00; Olu stops on Saturday because he has left; Lee starts
/// on Tuesday, when his key is made.
const HABITS: [Habit; 3] = [
    Habit {
        member: "mia",
        models: &["openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"],
        cents: [
            [0, 120, 90],
            [80, 150, 110],
            [550, 490, 340],
            [100, 180, 140],
            [90, 130, 90],
            [0, 0, 0],
            [0, 40, 0],
        ],
    },
    Habit {
        member: "olu",
        models: &["anthropic/claude-3.5-sonnet", "openai/gpt-4o"],
        cents: [
            [0, 160, 140],
            [150, 240, 160],
            [120, 180, 120],
            [170, 260, 180],
            [60, 110, 70],
            [0, 0, 0],
            [0, 0, 0],
        ],
    },
    Habit {
        member: "lee",
        models: &["google/gemini-1.5-pro", "anthropic/claude-3.5-sonnet"],
        cents: [
            [0, 0, 0],
            [0, 450, 350],
            [300, 520, 430],
            [380, 640, 480],
            [250, 420, 305],
            [0, 200, 0],
            [0, 0, 0],
        ],
    },
];

/// One bit of spend on one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Spend {
    /// Whose key.
    pub member: &'static str,
    /// When OpenRouter counts it.
    pub at: DateTime<Utc>,
    pub amount: Usd,
    /// The model it paid for.
    pub model: &'static str,
}

/// Every bit of spend of the demo's week.
#[derive(Debug, Clone)]
pub struct SpendPlan {
    spends: Vec<Spend>,
}

impl SpendPlan {
    /// The scripted week that starts on `monday` (a Monday, 00:00 UTC).
    pub fn week(monday: DateTime<Utc>) -> SpendPlan {
        let mut spends = Vec::new();
        for habit in &HABITS {
            for (day, parts) in habit.cents.iter().enumerate() {
                for (part, cents) in parts.iter().enumerate() {
                    if *cents == 0 {
                        continue;
                    }
                    let (hour, minute) = SPEND_TIMES[part];
                    let at = monday
                        + Duration::days(day as i64)
                        + Duration::hours(i64::from(hour))
                        + Duration::minutes(i64::from(minute));
                    spends.push(Spend {
                        member: habit.member,
                        at,
                        amount: Usd::from_micros(cents * 10_000),
                        model: habit.models[(day + part) % habit.models.len()],
                    });
                }
            }
        }
        spends.sort_by_key(|s| s.at);
        SpendPlan { spends }
    }

    /// The members who spend anything in the plan: those with a key of their own. A gateway
    /// member's spend is what the gateway's requests really cost, counted in its ledger.
    pub fn members(&self) -> Vec<&'static str> {
        HABITS.iter().map(|h| h.member).collect()
    }

    /// The counters OpenRouter reports for `member`'s key at `now`.
    pub fn usage_at(&self, member: &str, now: DateTime<Utc>) -> Usage {
        let since = |from: DateTime<Utc>| -> Usd {
            self.spends
                .iter()
                .filter(|s| s.member == member && s.at >= from && s.at <= now)
                .map(|s| s.amount)
                .sum()
        };
        let day = start_of_day(now);
        let week = start_of_week(now);
        let month = Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(week);
        Usage {
            total: since(DateTime::<Utc>::MIN_UTC),
            daily: since(day),
            weekly: since(week),
            monthly: since(month),
        }
    }

    /// What the whole team spent in `(after, until]`.
    pub fn team_spent(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Usd {
        self.between(after, until).map(|s| s.amount).sum()
    }

    /// `GET /activity` rows for `member`'s spend in `(after, until]`, one per bit of spend
    /// (OpenRouter sums rows of the same day and model).
    pub fn activity(
        &self,
        member: &str,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<ActivityRow> {
        self.between(after, until)
            .filter(|s| s.member == member)
            .map(|s| {
                // Roughly what a chat model bills: a request per 2 cents, 1,200 tokens each.
                let requests = (s.amount.micros() / 20_000).max(1);
                ActivityRow {
                    date: s.at.format("%Y-%m-%d").to_string(),
                    model: s.model.to_string(),
                    usage: s.amount,
                    requests,
                    prompt_tokens: requests * 900,
                    completion_tokens: requests * 300,
                }
            })
            .collect()
    }

    fn between(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> impl Iterator<Item = &Spend> {
        self.spends
            .iter()
            .filter(move |s| s.at > after && s.at <= until)
    }
}

/// 00:00 UTC of the day `at` falls on.
pub fn start_of_day(at: DateTime<Utc>) -> DateTime<Utc> {
    at.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// Monday 00:00 UTC of the week `at` falls in.
pub fn start_of_week(at: DateTime<Utc>) -> DateTime<Utc> {
    start_of_day(at) - Duration::days(i64::from(at.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn counters_restart_at_their_utc_boundaries() {
        let plan = SpendPlan::week(utc("2026-11-23T00:00:00Z"));
        let wednesday = plan.usage_at("mia", utc("2026-11-25T14:00:00Z"));
        assert_eq!(wednesday.daily, Usd::from_micros(10_400_000));
        assert_eq!(wednesday.weekly, Usd::from_micros(15_900_000));
        assert_eq!(wednesday.monthly, wednesday.weekly);
        let next_monday = plan.usage_at("mia", utc("2026-11-30T09:00:00Z"));
        assert_eq!(next_monday.daily, Usd::ZERO);
        assert_eq!(next_monday.weekly, Usd::ZERO);
        assert_eq!(next_monday.monthly, Usd::from_dollars(27));
        assert_eq!(next_monday.total, Usd::from_dollars(27));
    }

    #[test]
    fn the_week_stays_under_the_thresholds_except_for_mias_wednesday() {
        let plan = SpendPlan::week(utc("2026-11-23T00:00:00Z"));
        let end = utc("2026-11-29T23:59:00Z");
        assert!(plan.usage_at("olu", end).weekly < Usd::from_dollars(25));
        assert!(plan.usage_at("lee", end).monthly < Usd::from_dollars(100));
        for day in [23, 24, 26, 27, 28, 29] {
            let evening = utc(&format!("2026-11-{day}T23:00:00Z"));
            assert!(plan.usage_at("mia", evening).daily < Usd::from_dollars(5));
        }
    }
}
