//! Discord's size limits on messages, embeds, components, modals and files, checked the way
//! Discord checks them: each breach becomes a field error of a 400 50035 answer.

use serde_json::Value;

use super::errors::FormErrors;

/// Message content, in characters.
pub const CONTENT_MAX: usize = 2000;
/// Embeds per message.
pub const EMBEDS_MAX: usize = 10;
/// Embed title.
pub const EMBED_TITLE_MAX: usize = 256;
/// Embed description.
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
/// Fields per embed.
pub const EMBED_FIELDS_MAX: usize = 25;
/// Embed field name.
pub const EMBED_FIELD_NAME_MAX: usize = 256;
/// Embed field value.
pub const EMBED_FIELD_VALUE_MAX: usize = 1024;
/// Embed footer text.
pub const EMBED_FOOTER_MAX: usize = 2048;
/// Embed author name.
pub const EMBED_AUTHOR_MAX: usize = 256;
/// The text of all embeds of one message together.
pub const EMBEDS_TOTAL_MAX: usize = 6000;
/// Action rows per message or modal.
pub const ACTION_ROWS_MAX: usize = 5;
/// Components per action row.
pub const ROW_COMPONENTS_MAX: usize = 5;
/// A component's `custom_id`.
pub const CUSTOM_ID_MAX: usize = 100;
/// A button's label.
pub const BUTTON_LABEL_MAX: usize = 80;
/// A modal's title.
pub const MODAL_TITLE_MAX: usize = 45;
/// A text input's label.
pub const TEXT_INPUT_LABEL_MAX: usize = 45;
/// An uploaded file, in bytes (10 MiB).
pub const FILE_MAX_BYTES: usize = 10 * 1024 * 1024;
/// A message nonce.
pub const NONCE_MAX: usize = 25;

const TEXT_INPUT: u64 = 4;
const BUTTON: u64 = 2;
const ACTION_ROW: u64 = 1;
const LINK_STYLE: u64 = 5;
const PREMIUM_STYLE: u64 = 6;

/// Checks the parts of a message body that Discord limits: content, embeds, components, nonce.
/// Fields that are absent or `null` are not checked (edits send only what changes).
pub fn check_message(body: &Value) -> FormErrors {
    let mut errors = FormErrors::default();
    if let Some(content) = body.get("content").and_then(Value::as_str) {
        max_chars(&mut errors, &["content"], content, CONTENT_MAX);
    }
    if let Some(embeds) = body.get("embeds").and_then(Value::as_array) {
        check_embeds(&mut errors, embeds);
    }
    if let Some(rows) = body.get("components").and_then(Value::as_array) {
        errors.extend_under(&["components"], check_rows(rows, false));
    }
    if let Some(nonce) = body.get("nonce").and_then(Value::as_str) {
        max_chars(&mut errors, &["nonce"], nonce, NONCE_MAX);
    }
    errors
}

/// Checks the data of a modal response (callback type 9).
pub fn check_modal(data: &Value) -> FormErrors {
    let mut errors = FormErrors::default();
    match data.get("title").and_then(Value::as_str) {
        Some(title) => max_chars(&mut errors, &["title"], title, MODAL_TITLE_MAX),
        None => errors.add(&["title"], "BASE_TYPE_REQUIRED", "This field is required"),
    }
    match data.get("custom_id").and_then(Value::as_str) {
        Some(id) => max_chars(&mut errors, &["custom_id"], id, CUSTOM_ID_MAX),
        None => errors.add(
            &["custom_id"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ),
    }
    match data.get("components").and_then(Value::as_array) {
        Some(rows) => errors.extend_under(&["components"], check_rows(rows, true)),
        None => errors.add(
            &["components"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ),
    }
    errors
}

/// Whether a message body has nothing to show: no content, embeds, components or files.
pub fn is_empty_message(body: &Value, file_count: usize) -> bool {
    let has_content = body
        .get("content")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.trim().is_empty());
    let non_empty = |key: &str| {
        body.get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    !has_content
        && !non_empty("embeds")
        && !non_empty("components")
        && !non_empty("sticker_ids")
        && body.get("poll").is_none_or(Value::is_null)
        && file_count == 0
}

/// Application commands per bulk overwrite.
pub const COMMANDS_MAX: usize = 100;
/// Options (or subcommands) per command or subcommand.
pub const OPTIONS_MAX: usize = 25;
/// Choices per option.
pub const CHOICES_MAX: usize = 25;
/// Command and option names.
pub const COMMAND_NAME_MAX: usize = 32;
/// Command and option descriptions.
pub const COMMAND_DESCRIPTION_MAX: usize = 100;

/// Checks a bulk overwrite of application commands: counts, names and descriptions.
pub fn check_commands(commands: &[Value]) -> FormErrors {
    let mut errors = FormErrors::default();
    if commands.len() > COMMANDS_MAX {
        max_len_error(&mut errors, &[], COMMANDS_MAX);
    }
    let mut names: Vec<(&str, u64)> = Vec::new();
    for (i, command) in commands.iter().enumerate() {
        let index = i.to_string();
        let kind = command.get("type").and_then(Value::as_u64).unwrap_or(1);
        let name = command
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if names.contains(&(name, kind)) {
            errors.add(
                &[&index, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                &format!("Application command names must be unique: {name}"),
            );
        }
        names.push((name, kind));
        errors.extend_under(&[&index], check_named(command, kind == 1));
    }
    errors
}

/// Checks the name, description and options of a command or option (chat-input rules when
/// `chat_input`: lowercase names and a description).
fn check_named(item: &Value, chat_input: bool) -> FormErrors {
    let mut errors = FormErrors::default();
    let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
    let name_ok = (1..=COMMAND_NAME_MAX).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || !chat_input)
        && !(chat_input && name.chars().any(char::is_uppercase));
    if !name_ok {
        errors.add(
            &["name"],
            "APPLICATION_COMMAND_INVALID_NAME",
            &format!("Command name is invalid: {name:?}"),
        );
    }
    if chat_input {
        let description = item
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !(1..=COMMAND_DESCRIPTION_MAX).contains(&description.chars().count()) {
            errors.add(
                &["description"],
                "BASE_TYPE_BAD_LENGTH",
                &format!("Must be between 1 and {COMMAND_DESCRIPTION_MAX} in length."),
            );
        }
    }
    let options = item
        .get("options")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if options.len() > OPTIONS_MAX {
        max_len_error(&mut errors, &["options"], OPTIONS_MAX);
    }
    for (j, option) in options.iter().enumerate() {
        let j = j.to_string();
        errors.extend_under(&["options", &j], check_named(option, true));
        let choices = option
            .get("choices")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if choices > CHOICES_MAX {
            max_len_error(&mut errors, &["options", &j, "choices"], CHOICES_MAX);
        }
    }
    errors
}

fn check_embeds(errors: &mut FormErrors, embeds: &[Value]) {
    if embeds.len() > EMBEDS_MAX {
        max_len_error(errors, &["embeds"], EMBEDS_MAX);
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let index = i.to_string();
        let at = |field: &'static str| [String::from("embeds"), index.clone(), field.into()];
        let mut text = |errors: &mut FormErrors, value: Option<&Value>, path: &[&str], max| {
            if let Some(text) = value.and_then(Value::as_str) {
                total += text.chars().count();
                max_chars(errors, path, text, max);
            }
        };
        let title = at("title");
        text(errors, embed.get("title"), &refs(&title), EMBED_TITLE_MAX);
        let description = at("description");
        text(
            errors,
            embed.get("description"),
            &refs(&description),
            EMBED_DESCRIPTION_MAX,
        );
        let footer = [
            String::from("embeds"),
            index.clone(),
            "footer".into(),
            "text".into(),
        ];
        text(
            errors,
            embed.pointer("/footer/text"),
            &refs(&footer),
            EMBED_FOOTER_MAX,
        );
        let author = [
            String::from("embeds"),
            index.clone(),
            "author".into(),
            "name".into(),
        ];
        text(
            errors,
            embed.pointer("/author/name"),
            &refs(&author),
            EMBED_AUTHOR_MAX,
        );
        if let Some(fields) = embed.get("fields").and_then(Value::as_array) {
            if fields.len() > EMBED_FIELDS_MAX {
                max_len_error(errors, &refs(&at("fields")), EMBED_FIELDS_MAX);
            }
            for (j, field) in fields.iter().enumerate() {
                let j = j.to_string();
                let name = ["embeds", &index, "fields", &j, "name"];
                text(errors, field.get("name"), &name, EMBED_FIELD_NAME_MAX);
                let value = ["embeds", &index, "fields", &j, "value"];
                text(errors, field.get("value"), &value, EMBED_FIELD_VALUE_MAX);
            }
        }
    }
    if total > EMBEDS_TOTAL_MAX {
        errors.add(
            &["embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            &format!("Embed size exceeds maximum size of {EMBEDS_TOTAL_MAX}"),
        );
    }
}

fn check_rows(rows: &[Value], in_modal: bool) -> FormErrors {
    let mut errors = FormErrors::default();
    if rows.len() > ACTION_ROWS_MAX {
        errors.add(
            &[],
            "BASE_TYPE_BAD_LENGTH",
            &format!("Must be between 1 and {ACTION_ROWS_MAX} in length."),
        );
    }
    let mut seen_ids: Vec<&str> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let index = i.to_string();
        if row.get("type").and_then(Value::as_u64) != Some(ACTION_ROW) {
            errors.add(
                &[&index, "type"],
                "UNION_TYPE_CHOICES",
                "Value of field \"type\" must be one of (1,).",
            );
            continue;
        }
        let children = row
            .get("components")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let row_max = if in_modal { 1 } else { ROW_COMPONENTS_MAX };
        if children.is_empty() || children.len() > row_max {
            errors.add(
                &[&index, "components"],
                "BASE_TYPE_BAD_LENGTH",
                &format!("Must be between 1 and {row_max} in length."),
            );
        }
        let has_non_button = children
            .iter()
            .any(|c| c.get("type").and_then(Value::as_u64) != Some(BUTTON));
        if !in_modal && has_non_button && children.len() > 1 {
            errors.add(
                &[&index, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            );
        }
        for (j, component) in children.iter().enumerate() {
            let j = j.to_string();
            let path = [index.as_str(), "components", j.as_str()];
            check_component(&mut errors, &path, component, in_modal, &mut seen_ids);
        }
    }
    errors
}

fn check_component<'a>(
    errors: &mut FormErrors,
    path: &[&str],
    component: &'a Value,
    in_modal: bool,
    seen_ids: &mut Vec<&'a str>,
) {
    let kind = component.get("type").and_then(Value::as_u64).unwrap_or(0);
    let style = component.get("style").and_then(Value::as_u64).unwrap_or(0);
    let at = |field: &str| -> Vec<String> {
        path.iter()
            .map(|s| s.to_string())
            .chain([field.to_string()])
            .collect()
    };
    if in_modal != (kind == TEXT_INPUT) {
        errors.add(
            &refs(&at("type")),
            "COMPONENT_TYPE_INVALID",
            "The specified component type is invalid in this context",
        );
    }
    let needs_custom_id = !(kind == BUTTON && (style == LINK_STYLE || style == PREMIUM_STYLE));
    match component.get("custom_id").and_then(Value::as_str) {
        Some(id) => {
            max_chars(errors, &refs(&at("custom_id")), id, CUSTOM_ID_MAX);
            if seen_ids.contains(&id) {
                errors.add(
                    &refs(&at("custom_id")),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                );
            }
            seen_ids.push(id);
        }
        None if needs_custom_id => errors.add(
            &refs(&at("custom_id")),
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ),
        None => {}
    }
    let label_max = if kind == TEXT_INPUT {
        TEXT_INPUT_LABEL_MAX
    } else {
        BUTTON_LABEL_MAX
    };
    if let Some(label) = component.get("label").and_then(Value::as_str) {
        max_chars(errors, &refs(&at("label")), label, label_max);
    }
}

fn max_chars(errors: &mut FormErrors, path: &[&str], text: &str, max: usize) {
    if text.chars().count() > max {
        max_len_error(errors, path, max);
    }
}

fn max_len_error(errors: &mut FormErrors, path: &[&str], max: usize) {
    errors.add(
        path,
        "BASE_TYPE_MAX_LENGTH",
        &format!("Must be {max} or fewer in length."),
    );
}

fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn button(id: &str) -> Value {
        json!({"type": 2, "style": 1, "label": "Go", "custom_id": id})
    }

    #[test]
    fn content_of_2000_characters_passes_and_2001_does_not() {
        assert!(check_message(&json!({"content": "é".repeat(2000)})).is_empty());
        let errors = check_message(&json!({"content": "x".repeat(2001)}));
        assert_eq!(
            errors.summary(),
            "content: Must be 2000 or fewer in length."
        );
    }

    #[test]
    fn embed_limits_are_checked_per_field_and_in_total() {
        let eleven: Vec<Value> = (0..11).map(|_| json!({"title": "t"})).collect();
        assert!(
            check_message(&json!({"embeds": eleven}))
                .summary()
                .contains("embeds: Must be 10")
        );

        let long_title = json!({"embeds": [{"title": "x".repeat(257)}]});
        assert!(
            check_message(&long_title)
                .summary()
                .contains("embeds.0.title")
        );

        let fields: Vec<Value> = (0..26)
            .map(|_| json!({"name": "n", "value": "v"}))
            .collect();
        let many_fields = json!({"embeds": [{"fields": fields}]});
        assert!(
            check_message(&many_fields)
                .summary()
                .contains("embeds.0.fields")
        );

        let long_value =
            json!({"embeds": [{"fields": [{"name": "n", "value": "v".repeat(1025)}]}]});
        assert!(
            check_message(&long_value)
                .summary()
                .contains("embeds.0.fields.0.value")
        );

        let footer = json!({"embeds": [{"footer": {"text": "f".repeat(2049)}}]});
        assert!(
            check_message(&footer)
                .summary()
                .contains("embeds.0.footer.text")
        );

        let author = json!({"embeds": [{"author": {"name": "a".repeat(257)}}]});
        assert!(
            check_message(&author)
                .summary()
                .contains("embeds.0.author.name")
        );

        let big: Vec<Value> = (0..2)
            .map(|_| json!({"description": "d".repeat(3001)}))
            .collect();
        assert!(
            check_message(&json!({"embeds": big}))
                .summary()
                .contains("6000")
        );
        let fits: Vec<Value> = (0..2)
            .map(|_| json!({"description": "d".repeat(3000)}))
            .collect();
        assert!(check_message(&json!({"embeds": fits})).is_empty());
    }

    #[test]
    fn component_limits_are_checked() {
        let row = |n: usize| json!({"type": 1, "components": (0..n).map(|i| button(&format!("b{}-{}", n, i))).collect::<Vec<_>>()});
        let six_rows: Vec<Value> = (0..6)
            .map(|r| json!({"type": 1, "components": [button(&format!("r{r}"))]}))
            .collect();
        assert!(!check_message(&json!({"components": six_rows})).is_empty());
        assert!(!check_message(&json!({"components": [row(6)]})).is_empty());
        assert!(check_message(&json!({"components": [row(5)]})).is_empty());

        let long_id =
            json!({"components": [{"type": 1, "components": [button(&"i".repeat(101))]}]});
        assert!(
            check_message(&long_id)
                .summary()
                .contains("components.0.components.0.custom_id")
        );
        let long_label = json!({"components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "l".repeat(81), "custom_id": "x"}]}]});
        assert!(check_message(&long_label).summary().contains("label"));
        let duplicate =
            json!({"components": [{"type": 1, "components": [button("a"), button("a")]}]});
        assert!(
            check_message(&duplicate)
                .summary()
                .contains("cannot be duplicated")
        );
        let link = json!({"components": [{"type": 1, "components": [
            {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"}]}]});
        assert!(check_message(&link).is_empty());
    }

    #[test]
    fn modals_need_a_title_and_text_inputs() {
        let good = json!({"custom_id": "m", "title": "Why?", "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "reason", "label": "Reason", "style": 2}]}]});
        assert!(check_modal(&good).is_empty());
        let with_button = json!({"custom_id": "m", "title": "Why?", "components": [
            {"type": 1, "components": [button("b")]}]});
        assert!(!check_modal(&with_button).is_empty());
        assert!(!check_modal(&json!({"custom_id": "m"})).is_empty());
    }

    #[test]
    fn commands_need_lowercase_names_and_descriptions() {
        let good = json!([{"name": "mykey", "description": "Your key", "options": [
            {"name": "link", "description": "Link", "type": 1}]}]);
        assert!(check_commands(good.as_array().unwrap()).is_empty());
        let upper = json!([{"name": "MyKey", "description": "Your key"}]);
        assert!(!check_commands(upper.as_array().unwrap()).is_empty());
        let no_description = json!([{"name": "mykey", "description": ""}]);
        assert!(!check_commands(no_description.as_array().unwrap()).is_empty());
        let twice = json!([{"name": "a", "description": "d"}, {"name": "a", "description": "d"}]);
        assert!(!check_commands(twice.as_array().unwrap()).is_empty());
        let user_menu = json!([{"name": "Show Key", "type": 2}]);
        assert!(check_commands(user_menu.as_array().unwrap()).is_empty());
    }

    #[test]
    fn a_message_needs_something_to_show() {
        assert!(is_empty_message(&json!({"content": ""}), 0));
        assert!(!is_empty_message(&json!({"content": ""}), 1));
        assert!(!is_empty_message(&json!({"embeds": [{"title": "t"}]}), 0));
    }
}
