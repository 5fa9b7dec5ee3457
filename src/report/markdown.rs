//! The digest as Markdown: what `report --format markdown` prints, every section in full.

use std::fmt::Write as _;

use super::text;
use crate::domain::count_of;
use crate::team::digest::Digest;

/// The whole digest as a Markdown document.
pub fn render_markdown(digest: &Digest) -> String {
    let mut out = String::new();
    let tz = digest.week.timezone();
    let _ = writeln!(out, "# Weekly digest {}\n", digest.week.iso_name());
    let _ = writeln!(out, "{} ({})\n", digest.week.dates(), tz.name());
    if let Some(note) = text::late_note(digest) {
        let _ = writeln!(out, "> {note}\n");
    }
    let _ = writeln!(
        out,
        "- **Team total:** {}",
        text::total_line(&text::shown_total(digest))
    );
    let unowned = &digest.unowned;
    let _ = writeln!(
        out,
        "- **Unowned keys:** {} across {} key{} (last week {})",
        text::usd(unowned.spend.this_week),
        unowned.keys,
        if unowned.keys == 1 { "" } else { "s" },
        text::usd(unowned.spend.last_week)
    );
    let _ = writeln!(
        out,
        "- **Credits:** {}",
        digest
            .credits
            .as_ref()
            .map(text::credits_line)
            .unwrap_or_else(|| "not asked of OpenRouter for this report".into())
    );
    let _ = writeln!(
        out,
        "- **Pending key requests:** {}\n",
        digest.pending_requests
    );

    let _ = writeln!(out, "## Members ({})\n", digest.members.len());
    let _ = writeln!(
        out,
        "| Member | This week | Last week | Change | Limit | Mode | Top model |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|---|---|");
    for m in &digest.members {
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {} | {} |",
            m.name,
            if m.departed { " (departed)" } else { "" },
            text::usd(m.spend.this_week),
            text::usd(m.spend.last_week),
            text::change(&m.spend),
            text::limit_column(m),
            m.access.map_or("–", |a| a.short_words()),
            cell(m.top_model.as_deref().unwrap_or("–"))
        );
    }
    let _ = writeln!(
        out,
        "\nLimit: the week's spend against the limit's weekly pace (a daily limit allows 7 times the limit in a week, a monthly one 12/52 of it), and the peak, the most of the limit used within one of its own windows; a lifetime limit shows how much of it is used.\n"
    );

    let _ = writeln!(out, "## Top models\n");
    match &digest.top_models {
        None => {
            let _ = writeln!(
                out,
                "Not available: OpenRouter's activity was not asked for this report.\n"
            );
        }
        Some(models) if models.is_empty() => {
            let _ = writeln!(out, "No model usage reported for this week.\n");
        }
        Some(models) => {
            for (i, m) in models.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{}. `{}`: {} ({}%)",
                    i + 1,
                    m.model,
                    text::usd(m.usage),
                    m.percent
                );
            }
            if let Some(rest) = text::other_models_percent(models) {
                let _ = writeln!(out, "{}. other models ({rest}%)", models.len() + 1);
            }
            out.push('\n');
        }
    }

    let _ = writeln!(
        out,
        "## At or over limit\n\nKeys that reached their limit in a budget window of the week (up to {}), with the day a sync first saw it.\n",
        text::local_time(digest.status_at, tz)
    );
    list(
        &mut out,
        digest.at_limit.iter().map(|a| {
            format!(
                "{}: `{}` {}",
                text::owner(a.member.as_ref()),
                a.key_name,
                text::limit_reached(a, tz)
            )
        }),
    );

    let _ = writeln!(
        out,
        "## Spikes\n\nA spike is {}.\n",
        text::spike_rule(digest)
    );
    list(
        &mut out,
        digest.spikes.iter().map(|s| {
            format!(
                "{}: {} spent {} (usually {} a day)",
                s.day.format("%a %-d %b"),
                s.spender,
                text::usd(s.spent),
                text::usd(s.usual)
            )
        }),
    );

    let _ = writeln!(
        out,
        "## Idle keys\n\nLive keys with no spend in the {} before {}.\n",
        count_of(digest.idle_key_days, "day"),
        text::local_time(digest.status_at, tz)
    );
    list(
        &mut out,
        digest.idle_keys.iter().map(|k| {
            format!(
                "{}: `{}`{}",
                text::owner(k.member.as_ref()),
                k.key_name,
                if k.disabled { " (disabled)" } else { "" }
            )
        }),
    );

    let _ = writeln!(
        out,
        "## Expiring within {}\n",
        count_of(digest.expiring_within().num_days(), "day")
    );
    list(
        &mut out,
        digest.expiring.iter().map(|k| {
            format!(
                "{}: `{}` expires {}",
                text::owner(k.member.as_ref()),
                k.key_name,
                text::local_time(k.expires_at, tz)
            )
        }),
    );
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// A bulleted list, or "None." when empty, followed by a blank line.
fn list(out: &mut String, items: impl Iterator<Item = String>) {
    let mut any = false;
    for item in items {
        any = true;
        let _ = writeln!(out, "- {item}");
    }
    if !any {
        out.push_str("None.\n");
    }
    out.push('\n');
}

/// A table cell: pipes would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
