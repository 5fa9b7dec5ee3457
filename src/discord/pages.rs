//! Long lists split into pages that each fit one message: nothing is ever cut off silently.

use poise::serenity_prelude::CreateEmbed;

/// Room for one page's lines: under the 4096-character description limit, and with the title
/// and footer well under the 6000-character total of a message.
const PAGE_CHARS: usize = 3800;

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
