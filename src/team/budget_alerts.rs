//! Budget-breach alerts: after each sync, the highest threshold a key newly crossed in its
//! current window, announced once per (key, window, threshold), across restarts and instances.

use std::collections::{HashMap, HashSet};

use super::{Member, Team, TeamError, TeamKey};
use crate::money::Usd;
use crate::reset::BudgetWindow;
use crate::store::AlertClaim;

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

/// A key whose spend reached an alert level in its current window.
struct Candidate {
    key: TeamKey,
    limit: Usd,
    spent: Usd,
    percent: i64,
    window: BudgetWindow,
    exhausted: bool,
}

impl Team {
    /// The budget alerts due after a sync. Each returned alert has been claimed in the database,
    /// so the caller announces it exactly once. It takes a fixed number of queries however many
    /// keys the team has: one for the keys near their limits, one for what was announced, one
    /// transaction for the claims and one for the owners.
    pub async fn due_budget_alerts(
        &self,
        thresholds: &[u8],
    ) -> Result<Vec<BudgetAlert>, TeamError> {
        let now = self.now();
        let Some(lowest) = thresholds.iter().copied().min() else {
            return Ok(Vec::new());
        };
        let mut candidates = Vec::new();
        for (key, refused_at) in self.store.keys_at_alert_levels(lowest, now).await? {
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
                && refused_at.is_some_and(|at| at >= window.start);
            if exhausted || percent >= i64::from(lowest) {
                candidates.push(Candidate {
                    key,
                    limit,
                    spent,
                    percent,
                    window,
                    exhausted,
                });
            }
        }
        let Some(since) = candidates.iter().map(|c| c.window.start).min() else {
            return Ok(Vec::new());
        };
        let sent = self.store.budget_alerts_sent_since(since).await?;
        let mut crossing = Vec::new();
        let mut claims = Vec::new();
        for candidate in candidates {
            let level = if candidate.exhausted {
                100
            } else {
                candidate.percent
            };
            let already = sent.of(&candidate.key.hash, candidate.window.start);
            let crossed = newly_crossed(level, thresholds, already);
            let Some(highest) = crossed.last().copied() else {
                continue;
            };
            // The highest level decides who announces; the lower ones are recorded as passed.
            claims.extend(crossed.into_iter().map(|threshold| AlertClaim {
                key_hash: candidate.key.hash.clone(),
                window_start: candidate.window.start,
                threshold,
            }));
            crossing.push((candidate, highest));
        }
        if crossing.is_empty() {
            return Ok(Vec::new());
        }
        let claimed: HashSet<AlertClaim> = self
            .store
            .claim_budget_alerts(&claims, now)
            .await?
            .into_iter()
            .collect();
        let due: Vec<(Candidate, u8)> = crossing
            .into_iter()
            .filter(|(c, highest)| {
                claimed.contains(&AlertClaim {
                    key_hash: c.key.hash.clone(),
                    window_start: c.window.start,
                    threshold: *highest,
                })
            })
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let members: HashMap<i64, Member> = self
            .store
            .members()
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        Ok(due
            .into_iter()
            .map(|(c, threshold)| BudgetAlert {
                member: c.key.member_id.and_then(|id| members.get(&id).cloned()),
                key: c.key,
                threshold,
                percent: c.percent,
                spent: c.spent,
                limit: c.limit,
                window: c.window,
                exhausted: c.exhausted,
            })
            .collect())
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
