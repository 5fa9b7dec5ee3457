//! How the bot's Discord messages read to a person: mentions and timestamps as Discord shows
//! them, and the whole message either as one short terminal line or as Markdown.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use fakes::discord::{Message, Modal};
use serde_json::Value;

use super::cast;

/// The longest the text of a terminal line gets before it is cut (buttons come after it).
const LINE_TEXT_MAX: usize = 150;

/// Discord's markup as a reader sees it: `<@4003>` is `@Mia`, `<#2001>` is `#key-approvals`,
/// `<t:1795651200:f>` is a date in UTC.
pub fn resolve(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        match after
            .find('>')
            .and_then(|close| Some((readable(&after[1..close])?, close)))
        {
            Some((readable, close)) => {
                out.push_str(&readable);
                rest = &after[close + 1..];
            }
            None => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What one piece of markup inside `<...>` reads as, if it is markup.
fn readable(inner: &str) -> Option<String> {
    if let Some(role) = inner.strip_prefix("@&") {
        let id: u64 = role.parse().ok()?;
        return Some(format!("@{}", cast::role_name(id).unwrap_or("a role")));
    }
    if let Some(user) = inner.strip_prefix('@') {
        let id: u64 = user.trim_start_matches('!').parse().ok()?;
        return Some(format!("@{}", cast::display_name(id).unwrap_or("someone")));
    }
    if let Some(channel) = inner.strip_prefix('#') {
        let id: u64 = channel.parse().ok()?;
        return Some(format!(
            "#{}",
            cast::channel_name(id).unwrap_or("a channel")
        ));
    }
    if let Some(stamp) = inner.strip_prefix("t:") {
        let seconds: i64 = stamp.split(':').next()?.parse().ok()?;
        let at = Utc.timestamp_opt(seconds, 0).single()?;
        return Some(at.format("%a %-d %b %Y %H:%M UTC").to_string());
    }
    None
}

/// Text without Markdown emphasis, code fences and line breaks, for a terminal line.
fn plain(text: &str) -> String {
    resolve(text)
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .map(|line| line.replace("**", "").replace('`', "").replace("__", ""))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cuts `text` to at most `max` characters at a word boundary, marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |space| &cut[..space]);
    format!("{}…", at_word.trim_end_matches([' ', ',', ':', '·']))
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn fields(embed: &Value) -> Vec<(&str, &str)> {
    embed
        .get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| Some((str_at(f, "/name")?, str_at(f, "/value")?)))
        .collect()
}

/// The labels of the message's buttons, in order.
fn button_labels(message: &Message) -> Vec<String> {
    message
        .buttons()
        .into_iter()
        .filter_map(|b| b.label)
        .collect()
}

/// The whole message on one line: content, each embed's title, text and fields, then its
/// buttons and files. Long text is cut; buttons and files never are.
pub fn one_line(message: &Message) -> String {
    let mut parts = Vec::new();
    if !message.content.is_empty() {
        parts.push(plain(&message.content));
    }
    for embed in &message.embeds {
        let mut words = Vec::new();
        for pointer in ["/author/name", "/title", "/description"] {
            if let Some(text) = str_at(embed, pointer) {
                words.push(plain(text));
            }
        }
        for (name, value) in fields(embed) {
            words.push(format!("{}: {}", plain(name), plain(value)));
        }
        parts.push(words.join(" · "));
    }
    let mut line = shorten(&parts.join(" · "), LINE_TEXT_MAX);
    for label in button_labels(message) {
        line.push_str(&format!(" [{label}]"));
    }
    for file in &message.attachments {
        line.push_str(&format!(" 📎{}", file.filename));
    }
    line
}

/// A form on one line: its title and the questions it asks.
pub fn form_line(modal: &Modal) -> String {
    format!(
        "form \"{}\" asking: {}",
        modal.title,
        input_labels(modal).join(" / ")
    )
}

/// The text inputs of a form, in order.
fn inputs(modal: &Modal) -> Vec<Value> {
    modal
        .components
        .iter()
        .filter_map(|row| row.get("components").and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect()
}

/// The labels of a form's text inputs, in order.
pub fn input_labels(modal: &Modal) -> Vec<String> {
    inputs(modal)
        .iter()
        .filter_map(|input| str_at(input, "/label").map(str::to_string))
        .collect()
}

/// The label of a form input, by its id (the bot's own words for the question).
pub fn input_label(modal: &Modal, input_id: &str) -> String {
    inputs(modal)
        .iter()
        .find(|input| str_at(input, "/custom_id") == Some(input_id))
        .and_then(|input| str_at(input, "/label").map(str::to_string))
        .unwrap_or_else(|| input_id.to_string())
}

/// The message as Markdown: content, then each embed (title in bold, text, fields as a list,
/// image, footer), files and buttons. `saved` maps an attachment's file name to where the demo
/// wrote it, relative to the Markdown file, so images show and files link.
pub fn markdown(message: &Message, saved: &HashMap<String, String>) -> String {
    let mut blocks = Vec::new();
    if !message.content.is_empty() {
        blocks.push(line_breaks(&resolve(&message.content)));
    }
    for embed in &message.embeds {
        if let Some(author) = str_at(embed, "/author/name") {
            blocks.push(format!("*{}*", resolve(author)));
        }
        if let Some(title) = str_at(embed, "/title") {
            blocks.push(format!("**{}**", resolve(title)));
        }
        if let Some(description) = str_at(embed, "/description") {
            blocks.push(line_breaks(&resolve(description)));
        }
        let fields: Vec<String> = fields(embed)
            .into_iter()
            .map(|(name, value)| {
                let value = resolve(value);
                if value.contains('\n') {
                    let indented = line_breaks(&value).replace('\n', "\n  ");
                    format!("- **{}:**  \n  {indented}", resolve(name))
                } else {
                    format!("- **{}:** {value}", resolve(name))
                }
            })
            .collect();
        if !fields.is_empty() {
            blocks.push(fields.join("\n"));
        }
        if let Some(url) = str_at(embed, "/image/url") {
            let file = url.strip_prefix("attachment://").unwrap_or(url);
            let target = saved.get(file).map_or(file, String::as_str);
            blocks.push(format!("![{file}]({target})"));
        }
        if let Some(footer) = str_at(embed, "/footer/text") {
            blocks.push(format!("*{}*", resolve(footer)));
        }
    }
    if !message.attachments.is_empty() {
        let files: Vec<String> = message
            .attachments
            .iter()
            .map(|file| match saved.get(&file.filename) {
                Some(target) => format!("[{}]({target})", file.filename),
                None => format!("`{}`", file.filename),
            })
            .collect();
        blocks.push(format!("Attached: {}", files.join(", ")));
    }
    let labels = button_labels(message);
    if !labels.is_empty() {
        let buttons: Vec<String> = labels.iter().map(|l| format!("`[{l}]`")).collect();
        blocks.push(format!("Buttons: {}", buttons.join(" ")));
    }
    blocks.join("\n\n")
}

/// Discord shows every line break; Markdown joins lines of a paragraph unless they end in two
/// spaces. Lines inside code blocks stay as they are.
fn line_breaks(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut in_code = false;
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let fence = line.trim_start().starts_with("```");
        if fence {
            in_code = !in_code;
        }
        let next = lines.get(i + 1).map(|l| l.trim());
        let joins_next = !in_code
            && !fence
            && !line.trim().is_empty()
            && next.is_some_and(|n| !n.is_empty() && !n.starts_with("```"));
        if joins_next {
            out.push(format!("{line}  "));
        } else {
            out.push((*line).to_string());
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_channels_and_times_read_as_discord_shows_them() {
        let text = format!(
            "Approved by <@{}> in <#{}> for <@&{}> at <t:1795939200:f>; 3 < 4 <b>",
            cast::DANA.id,
            cast::APPROVALS,
            cast::ADMIN_ROLE
        );
        assert_eq!(
            resolve(&text),
            "Approved by @Dana in #key-approvals for @Key admins at Sun 29 Nov 2026 08:00 UTC; 3 < 4 <b>"
        );
    }

    #[test]
    fn line_breaks_stay_breaks_outside_code() {
        assert_eq!(
            line_breaks("a\nb\n\nc\n```\nx\ny\n```"),
            "a  \nb\n\nc\n```\nx\ny\n```"
        );
    }

    #[test]
    fn long_text_is_cut_between_words() {
        assert_eq!(shorten("one two three", 9), "one two…");
        assert_eq!(shorten("short", 9), "short");
    }

    #[test]
    fn a_line_drops_markup_and_keeps_every_button() {
        let message = Message {
            id: 1,
            channel_id: cast::APPROVALS,
            author_id: cast::BOT_ID,
            content: String::new(),
            embeds: vec![serde_json::json!({
                "title": "Key request #1",
                "description": "**Waiting** for an admin.\n```\ncode\n```",
                "fields": [{"name": "Who", "value": format!("<@{}>", cast::MIA.id)}]
            })],
            components: vec![serde_json::json!({"type": 1, "components": [
                {"type": 2, "label": "Approve", "custom_id": "a", "style": 3},
                {"type": 2, "label": "Deny", "custom_id": "d", "style": 4}
            ]})],
            attachments: vec![],
            flags: 0,
            nonce: None,
            interaction: None,
            created_at: Utc::now(),
            edited_at: None,
            edit_count: 0,
        };
        assert_eq!(
            one_line(&message),
            "Key request #1 · Waiting for an admin. code · Who: @Mia [Approve] [Deny]"
        );
        let markdown = markdown(&message, &HashMap::new());
        assert!(
            markdown.starts_with("**Key request #1**\n\n**Waiting** for an admin.\n```\ncode\n```"),
            "{markdown}"
        );
        assert!(markdown.contains("\n- **Who:** @Mia\n"));
        assert!(markdown.ends_with("Buttons: `[Approve]` `[Deny]`"));
    }
}
