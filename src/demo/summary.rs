//! The end of the demo: the team as the bot's database holds it (members, keys and gateway
//! tokens, spend) with the budget alerts the team saw, as a terminal table and as Markdown.

use std::collections::BTreeMap;

use fakes::discord::FakeDiscord;

use super::DemoError;
use super::cast;
use crate::domain::count_len;
use crate::money::Usd;
use crate::store::Store;
use crate::team::{MemberStatus, TeamKey};

/// One member's line.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberLine {
    /// The member name.
    pub member: String,
    /// Their Discord display name, as `@Mia`.
    pub discord: String,
    /// The tier their keys follow.
    pub tier: String,
    /// Active, or left the server.
    pub state: String,
    /// The key's name at OpenRouter, or the gateway token's (`-` without either).
    pub key: String,
    /// Active or disabled, and whether it is a gateway token.
    pub key_state: String,
    /// Limit and reset period, as `$10.00 per day`.
    pub limit: String,
    /// The key's usage in total, as last synced (a gateway token's from the gateway's ledger).
    pub spent: Usd,
    /// The thresholds of the budget alerts posted about this member's key, such as `50%`.
    pub alerts: Vec<String>,
}

/// What the demo leaves behind.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// One line per member and key.
    pub members: Vec<MemberLine>,
    /// How often each action appears in the audit log, by action.
    pub actions: BTreeMap<String, usize>,
    pub budget_alerts: usize,
}

impl Summary {
    /// Reads the database and the alerts channel.
    pub async fn gather(store: &Store, discord: &FakeDiscord) -> Result<Summary, DemoError> {
        let alerts = budget_alerts(discord);
        let mut members = Vec::new();
        for member in store.members().await? {
            let keys = store.keys_of_member(member.id).await?;
            let name = member.name.to_string();
            let discord_name = member
                .discord_user_id
                .and_then(|id| cast::display_name(id.0))
                .map(|n| format!("@{n}"))
                .unwrap_or_else(|| "-".into());
            let state = match member.status {
                MemberStatus::Active => "active",
                MemberStatus::Departed => "left the server",
            };
            let tier = member
                .effective_tier
                .clone()
                .or(member.tier.clone())
                .unwrap_or_else(|| "-".into());
            let member_alerts: Vec<String> = alerts
                .iter()
                .filter(|(who, _)| *who == name)
                .map(|(_, threshold)| threshold.clone())
                .collect();
            if keys.is_empty() {
                members.push(MemberLine {
                    member: name,
                    discord: discord_name,
                    tier,
                    state: state.into(),
                    key: "-".into(),
                    key_state: "-".into(),
                    limit: "-".into(),
                    spent: Usd::ZERO,
                    alerts: member_alerts,
                });
                continue;
            }
            for key in keys {
                members.push(MemberLine {
                    member: name.clone(),
                    discord: discord_name.clone(),
                    tier: tier.clone(),
                    state: state.into(),
                    key: key.name.clone(),
                    key_state: key_state(&key),
                    limit: match key.limit {
                        Some(limit) => format!("{limit} {}", key.reset.per_period()),
                        None => "no limit".into(),
                    },
                    spent: key.usage.total,
                    alerts: member_alerts.clone(),
                });
            }
        }
        let mut actions = BTreeMap::new();
        for entry in store.recent_audit(10_000).await? {
            *actions.entry(entry.action).or_insert(0) += 1;
        }
        Ok(Summary {
            members,
            actions,
            budget_alerts: alerts.len(),
        })
    }

    fn rows(&self) -> Vec<[String; 8]> {
        self.members
            .iter()
            .map(|m| {
                [
                    m.member.clone(),
                    m.discord.clone(),
                    m.tier.clone(),
                    m.state.clone(),
                    format!("{} ({})", m.key, m.key_state),
                    m.limit.clone(),
                    m.spent.to_string(),
                    if m.alerts.is_empty() {
                        "-".into()
                    } else {
                        m.alerts.join(", ")
                    },
                ]
            })
            .collect()
    }

    /// What happened, in one sentence from the audit log.
    pub fn actions_line(&self) -> String {
        let count = |action: &str| self.actions.get(action).copied().unwrap_or(0);
        let revealed = match count("reveal_key") {
            1 => "1 key or gateway token revealed".to_string(),
            n => format!("{n} keys and gateway tokens revealed"),
        };
        format!(
            "{} ({} approved, {} denied), {revealed}, {} approved of {} requested, {} ended, {} left; {}.",
            count_len(count("request_key"), "key request"),
            count("approve_request"),
            count("deny_request"),
            count_len(count("approve_top_up"), "top-up"),
            count("request_top_up"),
            count_len(count("revert_top_up"), "top-up"),
            count_len(count("member_left"), "member"),
            count_len(self.budget_alerts, "budget alert"),
        )
    }

    /// An aligned table for the terminal.
    pub fn table(&self) -> String {
        let rows = self.rows();
        let mut widths = HEADER.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (cell, width))| {
                    if i == 6 {
                        format!("{cell:>width$}")
                    } else {
                        format!("{cell:<width$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = vec![line(&HEADER.map(String::from))];
        out.extend(rows.iter().map(|row| line(row)));
        out.join("\n")
    }

    /// The table and the audit sentence as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("| {} |\n", HEADER.join(" | "));
        out.push_str(&format!(
            "|{}\n",
            HEADER
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 6 { "---:|" } else { "---|" })
                .collect::<String>()
        ));
        for row in self.rows() {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out.push_str(&format!("\n{}\n", self.actions_line()));
        out
    }
}

/// `active` or `disabled`, with `gateway token` for a token.
fn key_state(key: &TeamKey) -> String {
    let state = if key.disabled { "disabled" } else { "active" };
    if key.is_gateway_token() {
        format!("gateway token, {state}")
    } else {
        state.to_string()
    }
}

const HEADER: [&str; 8] = [
    "MEMBER", "DISCORD", "TIER", "STATE", "KEY", "LIMIT", "SPENT", "ALERTS",
];

/// The budget alerts posted in the alerts channel: (member name, threshold crossed).
fn budget_alerts(discord: &FakeDiscord) -> Vec<(String, String)> {
    discord
        .messages_in(cast::ALERTS)
        .iter()
        .flat_map(|m| m.embeds.iter())
        .filter_map(|embed| {
            let title = embed.get("title")?.as_str()?;
            let member = title
                .strip_prefix("Budget alert: ")?
                .split(" at ")
                .next()?
                .to_string();
            let description = embed.get("description")?.as_str()?;
            // "50% threshold crossed", or "100% threshold reached" for a gateway member whom
            // the gateway refuses.
            let (before, _) = description.split_once("% threshold")?;
            let threshold = before.rsplit(' ').next()?;
            Some((member, format!("{threshold}%")))
        })
        .collect()
}
