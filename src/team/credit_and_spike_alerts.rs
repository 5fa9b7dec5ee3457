//! Team-level warnings: credits running low (told once a day at most), and a member's spend
//! spiking (told once per member per day).

use std::collections::HashMap;

use super::digest::{SpikeRule, first_key_day};
use super::{Member, Team, TeamError};
use crate::clock::{days, earlier_by};
use crate::domain::DaySpend;
use crate::money::Usd;
use crate::openrouter::Credits;

/// The account's credits are running low.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditsLow {
    pub credits: Credits,
    /// Average daily spend over the last 7 full days.
    pub daily_burn: Usd,
    /// Whole days left at that pace (`None` when nothing is being spent).
    pub runway_days: Option<i64>,
}

/// A member spent far more today than usual.
#[derive(Debug, Clone, PartialEq)]
pub struct Spike {
    pub member: Member,
    pub today: Usd,
    /// Their average daily spend over the previous 7 days.
    pub usual: Usd,
}

/// When the team-level warnings are due (from `[alerts]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarningLevels {
    /// Warn when the balance falls under this.
    pub credits_floor: Usd,
    /// Warn when the credits last fewer days than this at the current pace.
    pub runway_days: i64,
    /// A member's day is a spike above this many percent of their trailing daily average...
    pub spike_factor_percent: i64,
    /// ...and above this amount.
    pub spike_min: Usd,
}

/// The team-level warnings due now, each claimed so it is told once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamNotices {
    /// The credits are running low, and nobody was told today.
    pub credits_low: Option<CreditsLow>,
    /// Members whose spend spiked today, each not yet told today.
    pub spikes: Vec<Spike>,
}

/// Whether the credits call for a warning: balance under the floor, or runway under `runway_days`.
pub fn credits_low(
    credits: Credits,
    daily_burn: Usd,
    floor: Usd,
    runway_days: i64,
) -> Option<CreditsLow> {
    let balance = credits.balance();
    let runway = (daily_burn > Usd::ZERO).then(|| balance.micros() / daily_burn.micros());
    let low = balance < floor || runway.is_some_and(|days| days < runway_days);
    low.then_some(CreditsLow {
        credits,
        daily_burn,
        runway_days: runway,
    })
}

/// Spend per key per day: `day -> key -> spent`.
fn by_day(spend: &[DaySpend]) -> HashMap<i64, HashMap<&str, Usd>> {
    let mut days: HashMap<i64, HashMap<&str, Usd>> = HashMap::new();
    for row in spend {
        days.entry(row.day)
            .or_default()
            .insert(row.key_hash.as_str(), row.spent);
    }
    days
}

impl Team {
    /// The warnings due now. Everything is read before anything is claimed, so a failed read
    /// leaves every warning to the next try; each returned warning has been claimed in the
    /// database (credits once a UTC day, a spike once per member per UTC day), so the caller
    /// tells it exactly once.
    pub async fn due_team_notices(&self, levels: &WarningLevels) -> Result<TeamNotices, TeamError> {
        let now = self.now();
        let today = now.format("%Y-%m-%d").to_string();
        let credits = self.api.credits().await?;
        let burn = self.daily_burn().await?;
        let low = credits_low(credits, burn, levels.credits_floor, levels.runway_days);
        let spikes = self
            .spikes(levels.spike_factor_percent, levels.spike_min)
            .await?;
        let mut notices = TeamNotices::default();
        if let Some(low) = low
            && self
                .store
                .claim_notice("credits_low", "team", &today, now)
                .await?
        {
            notices.credits_low = Some(low);
        }
        for spike in spikes {
            if self
                .store
                .claim_notice("spike", spike.member.name.as_str(), &today, now)
                .await?
            {
                notices.spikes.push(spike);
            }
        }
        Ok(notices)
    }

    /// The account's average daily spend over the last 7 full UTC days.
    pub async fn daily_burn(&self) -> Result<Usd, TeamError> {
        let today = self.now().timestamp().div_euclid(86_400);
        let spend = self
            .store
            .daily_spend_since(earlier_by(self.now(), days(7)))
            .await?;
        let total: Usd = spend
            .iter()
            .filter(|row| row.day < today)
            .map(|row| row.spent)
            .sum();
        Ok(Usd::from_micros(total.micros() / 7))
    }

    /// Members whose spend today is a spike against their previous 7 days.
    pub async fn spikes(&self, factor_percent: i64, minimum: Usd) -> Result<Vec<Spike>, TeamError> {
        let today = self.now().timestamp().div_euclid(86_400);
        let spend = self
            .store
            .daily_spend_since(earlier_by(self.now(), days(7)))
            .await?;
        let days = by_day(&spend);
        let rule = SpikeRule {
            factor_percent,
            min: minimum,
        };
        let mut spikes = Vec::new();
        let mut keys_by_member = self.keys_by_member().await?;
        for member in self.store.members().await? {
            let Some(keys) = keys_by_member.remove(&member.id) else {
                continue;
            };
            let spent_on = |day: i64| -> Option<Usd> {
                let on_day = days.get(&day)?;
                let spent: Vec<Usd> = keys
                    .iter()
                    .filter_map(|k| on_day.get(k.hash.as_str()).copied())
                    .collect();
                (!spent.is_empty()).then(|| spent.into_iter().sum())
            };
            let Some(spent_today) = spent_on(today) else {
                continue;
            };
            let since = first_key_day(&keys);
            if let Some(usual) = rule.judge(today, since, spent_today, |day| {
                spent_on(day).unwrap_or(Usd::ZERO)
            }) {
                spikes.push(Spike {
                    member,
                    today: spent_today,
                    usual,
                });
            }
        }
        Ok(spikes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(d: i64) -> Usd {
        Usd::from_dollars(d)
    }

    #[test]
    fn credits_are_low_under_the_floor_or_the_runway() {
        let credits = |left: i64| Credits {
            total_credits: usd(100),
            total_usage: usd(100 - left),
        };
        assert!(
            credits_low(credits(10), usd(1), usd(20), 7).is_some(),
            "under the floor"
        );
        let runway = credits_low(credits(50), usd(10), usd(20), 7).expect("5 days left");
        assert_eq!(runway.runway_days, Some(5));
        assert!(credits_low(credits(50), usd(1), usd(20), 7).is_none());
        assert!(credits_low(credits(50), Usd::ZERO, usd(20), 7).is_none());
    }
}
