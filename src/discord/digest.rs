//! The weekly digest as Discord messages: first a summary embed with the chart shown from its
//! attachment and the CSV of the full table attached, then the member table and any list too
//! long for the summary, split so that every message stays inside Discord's limits.
//!
//! Building the messages is pure: the job posts them to the reports channel, `/report preview`
//! sends them as ephemeral follow-ups, and tests post them through the fake Discord.

mod split;

use poise::serenity_prelude::{
    CreateAttachment, CreateEmbed, CreateInteractionResponseFollowup, CreateMessage,
};

use super::render::{BLUE, GREY, RED, YELLOW};
use crate::domain::count_len;
use crate::report::DigestChart;
use crate::report::csv::render_csv;
use crate::report::text::{self, usd};
use crate::team::MemberName;
use crate::team::digest::{Digest, EXPIRING_WITHIN_DAYS, MemberLine, Spender};
use split::{EmbedText, FIELD_VALUE_MAX, MESSAGE_CHARS, as_field_value, pack, paged, shortened};

/// The chart's file name, which the summary embed shows as `attachment://digest.png`.
pub const CHART_FILE: &str = "digest.png";

/// One message of the digest, ready to send as a channel post or an interaction follow-up.
#[derive(Debug, Clone)]
pub struct DigestMessage {
    pub content: Option<String>,
    pub embeds: Vec<CreateEmbed>,
    pub files: Vec<CreateAttachment>,
}

impl DigestMessage {
    /// As a channel post.
    pub fn to_message(&self) -> CreateMessage {
        let mut message = CreateMessage::new().embeds(self.embeds.clone());
        if let Some(content) = &self.content {
            message = message.content(content);
        }
        for file in &self.files {
            message = message.add_file(file.clone());
        }
        message
    }

    /// As an interaction follow-up (ephemeral for `/report preview`).
    pub fn to_followup(&self, ephemeral: bool) -> CreateInteractionResponseFollowup {
        let mut followup = CreateInteractionResponseFollowup::new()
            .embeds(self.embeds.clone())
            .ephemeral(ephemeral);
        if let Some(content) = &self.content {
            followup = followup.content(content);
        }
        for file in &self.files {
            followup = followup.add_file(file.clone());
        }
        followup
    }
}

/// The CSV's file name, such as `digest-2026-W48.csv`.
pub fn csv_file_name(digest: &Digest) -> String {
    format!("digest-{}.csv", digest.week.iso_name())
}

/// The digest as channel posts, in order.
pub fn digest_messages(digest: &Digest, chart: Option<&DigestChart>) -> Vec<CreateMessage> {
    digest_message_parts(digest, chart)
        .iter()
        .map(DigestMessage::to_message)
        .collect()
}

/// The digest's messages: the summary (with the chart, if it could be drawn, and the CSV),
/// then the member table and the long lists.
///
/// A week without recorded usage is one line, without chart or CSV.
pub fn digest_message_parts(digest: &Digest, chart: Option<&DigestChart>) -> Vec<DigestMessage> {
    if let Some(line) = digest.nothing_recorded() {
        return vec![DigestMessage {
            content: Some(line),
            embeds: Vec::new(),
            files: Vec::new(),
        }];
    }
    let lists = list_sections(digest);
    let mut summary = summary_embed(digest, chart.is_some());
    let mut later: Vec<EmbedText> = paged(
        &format!("Members, {}", digest.week.iso_name()),
        &member_lines(digest),
        BLUE,
    );
    // What the summary embed may still take before lists move to their own messages.
    let mut budget = MESSAGE_CHARS.saturating_sub(summary.chars());
    for section in lists {
        let name = format!("{} ({})", section.title, section.lines.len());
        let inline = if section.lines.is_empty() {
            Some("none".to_string())
        } else {
            as_field_value(&section.lines)
        }
        .filter(|value| value.chars().count() + name.chars().count() <= budget);
        let value = match inline {
            Some(value) => value,
            None => {
                later.extend(paged(&section.title, &section.lines, section.color));
                "Listed in the messages below.".to_string()
            }
        };
        budget = budget.saturating_sub(value.chars().count() + name.chars().count());
        summary.fields.push((name, value, false));
    }

    let mut files = Vec::new();
    if let Some(chart) = chart {
        files.push(
            CreateAttachment::bytes(chart.png.clone(), CHART_FILE)
                .description(shortened(&chart.drawing.describe(), 1_000)),
        );
    }
    files.push(
        CreateAttachment::bytes(render_csv(digest).into_bytes(), csv_file_name(digest))
            .description("Every member's figures for the week, as CSV"),
    );
    let mut messages = vec![DigestMessage {
        content: text::late_note(digest),
        embeds: vec![summary.to_embed()],
        files,
    }];
    messages.extend(pack(later).into_iter().map(|embeds| DigestMessage {
        content: None,
        embeds: embeds.iter().map(EmbedText::to_embed).collect(),
        files: Vec::new(),
    }));
    messages
}

fn summary_embed(digest: &Digest, with_chart: bool) -> EmbedText {
    let mut description = format!(
        "{} ({})\n\n**Team total:** {}",
        digest.week.dates(),
        digest.week.timezone().name(),
        text::total_line(&text::shown_total(digest))
    );
    if !with_chart {
        description
            .push_str("\n\nThe chart could not be drawn this time; the figures are all here.");
    }
    let unowned = &digest.unowned;
    let mut fields = vec![
        (
            "Unowned keys".to_string(),
            format!(
                "{} across {} key{} (last week {})",
                usd(unowned.spend.this_week),
                unowned.keys,
                if unowned.keys == 1 { "" } else { "s" },
                usd(unowned.spend.last_week)
            ),
            true,
        ),
        (
            "Pending requests".to_string(),
            match digest.pending_requests {
                0 => "none".to_string(),
                n => format!("{n} waiting (/requests)"),
            },
            true,
        ),
        (
            "Credits".to_string(),
            digest
                .credits
                .as_ref()
                .map(text::credits_line)
                .unwrap_or_else(|| "not available".into()),
            true,
        ),
    ];
    if let Some(models) = &digest.top_models {
        let mut lines: Vec<String> = models
            .iter()
            .map(|m| format!("{} {} ({}%)", code(&m.model), usd(m.usage), m.percent))
            .collect();
        if let Some(rest) = text::other_models_percent(models) {
            lines.push(format!("other models ({rest}%)"));
        }
        let value = if lines.is_empty() {
            "no model usage reported".to_string()
        } else {
            shortened(&lines.join("\n"), FIELD_VALUE_MAX)
        };
        fields.push(("Top models".to_string(), value, false));
    }
    EmbedText {
        title: format!("Weekly digest {}", digest.week.iso_name()),
        description,
        fields,
        footer: Some(format!(
            "{} · spend is the change in OpenRouter's usage counters · limit: the week against the limit's weekly pace, and the peak within one window · full table in {}",
            count_len(digest.members.len(), "member"),
            csv_file_name(digest)
        )),
        image: with_chart.then(|| format!("attachment://{CHART_FILE}")),
        color: BLUE,
    }
}

/// A list for the summary, or for its own messages when too long.
struct ListSection {
    title: String,
    lines: Vec<String>,
    color: u32,
}

fn list_sections(digest: &Digest) -> Vec<ListSection> {
    let owner = |member: Option<&MemberName>| match member {
        Some(name) => code(name.as_str()),
        None => "(unowned)".to_string(),
    };
    vec![
        ListSection {
            title: "At or over limit".into(),
            lines: digest
                .at_limit
                .iter()
                .map(|a| {
                    format!(
                        "{} {} {}",
                        owner(a.member.as_ref()),
                        code(&a.key_name),
                        text::limit_reached(a, digest.week.timezone())
                    )
                })
                .collect(),
            color: RED,
        },
        ListSection {
            title: "Spikes".into(),
            lines: digest
                .spikes
                .iter()
                .map(|s| {
                    format!(
                        "{} {}: {} (usually {} a day)",
                        s.day.format("%a %-d %b"),
                        match &s.spender {
                            Spender::Member(name) => code(name.as_str()),
                            Spender::UnownedKey(key) => format!("unowned key {}", code(key)),
                        },
                        usd(s.spent),
                        usd(s.usual)
                    )
                })
                .collect(),
            color: YELLOW,
        },
        ListSection {
            title: format!("Expiring within {EXPIRING_WITHIN_DAYS} days"),
            lines: digest
                .expiring
                .iter()
                .map(|k| {
                    format!(
                        "{} {} expires <t:{}:R>",
                        owner(k.member.as_ref()),
                        code(&k.key_name),
                        k.expires_at.timestamp()
                    )
                })
                .collect(),
            color: YELLOW,
        },
        ListSection {
            title: "Idle keys".into(),
            lines: digest
                .idle_keys
                .iter()
                .map(|k| {
                    format!(
                        "{} {}{}",
                        owner(k.member.as_ref()),
                        code(&k.key_name),
                        if k.disabled { " (disabled)" } else { "" }
                    )
                })
                .collect(),
            color: GREY,
        },
    ]
}

/// One line per member, biggest spender first.
fn member_lines(digest: &Digest) -> Vec<String> {
    digest.members.iter().map(member_line).collect()
}

fn member_line(member: &MemberLine) -> String {
    let mut line = format!(
        "{}{} {} · {}",
        code(member.name.as_str()),
        if member.departed { " (departed)" } else { "" },
        usd(member.spend.this_week),
        text::change(&member.spend)
    );
    line.push_str(&format!(" · {}", text::limit_column(member)));
    if let Some(access) = member.access {
        line.push_str(&format!(" · {}", access.short_words()));
    }
    if let Some(model) = &member.top_model {
        line.push_str(&format!(" · {}", code(model)));
    }
    line
}

/// Text shown as code (no Markdown inside); a backtick in it would end the span.
fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}
