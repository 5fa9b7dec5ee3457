//! `/budget`: a member's spend against their limit.

use poise::serenity_prelude as serenity;
use serenity::{CreateEmbed, CreateEmbedFooter};

use super::{GREEN, RED, YELLOW, key_name, models_line, relative, stamped, truncate, when};
use crate::reset::LimitReset;
use crate::team::budget::{BudgetStatus, Freshness};
use crate::team::digest::ModelSpend;

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
        .map(|end| format!("resets {} ({})", relative(end), when(end)))
        .unwrap_or_else(|| "never resets".into());
    let embed = match status.freshness {
        Freshness::Stored(at) => stamped(CreateEmbed::new(), at),
        Freshness::Live | Freshness::Ledger => CreateEmbed::new(),
    };
    embed
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
            models_title(status),
            truncate(&models_text(status), 1024),
            false,
        )
        .field(
            "Allowed models",
            truncate(&models_line(&status.tier), 1024),
            false,
        )
        .footer(CreateEmbedFooter::new(as_of))
}

/// What the models field is about: this window, or the last 30 days for a limit that never resets
/// (as far back as OpenRouter's activity goes).
fn models_title(status: &BudgetStatus) -> String {
    match status.reset {
        LimitReset::Never => "Top models, last 30 days".into(),
        _ => format!("Top models since {}", when(status.window.start)),
    }
}

/// The window's top models with their spend and share, or why there are none.
fn models_text(status: &BudgetStatus) -> String {
    let Some(models) = &status.top_models else {
        return "Not available right now (OpenRouter's activity did not answer in time).".into();
    };
    let mut lines: Vec<String> = models.iter().map(model_line).collect();
    if lines.is_empty() {
        lines.push("No spend on any model in this window yet.".into());
    }
    // OpenRouter reports a key's models per completed UTC day; the ledger has every request.
    if !status.key.is_gateway_token() {
        lines.push(
            "OpenRouter reports models by completed UTC day: today's requests show tomorrow."
                .into(),
        );
    }
    lines.join("\n")
}

fn model_line(model: &ModelSpend) -> String {
    format!("`{}`: {} ({}%)", model.model, model.usage, model.percent)
}

/// `[########------]` for a percentage (capped at full).
pub fn progress_bar(percent: i64) -> String {
    let filled = (percent.clamp(0, 100) / 5) as usize;
    format!("`[{}{}]`", "#".repeat(filled), "-".repeat(20 - filled))
}
