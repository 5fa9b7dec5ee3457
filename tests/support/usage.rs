//! A synthetic team's spend over time, for the tests and the benchmarks: keys with spend events,
//! read the way OpenRouter reports them at any instant, and stored through the bot's own sync
//! path. Generated from a seed, so the same seed gives the same team.

use chrono::{DateTime, Duration, Utc};

use openrouter_team_bot::domain::DaySpend;
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{ApiKey, KeyHash, Usage};
use openrouter_team_bot::reset::LimitReset;
use openrouter_team_bot::store::{SnapshotRow, Store, StoreError};
use openrouter_team_bot::team::digest::{DigestData, DigestPlan, UsageReadings};
use openrouter_team_bot::team::{Member, MemberName, MemberStatus, TeamKey};

const FIRST_NAMES: [&str; 20] = [
    "ada",
    "alan",
    "barbara",
    "claude",
    "dennis",
    "edsger",
    "frances",
    "grace",
    "hedy",
    "ivan",
    "john",
    "katherine",
    "ken",
    "linus",
    "margaret",
    "niklaus",
    "radia",
    "shafi",
    "tim",
    "yukihiro",
];
const LAST_NAMES: [&str; 20] = [
    "lovelace",
    "turing",
    "liskov",
    "shannon",
    "ritchie",
    "dijkstra",
    "allen",
    "hopper",
    "lamarr",
    "sutherland",
    "backus",
    "johnson",
    "thompson",
    "torvalds",
    "hamilton",
    "wirth",
    "perlman",
    "goldwasser",
    "berners-lee",
    "matsumoto",
];

/// One key of a synthetic team and everything it will ever spend.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageKey {
    pub hash: String,
    pub name: String,
    /// Index into [`SyntheticTeam::members`]; `None` for a key nobody owns.
    pub owner: Option<usize>,
    pub created_at: DateTime<Utc>,
    /// When it is deleted at OpenRouter (from then on it is no longer listed).
    pub deleted_at: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub limit: Option<Usd>,
    pub reset: LimitReset,
    pub expires_at: Option<DateTime<Utc>>,
    /// Spend events, in time order.
    spends: Vec<(DateTime<Utc>, Usd)>,
    /// `running[i]`: the sum of the first `i` events.
    running: Vec<Usd>,
}

impl UsageKey {
    /// A key created at `created_at` with no limit and no spend.
    pub fn new(
        hash: impl Into<String>,
        name: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> UsageKey {
        UsageKey {
            hash: hash.into(),
            name: name.into(),
            owner: None,
            created_at,
            deleted_at: None,
            disabled: false,
            limit: None,
            reset: LimitReset::Never,
            expires_at: None,
            spends: Vec::new(),
            running: vec![Usd::ZERO],
        }
    }

    /// The spend events, in time order.
    pub fn spends(&self) -> &[(DateTime<Utc>, Usd)] {
        &self.spends
    }

    /// Adds a spend event (events stay in time order).
    pub fn spend(&mut self, at: DateTime<Utc>, amount: Usd) {
        let index = self.spends.partition_point(|(t, _)| *t <= at);
        self.spends.insert(index, (at, amount));
        self.recount(index);
    }

    /// Drops the events that `keep` refuses.
    pub fn retain_spends(&mut self, keep: impl FnMut(&(DateTime<Utc>, Usd)) -> bool) {
        self.spends.retain(keep);
        self.recount(0);
    }

    /// Deletes the key at `at`; events from then on are dropped.
    pub fn delete_at(&mut self, at: DateTime<Utc>) {
        self.deleted_at = Some(at);
        self.retain_spends(|(t, _)| *t < at);
    }

    fn recount(&mut self, from: usize) {
        self.running.truncate(from + 1);
        for i in from..self.spends.len() {
            let next = self.running[i] + self.spends[i].1;
            self.running.push(next);
        }
    }

    /// Whether OpenRouter lists the key at `at`.
    pub fn exists_at(&self, at: DateTime<Utc>) -> bool {
        self.created_at <= at && self.deleted_at.is_none_or(|deleted| at < deleted)
    }

    /// What the key spent in `[from, to)`.
    pub fn spent_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Usd {
        let before = |at: DateTime<Utc>| self.spends.partition_point(|(t, _)| *t < at);
        let (start, end) = (before(from), before(to));
        if end <= start {
            return Usd::ZERO;
        }
        self.running[end] - self.running[start]
    }

    /// The counters OpenRouter reports at `at`: lifetime, and since the UTC day, the Monday-start
    /// UTC week and the month began.
    pub fn usage_at(&self, at: DateTime<Utc>) -> Usage {
        let since = |reset: LimitReset| self.spent_between(reset.window_at(at).start, at);
        Usage {
            total: self.spent_between(DateTime::<Utc>::UNIX_EPOCH, at),
            daily: since(LimitReset::Daily),
            weekly: since(LimitReset::Weekly),
            monthly: since(LimitReset::Monthly),
        }
    }

    /// The key as `GET /keys` describes it at `at`.
    pub fn api_key_at(&self, at: DateTime<Utc>) -> ApiKey {
        let usage = self.usage_at(at);
        ApiKey {
            hash: KeyHash(self.hash.clone()),
            name: self.name.clone(),
            label: format!("sk-or-v1-{}...", &self.hash[..self.hash.len().min(6)]),
            disabled: self.disabled,
            limit: self.limit,
            limit_remaining: self
                .limit
                .map(|limit| limit.saturating_sub(usage.in_window(self.reset))),
            limit_reset: self.reset,
            include_byok_in_limit: false,
            usage,
            created_at: self.created_at,
            updated_at: None,
            expires_at: self.expires_at,
            workspace_id: None,
        }
    }
}

/// A team: members and keys with their spend.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticTeam {
    pub members: Vec<MemberName>,
    pub keys: Vec<UsageKey>,
}

impl SyntheticTeam {
    /// `members` members with one key each and `unowned` keys of nobody's, all created at
    /// `start`, each spending a few times a day until `end` at its own usual rate (between 50
    /// cents and 20 dollars a day, give or take half). Limits vary: daily, weekly, monthly or
    /// none.
    pub fn generate(
        seed: u64,
        members: usize,
        unowned: usize,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> SyntheticTeam {
        let mut rng = fastrand::Rng::with_seed(seed);
        let names: Vec<MemberName> = (0..members).map(member_name).collect();
        let mut keys = Vec::with_capacity(members + unowned);
        for i in 0..members + unowned {
            let owner = (i < members).then_some(i);
            let name = match owner {
                Some(m) => format!("team:{}:r{}", names[m], i + 1),
                None => format!("shared-{}", i - members + 1),
            };
            let mut key =
                UsageKey::new(format!("{:064x}", seed ^ (i as u64 + 1) << 8), name, start);
            key.owner = owner;
            (key.limit, key.reset) = match rng.u8(0..4) {
                0 => (Some(Usd::from_dollars(25)), LimitReset::Daily),
                1 => (Some(Usd::from_dollars(100)), LimitReset::Weekly),
                2 => (Some(Usd::from_dollars(300)), LimitReset::Monthly),
                _ => (None, LimitReset::Never),
            };
            let daily_rate = rng.i64(500_000..=20_000_000);
            let mut day = start;
            while day < end {
                for _ in 0..3 {
                    let at = day + Duration::seconds(rng.i64(0..86_400));
                    let amount = daily_rate / 3 * rng.i64(50..=150) / 100;
                    if at < end {
                        key.spend(at, Usd::from_micros(amount));
                    }
                }
                day += Duration::days(1);
            }
            keys.push(key);
        }
        SyntheticTeam {
            members: names,
            keys,
        }
    }

    /// Every key OpenRouter lists at `at`, as it describes them.
    pub fn listing_at(&self, at: DateTime<Utc>) -> Vec<ApiKey> {
        self.keys
            .iter()
            .filter(|key| key.exists_at(at))
            .map(|key| key.api_key_at(at))
            .collect()
    }

    /// Puts the team in the database: its members, a sync at each of `sync_times` (through the
    /// same [`Store::record_sync`] as real syncs), and each key's owner. Returns the members'
    /// ids, in order.
    pub async fn store(
        &self,
        store: &Store,
        sync_times: &[DateTime<Utc>],
    ) -> Result<Vec<i64>, StoreError> {
        let joined = sync_times
            .first()
            .copied()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let mut ids = Vec::with_capacity(self.members.len());
        for name in &self.members {
            ids.push(store.add_member(name, None, None, joined).await?.id);
        }
        for at in sync_times {
            store.record_sync(&self.listing_at(*at), *at).await?;
        }
        for key in &self.keys {
            if let Some(owner) = key.owner {
                store
                    .set_key_owner(&key.hash, ids.get(owner).copied())
                    .await?;
            }
        }
        Ok(ids)
    }
}

impl SyntheticTeam {
    /// What the database would hold after syncs at `sync_times`, read for `plan` at `now`: a
    /// digest's input without a database (for rendering tests and the benchmark). Members get
    /// ids from 1, in order.
    pub fn digest_data(
        &self,
        plan: DigestPlan,
        sync_times: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> DigestData {
        let joined = sync_times.first().copied().unwrap_or(now);
        let members = self
            .members
            .iter()
            .enumerate()
            .map(|(i, name)| Member {
                id: i as i64 + 1,
                name: name.clone(),
                discord_user_id: None,
                tier: None,
                effective_tier: None,
                status: MemberStatus::Active,
                created_at: joined,
                departed_at: None,
            })
            .collect();
        let alive_since = plan.week.previous().start();
        let instants = plan.instants();
        let mut readings = UsageReadings {
            instants: instants.clone(),
            ..UsageReadings::default()
        };
        let mut keys = Vec::new();
        let mut breaches = Vec::new();
        let mut daily_spend = Vec::new();
        let mut peaks = std::collections::HashMap::new();
        for key in &self.keys {
            // As a sync records it: marked deleted by the first sync that no longer lists it.
            let deleted_at = key
                .deleted_at
                .and_then(|gone| sync_times.iter().copied().find(|t| *t >= gone && *t <= now));
            if deleted_at.is_some_and(|gone| gone <= alive_since) {
                continue;
            }
            let Some(first) = sync_times.iter().copied().find(|t| key.exists_at(*t)) else {
                continue;
            };
            readings
                .first
                .insert(key.hash.clone(), key.usage_at(first).total);
            readings.at.insert(
                key.hash.clone(),
                instants
                    .iter()
                    .map(|at| last_seen(key, sync_times, *at).map(|t| key.usage_at(t).total))
                    .collect(),
            );
            // Each UTC day's highest daily counter, as the syncs stored it.
            let mut days: std::collections::BTreeMap<i64, Usd> = Default::default();
            for t in sync_times
                .iter()
                .copied()
                .filter(|t| *t >= plan.daily_from && *t <= now && key.exists_at(*t))
            {
                let day = days.entry(t.timestamp().div_euclid(86_400)).or_default();
                *day = (*day).max(key.usage_at(t).daily);
            }
            daily_spend.extend(days.into_iter().map(|(day, spent)| DaySpend {
                key_hash: key.hash.clone(),
                day,
                spent,
            }));
            // As the database answers: every sync up to the status time that saw the key's
            // window at or over its limit, and the most of the limit the week's syncs saw used.
            if let Some(limit) = key.limit.filter(|l| *l > Usd::ZERO) {
                for t in sync_times
                    .iter()
                    .copied()
                    .filter(|t| *t >= plan.breaches_from && *t <= plan.status_at)
                    .filter(|t| key.exists_at(*t))
                {
                    let usage = key.usage_at(t);
                    let used = usage.in_window(key.reset);
                    if used >= limit {
                        breaches.push(SnapshotRow {
                            key_hash: key.hash.clone(),
                            taken_at: t,
                            usage,
                            limit: key.limit,
                        });
                    }
                    if t >= plan.week.start() {
                        let percent = used.percent_of(limit).unwrap_or(0);
                        let peak = peaks.entry(key.hash.clone()).or_insert(percent);
                        *peak = (*peak).max(percent);
                    }
                }
            }
            let seen = last_seen(key, sync_times, now);
            keys.push(TeamKey {
                hash: key.hash.clone(),
                member_id: key.owner.map(|i| i as i64 + 1),
                request_id: None,
                name: key.name.clone(),
                label: key.api_key_at(now).label,
                workspace_id: None,
                disabled: key.disabled,
                limit: key.limit,
                reset: key.reset,
                usage: seen.map(|t| key.usage_at(t)).unwrap_or_default(),
                guardrail_id: None,
                created_at: key.created_at,
                expires_at: key.expires_at,
                synced_at: seen,
                deleted_at,
                access: openrouter_team_bot::domain::Access::Key,
            });
        }
        DigestData {
            plan,
            now,
            members,
            keys,
            readings,
            breaches,
            peaks,
            daily_spend,
            top_ups: Vec::new(),
            stops: Vec::new(),
            recorded: sync_times
                .iter()
                .any(|t| *t >= plan.week.start() && *t < plan.week.end()),
            pending_requests: 0,
        }
    }
}

/// The last sync at or before `at` that listed the key.
fn last_seen(
    key: &UsageKey,
    sync_times: &[DateTime<Utc>],
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let until = sync_times.partition_point(|t| *t <= at);
    for t in sync_times[..until].iter().rev() {
        if *t < key.created_at {
            return None;
        }
        if key.exists_at(*t) {
            return Some(*t);
        }
    }
    None
}

/// `grace.hopper`, `alan.turing`, ..., with a number once the pairs run out.
fn member_name(i: usize) -> MemberName {
    let pairs = FIRST_NAMES.len() * LAST_NAMES.len();
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i / FIRST_NAMES.len() + i) % LAST_NAMES.len()];
    let text = if i < pairs {
        format!("{first}.{last}")
    } else {
        format!("{first}.{last}{}", i / pairs + 1)
    };
    MemberName::parse(&text).unwrap_or_else(|_| {
        MemberName::parse(&format!("member{i}"))
            .expect("member names of letters and digits are valid")
    })
}
