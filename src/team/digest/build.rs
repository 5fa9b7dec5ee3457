//! Builds a [`Digest`] from the database's figures: a pure function, so every rule is tested
//! without a database and the benchmark measures the rules themselves.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    AtLimit, CreditRunway, Digest, DigestData, DigestPlan, DigestSettings, EXPIRING_WITHIN_DAYS,
    ExpiringKey, IdleKey, LimitReached, LimitUse, MemberLine, OpenRouterFigures, Spender, Spike,
    SpikeRule, TOP_MODELS, UnownedSpend, WeekSpend, first_key_day, utc_date, utc_day,
};
use crate::clock::{days, later_by};
use crate::domain::{MemberName, MemberStatus, TeamKey};
use crate::money::Usd;
use crate::reset::BudgetWindow;

/// One key's figures for the digest.
struct KeySpend<'a> {
    key: &'a TeamKey,
    spend: WeekSpend,
}

/// What belongs to one member.
#[derive(Default)]
struct Holdings<'a> {
    spend: WeekSpend,
    keys: Vec<&'a TeamKey>,
}

impl Digest {
    /// The digest of `data.plan.week`, with OpenRouter's figures where the caller has them.
    pub fn build(
        data: &DigestData,
        settings: &DigestSettings,
        openrouter: &OpenRouterFigures,
    ) -> Digest {
        let plan = &data.plan;
        let week = plan.week;
        let member_ids: HashMap<i64, usize> = data
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id, i))
            .collect();
        let key_spends: Vec<KeySpend> = data.keys.iter().map(|key| key_spend(data, key)).collect();
        let breaches = limit_reached(data);

        let mut total = WeekSpend::default();
        let mut holdings: Vec<Holdings> =
            data.members.iter().map(|_| Holdings::default()).collect();
        let mut unowned = UnownedSpend::default();
        let mut unowned_keys: Vec<&TeamKey> = Vec::new();
        for ks in &key_spends {
            total.add(ks.spend);
            match ks.key.member_id.and_then(|id| member_ids.get(&id)) {
                Some(&i) => {
                    let held = &mut holdings[i];
                    held.spend.add(ks.spend);
                    held.keys.push(ks.key);
                }
                None => {
                    unowned.spend.add(ks.spend);
                    unowned.keys += 1;
                    unowned_keys.push(ks.key);
                }
            }
        }

        let mut members = Vec::new();
        let mut spikes = Vec::new();
        let daily = DailySpend::of(data);
        for (member, held) in data.members.iter().zip(&holdings) {
            let spent_anything = held.spend != WeekSpend::default();
            if member.status == MemberStatus::Departed && !spent_anything {
                continue;
            }
            let live: Vec<&TeamKey> = held
                .keys
                .iter()
                .copied()
                .filter(|k| alive_at(k, plan.status_at))
                .collect();
            members.push(MemberLine {
                name: member.name.clone(),
                departed: member.status == MemberStatus::Departed,
                spend: held.spend,
                limit: current_key(&live)
                    .and_then(|key| limit_use(data, &breaches, key, held.spend.this_week)),
                top_model: openrouter
                    .activity
                    .top_model_of(held.keys.iter().map(|k| k.hash.as_str()), week),
                keys: live.len(),
                access: current_key(&live)
                    .or_else(|| held.keys.first().copied())
                    .map(|key| key.access),
            });
            let spender = Spender::Member(member.name.clone());
            spikes.extend(daily.spikes(&settings.spikes, &spender, &held.keys));
        }
        for key in &unowned_keys {
            let spender = Spender::UnownedKey(key.name.clone());
            spikes.extend(daily.spikes(&settings.spikes, &spender, &[key]));
        }
        members.sort_by(|a, b| {
            b.spend
                .this_week
                .cmp(&a.spend.this_week)
                .then(b.spend.last_week.cmp(&a.spend.last_week))
                .then_with(|| a.name.cmp(&b.name))
        });
        spikes.sort_by(|a: &Spike, b: &Spike| {
            a.day
                .cmp(&b.day)
                .then(b.spent.cmp(&a.spent))
                .then_with(|| a.spender.cmp(&b.spender))
        });

        let owner = |key: &TeamKey| -> Option<MemberName> {
            key.member_id
                .and_then(|id| member_ids.get(&id))
                .map(|&i| data.members[i].name.clone())
        };
        let burn: Usd = data
            .keys
            .iter()
            .map(|key| {
                data.readings
                    .spent(key, DigestPlan::BURN_FROM, DigestPlan::STATUS_AT)
            })
            .sum();

        Digest {
            week,
            recorded: data.recorded,
            built_at: data.now,
            status_at: plan.status_at,
            total,
            members,
            unowned,
            top_models: openrouter.activity.top_models(week, TOP_MODELS),
            at_limit: at_limit(data, &breaches, &owner),
            idle_keys: idle_keys(data, &owner),
            idle_key_days: settings.idle_key_days,
            expiring: expiring(data, &owner),
            pending_requests: data.pending_requests,
            credits: openrouter
                .credits
                .map(|credits| runway(credits.balance(), burn)),
            spikes,
            spike_rule: settings.spikes,
            posted_late: None,
        }
    }
}

impl DigestData {
    /// The keys that spent most in the digest's week, at most `most`, biggest first: the ones
    /// worth asking OpenRouter's activity about (one call each, so a big team's digest makes
    /// a bounded number of calls; the members beyond them have no top model).
    pub fn keys_spending_most_in_week(&self, most: usize) -> Vec<String> {
        let mut spending: Vec<(Usd, &str)> = self
            .keys
            .iter()
            .map(|key| {
                let spent = self
                    .readings
                    .spent(key, DigestPlan::day(0), DigestPlan::day(7));
                (spent, key.hash.as_str())
            })
            .filter(|(spent, _)| *spent > Usd::ZERO)
            .collect();
        spending.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        spending
            .into_iter()
            .take(most)
            .map(|(_, hash)| hash.to_string())
            .collect()
    }
}

fn key_spend<'a>(data: &DigestData, key: &'a TeamKey) -> KeySpend<'a> {
    let r = &data.readings;
    KeySpend {
        key,
        spend: WeekSpend {
            this_week: r.spent(key, DigestPlan::day(0), DigestPlan::day(7)),
            last_week: r.spent(key, DigestPlan::day(-7), DigestPlan::day(0)),
        },
    }
}

/// Each key's spend per UTC day, as the live spike alert reads it: the highest daily counter
/// a sync saw that day.
struct DailySpend<'a> {
    by_day: HashMap<i64, HashMap<&'a str, Usd>>,
    /// The UTC days with the dates of the week's local Monday to Sunday.
    week_days: Vec<i64>,
}

impl<'a> DailySpend<'a> {
    fn of(data: &'a DigestData) -> DailySpend<'a> {
        let mut by_day: HashMap<i64, HashMap<&str, Usd>> = HashMap::new();
        for row in &data.daily_spend {
            by_day
                .entry(row.day)
                .or_default()
                .insert(row.key_hash.as_str(), row.spent);
        }
        let monday = utc_day(data.plan.week.monday());
        DailySpend {
            by_day,
            week_days: (monday..monday + 7).collect(),
        }
    }

    /// The spikes of the week of a spender holding `keys`, by the rule the live alert applies.
    fn spikes(&self, rule: &SpikeRule, spender: &Spender, keys: &[&TeamKey]) -> Vec<Spike> {
        let spent_on = |day: i64| -> Usd {
            self.by_day.get(&day).map_or(Usd::ZERO, |keys_spend| {
                keys.iter()
                    .filter_map(|k| keys_spend.get(k.hash.as_str()).copied())
                    .sum()
            })
        };
        let since = first_key_day(keys.iter().copied());
        self.week_days
            .iter()
            .filter_map(|&day| {
                let spent = spent_on(day);
                rule.judge(day, since, spent, spent_on).map(|usual| Spike {
                    spender: spender.clone(),
                    day: utc_date(day),
                    spent,
                    usual,
                })
            })
            .collect()
    }
}

fn alive_at(key: &TeamKey, at: DateTime<Utc>) -> bool {
    key.created_at <= at && key.deleted_at.is_none_or(|deleted| deleted > at)
}

/// The member's current key: the newest one alive.
fn current_key<'a>(live: &[&'a TeamKey]) -> Option<&'a TeamKey> {
    live.iter().copied().max_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.hash.cmp(&b.hash))
    })
}

fn limit_use(
    data: &DigestData,
    breaches: &HashMap<&str, Vec<LimitReached>>,
    key: &TeamKey,
    week_spend: Usd,
) -> Option<LimitUse> {
    let limit = key.limit?;
    let pace_percent = LimitUse::weekly_allowance(limit, key.reset)
        .map(|allowance| week_spend.percent_of(allowance).unwrap_or(0));
    // A window that reached the limit before the week began still overlaps it.
    let reached = breaches
        .get(key.hash.as_str())
        .and_then(|windows| windows.iter().map(|w| w.percent).max());
    let peak_percent = data.peaks.get(&key.hash).copied().max(reached);
    Some(LimitUse {
        limit,
        reset: key.reset,
        pace_percent,
        peak_percent,
    })
}

/// Every window, by key, that overlaps the week and in which a sync saw the key at or over its
/// limit: when first, how far at most, and the top-ups approved for it.
fn limit_reached(data: &DigestData) -> HashMap<&str, Vec<LimitReached>> {
    let keys: HashMap<&str, &TeamKey> = data.keys.iter().map(|k| (k.hash.as_str(), k)).collect();
    let week_start = data.plan.week.start();
    let mut reached: HashMap<&str, Vec<(BudgetWindow, LimitReached)>> = HashMap::new();
    for snapshot in &data.breaches {
        let Some(key) = keys.get(snapshot.key_hash.as_str()) else {
            continue;
        };
        let Some(limit) = snapshot.limit.filter(|l| *l > Usd::ZERO) else {
            continue;
        };
        let window = key.reset.window_at(snapshot.taken_at);
        if window.end.is_some_and(|end| end <= week_start) {
            continue;
        }
        let used = snapshot.usage.in_window(key.reset);
        let percent = used.percent_of(limit).unwrap_or(0);
        if used < limit {
            continue;
        }
        let windows = reached.entry(key.hash.as_str()).or_default();
        match windows.last_mut() {
            Some((last, seen)) if *last == window => {
                if percent > seen.percent {
                    (seen.used, seen.limit, seen.percent) = (used, limit, percent);
                }
            }
            _ => windows.push((
                window,
                LimitReached {
                    at: snapshot.taken_at,
                    used,
                    limit,
                    percent,
                    top_up: Usd::ZERO,
                    stopped: false,
                },
            )),
        }
    }
    // Gateway tokens the gateway stopped just short of their limit: no snapshot shows 100 %.
    for stop in &data.stops {
        let Some(key) = keys
            .get(stop.key_hash.as_str())
            .filter(|k| k.is_gateway_token())
        else {
            continue;
        };
        let Some(limit) = stop.limit.or(key.limit).filter(|l| *l > Usd::ZERO) else {
            continue;
        };
        let window = key.reset.window_at(stop.window_start);
        if window.end.is_some_and(|end| end <= week_start) {
            continue;
        }
        let windows = reached.entry(key.hash.as_str()).or_default();
        if windows.iter().any(|(seen, _)| *seen == window) {
            continue;
        }
        windows.push((
            window,
            LimitReached {
                at: stop.at,
                used: stop.used,
                limit,
                percent: stop.used.percent_of(limit).unwrap_or(0),
                top_up: Usd::ZERO,
                stopped: true,
            },
        ));
        windows.sort_by_key(|(window, _)| window.start);
    }
    for top_up in &data.top_ups {
        let Some(windows) = reached.get_mut(top_up.key_hash.as_str()) else {
            continue;
        };
        if let Some((_, seen)) = windows.iter_mut().find(|(window, _)| {
            top_up.created_at >= window.start
                && window.end.is_none_or(|end| top_up.created_at < end)
        }) {
            seen.top_up = seen.top_up + top_up.amount;
        }
    }
    reached
        .into_iter()
        .map(|(hash, windows)| (hash, windows.into_iter().map(|(_, seen)| seen).collect()))
        .collect()
}

/// The keys that reached their limit in a window overlapping the week, furthest over first.
fn at_limit(
    data: &DigestData,
    breaches: &HashMap<&str, Vec<LimitReached>>,
    owner: &dyn Fn(&TeamKey) -> Option<MemberName>,
) -> Vec<AtLimit> {
    let mut list: Vec<AtLimit> = data
        .keys
        .iter()
        .filter_map(|key| {
            let reached = breaches.get(key.hash.as_str())?.clone();
            Some(AtLimit {
                member: owner(key),
                key_name: key.name.clone(),
                reset: key.reset,
                reached,
            })
        })
        .collect();
    list.sort_by(|a, b| {
        b.peak()
            .percent
            .cmp(&a.peak().percent)
            .then_with(|| a.member.cmp(&b.member))
            .then_with(|| a.key_name.cmp(&b.key_name))
    });
    list
}

/// Live keys, old enough to judge, whose counter did not move since `idle_from`.
fn idle_keys(data: &DigestData, owner: &dyn Fn(&TeamKey) -> Option<MemberName>) -> Vec<IdleKey> {
    let mut list: Vec<IdleKey> = data
        .keys
        .iter()
        .filter(|key| alive_at(key, data.plan.status_at) && key.created_at <= data.plan.idle_from)
        .filter(|key| {
            data.readings
                .spent(key, DigestPlan::IDLE_FROM, DigestPlan::STATUS_AT)
                == Usd::ZERO
        })
        .map(|key| IdleKey {
            member: owner(key),
            key_name: key.name.clone(),
            disabled: key.disabled,
        })
        .collect();
    list.sort_by(|a, b| {
        a.member
            .cmp(&b.member)
            .then_with(|| a.key_name.cmp(&b.key_name))
    });
    list
}

fn expiring(data: &DigestData, owner: &dyn Fn(&TeamKey) -> Option<MemberName>) -> Vec<ExpiringKey> {
    let horizon = later_by(data.now, days(EXPIRING_WITHIN_DAYS));
    let mut list: Vec<ExpiringKey> = data
        .keys
        .iter()
        .filter(|key| key.deleted_at.is_none())
        .filter_map(|key| {
            let expires_at = key.expires_at?;
            (expires_at > data.now && expires_at <= horizon).then(|| ExpiringKey {
                member: owner(key),
                key_name: key.name.clone(),
                expires_at,
            })
        })
        .collect();
    list.sort_by(|a, b| {
        a.expires_at
            .cmp(&b.expires_at)
            .then_with(|| a.key_name.cmp(&b.key_name))
    });
    list
}

fn runway(balance: Usd, burn_last_7_days: Usd) -> CreditRunway {
    let runway_days = (burn_last_7_days > Usd::ZERO).then(|| {
        let days = i128::from(balance.micros().max(0)) * 7 / i128::from(burn_last_7_days.micros());
        days.clamp(0, i128::from(i64::MAX)) as i64
    });
    CreditRunway {
        balance,
        burn_last_7_days,
        runway_days,
    }
}
