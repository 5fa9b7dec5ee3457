//! `transcript.md`: the story as a Markdown document, one section per day, with every message
//! the bot showed rendered in full (embeds, fields, buttons, the digest's chart).

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::cast;
use super::reading;
use super::summary::Summary;
use super::transcript::{Audience, DAYS, Entry, Event, day_number};

/// The whole document.
pub fn render(
    entries: &[Entry],
    week_start: DateTime<Utc>,
    summary: &Summary,
    saved: &HashMap<String, String>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# A week at {}: the openrouter-team-bot demo\n",
        cast::GUILD_NAME
    );
    let _ = writeln!(
        out,
        "The real bot (its Discord commands, buttons, jobs, gateway and database) ran against a \
         simulated Discord server and a simulated OpenRouter account, both on this machine \
         (127.0.0.1), in simulated time from {} to {}. **Every key in this transcript is fake**: \
         the simulated OpenRouter made it and it works nowhere; so is the gateway token, which \
         worked only at the demo's gateway. The money is simulated too.\n",
        week_start.format("%A %-d %B %Y"),
        (week_start + chrono::Duration::days(DAYS)).format("%A %-d %B %Y"),
    );
    let _ = writeln!(out, "{}\n", cast_line());
    for entry in entries {
        write_entry(&mut out, entry, week_start, saved);
    }
    let _ = writeln!(out, "## Summary\n");
    out.push_str(&summary.markdown());
    out
}

/// Who is who, in one paragraph.
fn cast_line() -> String {
    let people: Vec<String> = cast::PEOPLE
        .iter()
        .map(|p| {
            let roles: Vec<&str> = p.roles.iter().filter_map(|r| cast::role_name(*r)).collect();
            if roles.is_empty() {
                p.display_name.to_string()
            } else {
                format!("{} ({})", p.display_name, roles.join(", "))
            }
        })
        .collect();
    format!(
        "**Who is who.** The server has {}. Members of *Key admins* are the bot's admins; *Pro* \
         and *Research* put their holders in those tiers, and *Shared key* in the shared tier, \
         whose members get a token for the bot's gateway instead of a key of their own and \
         reach OpenRouter through it, on the team's one key. Commands are run in #general; the \
         bot posts approval cards in #key-approvals, alerts in #key-alerts, the weekly digest \
         in #key-reports and a line for every admin and lifecycle action in #key-audit.",
        people.join(", ")
    )
}

fn write_entry(
    out: &mut String,
    entry: &Entry,
    week_start: DateTime<Utc>,
    saved: &HashMap<String, String>,
) {
    let time = entry.at.format("%H:%M");
    match &entry.event {
        Event::Day => {
            let day = day_number(week_start, entry.at);
            let which = if day > DAYS {
                "after the week".to_string()
            } else {
                format!("day {day} of {DAYS}")
            };
            let _ = writeln!(out, "## {} ({which})\n", entry.at.format("%A %-d %B %Y"));
        }
        Event::Narration(text) => {
            let _ = writeln!(out, "*{time} · {text}*\n");
        }
        Event::Action { person, what } => {
            let _ = writeln!(out, "**{time} · {person}** {}\n", code_commands(what));
        }
        Event::Bot {
            to,
            message,
            edited,
        } => {
            let who = match (to, edited) {
                (Audience::OnlyFor(p), false) => format!("ephemeral: only {p} sees this"),
                (Audience::OnlyFor(p), true) => {
                    format!("its answer to {p}, updated (only {p} sees it)")
                }
                (Audience::Channel(c), false) => format!("in #{c}"),
                (Audience::Channel(c), true) => format!("its post in #{c}, edited"),
                (Audience::Dm(p), false) => format!("DM to {p}"),
                (Audience::Dm(p), true) => format!("its DM to {p}, edited"),
            };
            let body = reading::markdown(message, saved);
            let _ = writeln!(out, "> **{}** · {who}\n>", cast::BOT_NAME);
            let _ = writeln!(out, "{}\n", quote(&body));
        }
        Event::Form { to, modal } => {
            let questions: Vec<String> = reading::input_labels(modal)
                .into_iter()
                .map(|label| format!("> - {label}"))
                .collect();
            let _ = writeln!(
                out,
                "> **{}** · a form for {to}: **{}**\n>\n{}\n",
                cast::BOT_NAME,
                modal.title,
                questions.join("\n")
            );
        }
        Event::Exchange { person, exchange } => {
            let _ = writeln!(
                out,
                "**{time} · {person}'s client** → the gateway: `{}`\n",
                exchange.request_words()
            );
            let _ = writeln!(
                out,
                "> **gateway** · answers {person}'s client: {}\n",
                exchange.answer_words()
            );
        }
        Event::Aside(text) => {
            let _ = writeln!(out, "> ⚠️ *Demo note: {text}*\n");
        }
    }
}

/// Every line of `text` as a Markdown blockquote line.
fn quote(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                ">".to_string()
            } else {
                format!("> {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Slash commands and button labels in an action as code: `runs /mykey` -> runs `/mykey`.
fn code_commands(what: &str) -> String {
    what.split(' ')
        .map(|word| {
            if word.starts_with('/') && word.len() > 1 {
                format!("`{word}`")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
