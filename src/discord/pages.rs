//! Long lists split into pages that each fit one message: nothing is ever cut off silently.

use poise::serenity_prelude::CreateEmbed;

/// Room for one page's lines: under the 4096-character description limit, and with the title
/// and footer well under the 6000-character total of a message.
const PAGE_CHARS: usize = 3800;

/// A titled list of lines to show.
pub struct List<'a> {
    pub title: &'a str,
    pub lines: &'a [String],
    /// What is shown when there are no lines.
    pub empty: &'a str,
    pub color: u32,
}

impl List<'_> {
    /// The list as embeds of one page each.
    pub fn pages(&self) -> Vec<CreateEmbed> {
        pages(self.title, self.lines, self.empty, self.color)
    }

    /// The list as a text file: its title, then every line without Discord's markup (bold and
    /// code marks dropped, a mention as the user's id).
    pub fn plain_text(&self) -> Vec<u8> {
        let mut text = format!("{}\n\n", self.title);
        for line in self.lines {
            text.push_str(&plain(line));
            text.push('\n');
        }
        text.into_bytes()
    }
}

/// A line without Discord's markup: `**bold**` and `` `code` `` marks dropped, `<@123>` as
/// `user 123`.
fn plain(line: &str) -> String {
    let line = line.replace("**", "").replace('`', "");
    let mut out = String::with_capacity(line.len());
    let mut rest = line.as_str();
    while let Some(at) = rest.find("<@") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find('>') {
            Some(end) if end > 0 && after[..end].bytes().all(|b| b.is_ascii_digit()) => {
                out.push_str("user ");
                out.push_str(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("<@");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `lines` as embeds of one page each, titled "Title (page 2 of 3)" when there are several.
pub fn pages(title: &str, lines: &[String], empty: &str, color: u32) -> Vec<CreateEmbed> {
    if lines.is_empty() {
        return vec![
            CreateEmbed::new()
                .title(title)
                .description(empty)
                .color(color),
        ];
    }
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line = super::render::truncate(line, PAGE_CHARS);
        if !current.is_empty() && current.len() + line.len() + 1 > PAGE_CHARS {
            chunks.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    chunks.push(current);
    let total = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let title = if total > 1 {
                format!("{title} (page {} of {total})", i + 1)
            } else {
                title.to_string()
            };
            CreateEmbed::new()
                .title(title)
                .description(text)
                .color(color)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_line_has_no_markup() {
        assert_eq!(
            plain("**mia** · <@42> · `team:mia:r1` · <@x> and <@"),
            "mia · user 42 · team:mia:r1 · <@x> and <@"
        );
    }

    #[test]
    fn every_line_lands_on_some_page() {
        let lines: Vec<String> = (0..500)
            .map(|i| format!("line number {i:04} with some text"))
            .collect();
        let pages = pages("Keys", &lines, "none", 0);
        assert!(pages.len() > 1);
        let json = serde_json::to_string(&pages).unwrap();
        for i in [0, 250, 499] {
            assert!(json.contains(&format!("line number {i:04}")));
        }
        for page in &pages {
            let text = serde_json::to_value(page).unwrap();
            let description = text["description"].as_str().unwrap();
            assert!(description.chars().count() <= 4096);
        }
    }
}
