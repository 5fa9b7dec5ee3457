//! `keys list`: the team's key table, live from OpenRouter or as stored at the last sync.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::app::{self, AppError};
use crate::config::Config;
use crate::domain::{count_len, count_of};
use crate::money::Usd;
use crate::openrouter::{ApiKey, Usage, list_all_keys};
use crate::reset::LimitReset;
use crate::team::TeamKey;

/// How `keys list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyFormat {
    Table,
    Json,
    Csv,
}

/// One key as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    pub member: Option<String>,
    pub name: String,
    pub label: String,
    pub usage: Usage,
    pub limit: Option<Usd>,
    pub reset: LimitReset,
    pub disabled: bool,
}

impl KeyRow {
    fn from_api(key: &ApiKey, member: Option<String>) -> KeyRow {
        KeyRow {
            member,
            name: key.name.clone(),
            label: key.label.clone(),
            usage: key.usage,
            limit: key.limit,
            reset: key.limit_reset,
            disabled: key.disabled,
        }
    }

    fn from_stored(key: &TeamKey, member: Option<String>) -> KeyRow {
        KeyRow {
            member,
            name: key.name.clone(),
            label: key.label.clone(),
            usage: key.usage,
            limit: key.limit,
            reset: key.reset,
            disabled: key.disabled,
        }
    }

    fn state(&self) -> &'static str {
        if self.disabled { "disabled" } else { "active" }
    }

    fn limit_text(&self) -> String {
        match self.limit {
            Some(limit) => format!("{limit} {}", self.reset.per_period()),
            None => "no limit".into(),
        }
    }
}

/// Prints the key table. Live from OpenRouter unless `stored` is set or no management key is
/// configured (then the last sync's copy, saying so).
pub async fn list_keys(config: &Config, format: KeyFormat, stored: bool) -> Result<(), AppError> {
    let store = app::open_recorded_store(config).await?;
    let members: HashMap<i64, String> = store
        .members()
        .await?
        .into_iter()
        .map(|m| (m.id, m.name.to_string()))
        .collect();
    let known = store.live_keys().await?;
    let owner_of: HashMap<&str, String> = known
        .iter()
        .filter_map(|k| Some((k.hash.as_str(), members.get(&k.member_id?)?.clone())))
        .collect();
    let live = !stored && config.management_key().is_ok();
    let last_sync = known.iter().filter_map(|k| k.synced_at).max();
    let rows: Vec<KeyRow> = if live {
        let api = app::management_api(config)?;
        let keys = list_all_keys(api.as_ref(), &app::key_listing(config)).await?;
        keys.iter()
            .map(|k| KeyRow::from_api(k, owner_of.get(k.hash.as_str()).cloned()))
            .collect()
    } else {
        if !stored {
            tracing::warn!(
                "No OPENROUTER_MANAGEMENT_KEY is set: showing the keys stored at the last sync."
            );
        }
        known
            .iter()
            .map(|k| KeyRow::from_stored(k, k.member_id.and_then(|id| members.get(&id).cloned())))
            .collect()
    };
    store.close().await;
    let mut rows = rows;
    rows.sort_by(|a, b| (&a.member, &a.name).cmp(&(&b.member, &b.name)));
    let text = match format {
        KeyFormat::Table => render_table(&rows, &source_words(live, last_sync, Utc::now())),
        KeyFormat::Json => render_json(&rows),
        KeyFormat::Csv => render_csv(&rows),
    };
    print!("{text}");
    Ok(())
}

/// `keys import --match-names`: links unowned keys to members by name and prints what it did.
pub async fn import_keys(config: &Config) -> Result<(), AppError> {
    let store = app::open_store(config).await?;
    let api = app::management_api(config)?;
    let keys = list_all_keys(api.as_ref(), &app::key_listing(config)).await?;
    let team = app::quiet_team(config, store.clone(), api);
    let report = team
        .import_by_name(&keys)
        .await
        .map_err(|e| AppError::Failed(e.to_string()))?;
    store.close().await;
    println!(
        "{} at OpenRouter: {} linked now, {} already owned, {} not matched.",
        count_len(keys.len(), "key"),
        report.linked.len(),
        report.already_owned,
        report.unmatched.len()
    );
    if !report.linked.is_empty() {
        println!("\nLinked:");
        for (key, member) in &report.linked {
            println!("  {key} -> {member}");
        }
    }
    if !report.unmatched.is_empty() {
        println!("\nNot matched (link them with /team adopt, or leave them unowned):");
        for key in &report.unmatched {
            println!("  {key}");
        }
    }
    Ok(())
}

fn totals(rows: &[KeyRow]) -> (Usd, Usd, Usd) {
    (
        rows.iter().map(|r| r.usage.daily).sum(),
        rows.iter().map(|r| r.usage.weekly).sum(),
        rows.iter().map(|r| r.usage.monthly).sum(),
    )
}

/// An aligned text table with a totals line.
/// Where the figures come from and how old they are, for the table's last line.
pub fn source_words(live: bool, last_sync: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    if live {
        return format!("Live from OpenRouter at {} UTC.", now.format("%H:%M"));
    }
    match last_sync {
        Some(at) => format!(
            "As stored at the last sync: synced {}, {}; today, this week and this month are as of then.",
            at.format("%Y-%m-%d %H:%M UTC"),
            ago(now - at)
        ),
        None => "No sync has run yet, so no spend is stored: run `openrouter-team-bot sync` once (or `run`) to read every key's spend from OpenRouter.".to_string(),
    }
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago".
fn ago(elapsed: chrono::TimeDelta) -> String {
    let minutes = elapsed.num_minutes().max(0);
    if minutes < 1 {
        "just now".to_string()
    } else if minutes < 60 {
        format!("{} ago", count_of(minutes, "minute"))
    } else if minutes < 48 * 60 {
        format!("{} ago", count_of(minutes / 60, "hour"))
    } else {
        format!("{} ago", count_of(minutes / (24 * 60), "day"))
    }
}

pub fn render_table(rows: &[KeyRow], source: &str) -> String {
    let header = [
        "MEMBER", "NAME", "LABEL", "TODAY", "WEEK", "MONTH", "LIMIT", "STATE",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.member.clone().unwrap_or_else(|| "(unowned)".into()),
                r.name.clone(),
                r.label.clone(),
                r.usage.daily.to_string(),
                r.usage.weekly.to_string(),
                r.usage.monthly.to_string(),
                r.limit_text(),
                r.state().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if (3..=5).contains(&i) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(&mut out, &header.map(String::from));
    for row in &cells {
        line(&mut out, row);
    }
    let (day, week, month) = totals(rows);
    let owned = rows.iter().filter(|r| r.member.is_some()).count();
    let _ = writeln!(
        out,
        "\n{} ({} owned by members, {} unowned); spent today {day}, this week {week}, this month {month}. {source}",
        count_len(rows.len(), "key"),
        owned,
        rows.len() - owned,
    );
    out
}

/// A JSON document: `{"keys": [...], "totals": {...}}`, amounts in US dollars.
pub fn render_json(rows: &[KeyRow]) -> String {
    let keys: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "member": r.member,
                "name": r.name,
                "label": r.label,
                "usage_today_micros": r.usage.daily.micros(),
                "usage_week_micros": r.usage.weekly.micros(),
                "usage_month_micros": r.usage.monthly.micros(),
                "usage_total_micros": r.usage.total.micros(),
                "limit_micros": r.limit.map(Usd::micros),
                "limit_reset": r.reset.as_str(),
                "disabled": r.disabled,
            })
        })
        .collect();
    let (day, week, month) = totals(rows);
    let doc = json!({
        "keys": keys,
        "totals": {
            "keys": rows.len(),
            "usage_today_micros": day.micros(),
            "usage_week_micros": week.micros(),
            "usage_month_micros": month.micros(),
        }
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// CSV with a header row, amounts in US dollars.
pub fn render_csv(rows: &[KeyRow]) -> String {
    let mut out = String::from(
        "member,name,label,usage_today_usd,usage_week_usd,usage_month_usd,limit_usd,limit_reset,disabled\n",
    );
    for r in rows {
        let fields = [
            crate::report::csv::field(r.member.as_deref().unwrap_or("")),
            crate::report::csv::field(&r.name),
            crate::report::csv::field(&r.label),
            r.usage.daily.to_api().to_string(),
            r.usage.weekly.to_api().to_string(),
            r.usage.monthly.to_api().to_string(),
            r.limit.map(|l| l.to_api().to_string()).unwrap_or_default(),
            r.reset.as_str().to_string(),
            r.disabled.to_string(),
        ];
        let _ = writeln!(out, "{}", fields.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};

    #[test]
    fn stored_figures_say_when_they_were_synced() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 13, 5, 0).unwrap();
        assert_eq!(
            source_words(false, Some(now - TimeDelta::hours(3)), now),
            "As stored at the last sync: synced 2026-12-03 10:05 UTC, 3 hours ago; today, this week and this month are as of then."
        );
        assert!(source_words(false, None, now).starts_with("No sync has run yet"));
        assert_eq!(ago(TimeDelta::minutes(1)), "1 minute ago");
        assert_eq!(ago(TimeDelta::days(4)), "4 days ago");
        assert_eq!(
            source_words(true, None, now),
            "Live from OpenRouter at 13:05 UTC."
        );
    }
}
