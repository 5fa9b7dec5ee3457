//! `/budget`: a member's spend against their limit.

use poise::serenity_prelude as serenity;
use serenity::{CreateEmbed, CreateEmbedFooter};

use super::{GREEN, RED, YELLOW, key_name, models_line, truncate, when};
use crate::team::budget::{BudgetStatus, Freshness};

/// `/budget`.
pub fn budget(status: &BudgetStatus) -> CreateEmbed {
    let spent = status.spent();
    let (limit_text, remaining_text, bar) =
        match (status.limit, status.remaining(), status.percent_used()) {
            (Some(limit), Some(remaining), Some(percent)) => (
                format!("{limit} {}", status.reset.per_period()),
                remaining.to_string(),
                format!("{} {percent}%", progress_bar(percent)),
            ),
            _ => ("no limit".into(), "unlimited".into(), String::new()),
        };
    let as_of = match status.freshness {
        Freshness::Live => "Figures: live from OpenRouter.".to_string(),
        Freshness::Ledger => {
            "Figures: live from the gateway's ledger (your requests on the team's shared key)."
                .to_string()
        }
        Freshness::Stored(at) => format!(
            "Figures: as of {} UTC (OpenRouter did not answer in time).",
            at.format("%H:%M")
        ),
    };
    let resets = status
        .window
        .end
        .map(|end| format!("resets {}", when(end)))
        .unwrap_or_else(|| "never resets".into());
    CreateEmbed::new()
        .title(format!("Budget of {}", status.member.name))
        .color(match status.percent_used() {
            Some(p) if p >= 100 => RED,
            Some(p) if p >= 80 => YELLOW,
            _ => GREEN,
        })
        .description(format!("{bar}\n{spent} of {limit_text} · {resets}"))
        .field("Today", status.usage.daily.to_string(), true)
        .field("This week", status.usage.weekly.to_string(), true)
        .field("This month", status.usage.monthly.to_string(), true)
        .field("Remaining", remaining_text, true)
        .field("Tier", status.tier.name.to_string(), true)
        .field("Key", key_name(&status.key.name), true)
        .field(
            "Allowed models",
            truncate(&models_line(&status.tier), 1024),
            false,
        )
        .footer(CreateEmbedFooter::new(as_of))
}

/// `[########------]` for a percentage (capped at full).
pub fn progress_bar(percent: i64) -> String {
    let filled = (percent.clamp(0, 100) / 5) as usize;
    format!("`[{}{}]`", "#".repeat(filled), "-".repeat(20 - filled))
}
