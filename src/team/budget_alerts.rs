//! Budget-breach alerts: after each sync, the highest threshold a key newly crossed in its
//! current window, announced once per (key, window, threshold), across restarts and instances.

use super::{Member, Team, TeamError, TeamKey};
use crate::money::Usd;
use crate::reset::BudgetWindow;

/// One alert to announce.
#[derive(Debug, Clone)]
pub struct BudgetAlert {
    pub key: TeamKey,
    /// The owner, when a member owns the key.
    pub member: Option<Member>,
    /// The highest threshold newly crossed, in percent.
    pub threshold: u8,
    /// How much of the limit is used now, in percent.
    pub percent: i64,
    pub spent: Usd,
    pub limit: Usd,
    pub window: BudgetWindow,
    /// A gateway token whose budget is used up though not to the cent: the gateway refused a
    /// request because its cost bound did not fit what was left. The member is at the limit as
    /// surely as a key that OpenRouter refuses.
    pub exhausted: bool,
}

impl BudgetAlert {
    /// Whether the member may ask for a top-up from this alert (80 % and above).
    pub fn offers_top_up(&self) -> bool {
        self.threshold >= 80
    }
}

/// The thresholds crossed at `percent` that were not announced yet, highest last; empty when
/// there is nothing new.
pub fn newly_crossed(percent: i64, thresholds: &[u8], already: &[u8]) -> Vec<u8> {
    let mut crossed: Vec<u8> = thresholds
        .iter()
        .copied()
        .filter(|t| i64::from(*t) <= percent && !already.contains(t))
        .collect();
    crossed.sort_unstable();
    crossed
}

impl Team {
    /// The budget alerts due after a sync. Each returned alert has been claimed in the database,
    /// so the caller announces it exactly once.
    pub async fn due_budget_alerts(
        &self,
        thresholds: &[u8],
    ) -> Result<Vec<BudgetAlert>, TeamError> {
        let now = self.now();
        let mut alerts = Vec::new();
        for key in self.store.live_keys().await? {
            let Some(limit) = key.limit.filter(|l| *l > Usd::ZERO) else {
                continue;
            };
            if key.disabled {
                continue;
            }
            let spent = key.usage.in_window(key.reset);
            let Some(percent) = spent.percent_of(limit) else {
                continue;
            };
            let window = key.reset.window_at(now);
            // Holds keep a gateway member's spend under the limit, so running out shows as a
            // refusal instead of as 100 %.
            let exhausted = percent < 100
                && key.is_gateway_token()
                && self
                    .store
                    .refused_for_budget_since(&key.hash, window.start)
                    .await?;
            let level = if exhausted { 100 } else { percent };
            let already = self
                .store
                .budget_alerts_sent(&key.hash, window.start)
                .await?;
            let mut crossed = newly_crossed(level, thresholds, &already);
            let Some(highest) = crossed.pop() else {
                continue;
            };
            // The highest level decides who announces; the lower ones are recorded as passed.
            if !self
                .store
                .claim_budget_alert(&key.hash, window.start, highest, now)
                .await?
            {
                continue;
            }
            for lower in crossed {
                self.store
                    .claim_budget_alert(&key.hash, window.start, lower, now)
                    .await?;
            }
            let member = match key.member_id {
                Some(id) => self.store.member(id).await?,
                None => None,
            };
            alerts.push(BudgetAlert {
                key,
                member,
                threshold: highest,
                percent,
                spent,
                limit,
                window,
                exhausted,
            });
        }
        Ok(alerts)
    }
}

#[cfg(test)]
mod tests {
    use super::newly_crossed;

    #[test]
    fn only_new_levels_count_and_the_highest_comes_last() {
        let thresholds = [50, 80, 100];
        assert_eq!(newly_crossed(10, &thresholds, &[]), Vec::<u8>::new());
        assert_eq!(newly_crossed(55, &thresholds, &[]), vec![50]);
        assert_eq!(newly_crossed(85, &thresholds, &[50]), vec![80]);
        assert_eq!(newly_crossed(120, &thresholds, &[50, 80]), vec![100]);
        assert_eq!(newly_crossed(100, &thresholds, &[]), vec![50, 80, 100]);
        assert_eq!(
            newly_crossed(120, &thresholds, &[50, 80, 100]),
            Vec::<u8>::new()
        );
    }
}
