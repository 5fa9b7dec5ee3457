//! Splits long digest sections over embeds and messages so that every message stays inside
//! Discord's limits: 4096 characters of description and 25 fields of 1024 per embed, 10 embeds
//! and 6000 characters of embed text per message. Lines are never dropped: a section that does
//! not fit one embed continues in the next, titled "(2 of 3)".

use poise::serenity_prelude::{CreateEmbed, CreateEmbedFooter};

/// Characters of description per page: two pages and their titles fit the 6000-character
/// budget of one message.
const PAGE_CHARS: usize = 2_800;
/// Embed text per message, with room to spare under Discord's 6000.
pub const MESSAGE_CHARS: usize = 5_900;
/// Embeds per message.
const MESSAGE_EMBEDS: usize = 10;
/// Discord's limit on an embed field's value.
pub const FIELD_VALUE_MAX: usize = 1_024;
/// A single line longer than this is shortened (with an ellipsis; the CSV has everything).
const LINE_MAX: usize = 1_000;

/// An embed as text, so its size can be counted the way Discord counts it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbedText {
    pub title: String,
    pub description: String,
    pub fields: Vec<(String, String, bool)>,
    pub footer: Option<String>,
    pub image: Option<String>,
    pub color: u32,
}

impl EmbedText {
    /// The characters Discord counts towards a message's 6000.
    pub fn chars(&self) -> usize {
        self.title.chars().count()
            + self.description.chars().count()
            + self
                .fields
                .iter()
                .map(|(name, value, _)| name.chars().count() + value.chars().count())
                .sum::<usize>()
            + self.footer.as_ref().map_or(0, |f| f.chars().count())
    }

    pub fn to_embed(&self) -> CreateEmbed {
        let mut embed = CreateEmbed::new().title(&self.title).color(self.color);
        if !self.description.is_empty() {
            embed = embed.description(&self.description);
        }
        for (name, value, inline) in &self.fields {
            embed = embed.field(name, value, *inline);
        }
        if let Some(footer) = &self.footer {
            embed = embed.footer(CreateEmbedFooter::new(footer));
        }
        if let Some(image) = &self.image {
            embed = embed.image(image);
        }
        embed
    }
}

/// `lines` as embeds of at most one page each, titled `title (2 of 3)` when there are several.
pub fn paged(title: &str, lines: &[String], color: u32) -> Vec<EmbedText> {
    let mut pages: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line = shortened(line, LINE_MAX);
        let needed = line.chars().count() + usize::from(!current.is_empty());
        if !current.is_empty() && current.chars().count() + needed > PAGE_CHARS {
            pages.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        pages.push(current);
    }
    let total = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(i, description)| EmbedText {
            title: if total > 1 {
                format!("{title} ({} of {total})", i + 1)
            } else {
                title.to_string()
            },
            description,
            color,
            ..EmbedText::default()
        })
        .collect()
}

/// Embeds grouped into messages, in order, each message within Discord's limits.
pub fn pack(embeds: Vec<EmbedText>) -> Vec<Vec<EmbedText>> {
    let mut messages: Vec<Vec<EmbedText>> = Vec::new();
    let mut current: Vec<EmbedText> = Vec::new();
    let mut chars = 0;
    for embed in embeds {
        let size = embed.chars();
        if !current.is_empty() && (current.len() == MESSAGE_EMBEDS || chars + size > MESSAGE_CHARS)
        {
            messages.push(std::mem::take(&mut current));
            chars = 0;
        }
        chars += size;
        current.push(embed);
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
}

/// The lines as one field value, if they fit.
pub fn as_field_value(lines: &[String]) -> Option<String> {
    let value = lines.join("\n");
    (value.chars().count() <= FIELD_VALUE_MAX).then_some(value)
}

/// `text` cut to `max` characters with an ellipsis when longer.
pub fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_messages_stay_inside_the_limits_and_keep_every_line() {
        let lines: Vec<String> = (0..1_000)
            .map(|i| format!("`member{i:04}` $123.45 (+$12.00, +11%) · 45% of $10.00 per day · `openai/gpt-4o-mini`"))
            .collect();
        let pages = paged("Members", &lines, 0);
        assert!(pages.iter().all(|p| p.description.chars().count() <= 4_096));
        assert_eq!(pages[0].title, format!("Members (1 of {})", pages.len()));
        let messages = pack(pages.clone());
        for message in &messages {
            assert!(message.len() <= 10);
            assert!(message.iter().map(EmbedText::chars).sum::<usize>() <= 6_000);
        }
        let text: String = pages
            .iter()
            .map(|p| p.description.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(text.lines().count(), 1_000);
        assert_eq!(messages.iter().map(Vec::len).sum::<usize>(), pages.len());
    }
}
