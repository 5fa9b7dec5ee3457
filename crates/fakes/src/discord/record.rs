//! What the fake records and hands to tests: requests, violations, messages with their
//! attachments, and each interaction's responses, in the words of what a user would see.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The id of an interaction the fake dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InteractionId(pub u64);

/// A file the bot uploaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    /// The attachment id the fake gave it.
    pub id: u64,
    /// The file name.
    pub filename: String,
    /// The part's content type.
    pub content_type: Option<String>,
    /// The description (alt text) from `payload_json.attachments`.
    pub description: Option<String>,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A message as it stands now, edits applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Message id.
    pub id: u64,
    /// The channel (a guild channel or a DM channel).
    pub channel_id: u64,
    /// The author's user id (the bot for everything the bot sent).
    pub author_id: u64,
    /// Text content.
    pub content: String,
    /// Embeds as sent.
    pub embeds: Vec<Value>,
    /// Components (action rows) as sent.
    pub components: Vec<Value>,
    /// Uploaded files.
    pub attachments: Vec<Attachment>,
    /// Message flags (64: ephemeral).
    pub flags: u64,
    /// The nonce it was posted with.
    pub nonce: Option<String>,
    /// The interaction it answers, for interaction responses and follow-ups.
    pub interaction: Option<InteractionId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// How many edits it has had.
    pub edit_count: u32,
}

/// The ephemeral message flag.
pub const EPHEMERAL: u64 = 1 << 6;
/// The flag of a deferred response's "thinking..." placeholder.
pub const LOADING: u64 = 1 << 7;

impl Message {
    /// Whether only the interacting user sees it.
    pub fn ephemeral(&self) -> bool {
        self.flags & EPHEMERAL != 0
    }

    /// The buttons of all action rows, in order.
    pub fn buttons(&self) -> Vec<Button> {
        components_of(&self.components)
            .filter(|c| c.get("type").and_then(Value::as_u64) == Some(2))
            .map(|c| Button {
                custom_id: str_field(c, "custom_id"),
                label: str_field(c, "label"),
                style: c.get("style").and_then(Value::as_u64).unwrap_or(0),
                disabled: c.get("disabled").and_then(Value::as_bool).unwrap_or(false),
                url: str_field(c, "url"),
            })
            .collect()
    }

    /// The button with this label, if any.
    pub fn button(&self, label: &str) -> Option<Button> {
        self.buttons()
            .into_iter()
            .find(|b| b.label.as_deref() == Some(label))
    }

    /// The `custom_id`s of every component, in order.
    pub fn custom_ids(&self) -> Vec<String> {
        components_of(&self.components)
            .filter_map(|c| str_field(c, "custom_id"))
            .collect()
    }

    /// All text of the embeds (titles, descriptions, field names and values, footers, authors),
    /// one piece per line, for assertions that do not care where the text sits.
    pub fn embed_text(&self) -> String {
        let pointers = ["/author/name", "/title", "/description", "/footer/text"];
        let mut lines = Vec::new();
        for embed in &self.embeds {
            for pointer in pointers {
                if let Some(text) = embed.pointer(pointer).and_then(Value::as_str) {
                    lines.push(text.to_string());
                }
            }
            for field in embed
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for key in ["name", "value"] {
                    if let Some(text) = field.get(key).and_then(Value::as_str) {
                        lines.push(text.to_string());
                    }
                }
            }
        }
        lines.join("\n")
    }

    /// The content and the embed text together.
    pub fn text(&self) -> String {
        let embeds = self.embed_text();
        match (self.content.is_empty(), embeds.is_empty()) {
            (_, true) => self.content.clone(),
            (true, false) => embeds,
            (false, false) => format!("{}\n{embeds}", self.content),
        }
    }
}

/// A button of a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    /// `custom_id` (absent on link buttons).
    pub custom_id: Option<String>,
    /// Label.
    pub label: Option<String>,
    /// Style (1 primary, 2 secondary, 3 success, 4 danger, 5 link).
    pub style: u64,
    /// Whether it is greyed out.
    pub disabled: bool,
    /// The URL of a link button.
    pub url: Option<String>,
}

/// A modal the bot showed.
#[derive(Clone, Debug, PartialEq)]
pub struct Modal {
    /// The modal's `custom_id`.
    pub custom_id: String,
    /// Its title.
    pub title: String,
    /// Its action rows as sent.
    pub components: Vec<Value>,
}

impl Modal {
    /// The `custom_id`s of the text inputs, in order.
    pub fn input_ids(&self) -> Vec<String> {
        components_of(&self.components)
            .filter_map(|c| str_field(c, "custom_id"))
            .collect()
    }
}

/// What the user saw in answer to an interaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The interaction.
    pub interaction: InteractionId,
    /// The type of the initial callback: 4 message, 5 deferred message, 6 deferred update,
    /// 7 update message, 9 modal.
    pub callback_type: u8,
    /// The visible message: the reply, the edited original after a defer, or the updated
    /// message of a component; `None` for a modal.
    pub message: Option<Message>,
    /// The modal shown, for callback type 9.
    pub modal: Option<Modal>,
}

impl Reply {
    /// The message's content (empty for a modal).
    pub fn content(&self) -> &str {
        self.message.as_ref().map_or("", |m| m.content.as_str())
    }

    /// The message's embeds.
    pub fn embeds(&self) -> &[Value] {
        self.message.as_ref().map_or(&[], |m| m.embeds.as_slice())
    }

    /// The message's components.
    pub fn components(&self) -> &[Value] {
        self.message
            .as_ref()
            .map_or(&[], |m| m.components.as_slice())
    }

    /// Whether the message is ephemeral.
    pub fn ephemeral(&self) -> bool {
        self.message.as_ref().is_some_and(Message::ephemeral)
    }

    /// Content and embed text together.
    pub fn text(&self) -> String {
        self.message
            .as_ref()
            .map_or_else(String::new, Message::text)
    }
}

/// A body the bot sent.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestBody {
    /// No body.
    Empty,
    /// A JSON body.
    Json(Value),
    /// A multipart/form-data body.
    Multipart {
        /// The parsed `payload_json` part.
        payload_json: Option<Value>,
        /// The files.
        files: Vec<Attachment>,
    },
    /// A body the fake could not read, with the reason.
    Unreadable(String),
}

impl RequestBody {
    /// The JSON of the body: the body itself or the multipart `payload_json`.
    pub fn json(&self) -> Option<&Value> {
        match self {
            RequestBody::Json(value) => Some(value),
            RequestBody::Multipart { payload_json, .. } => payload_json.as_ref(),
            RequestBody::Empty | RequestBody::Unreadable(_) => None,
        }
    }
}

/// A REST request that reached the fake.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without `/api/v10`, e.g. `/channels/1/messages`.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The body.
    pub body: RequestBody,
    /// When it arrived.
    pub at: Instant,
}

/// Something Discord would have refused, answered with Discord's error.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The request method, or `GATEWAY` for gateway refusals.
    pub method: String,
    /// The request path (without `/api/v10`), or the gateway opcode's name.
    pub path: String,
    /// HTTP status, or the gateway close code.
    pub status: u16,
    /// Discord's JSON error code (0 when it has none).
    pub code: u32,
    /// Discord's message.
    pub message: String,
    /// Which field or rule, in words.
    pub detail: String,
}

/// One step of the answer to an interaction, in the order they arrived.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseStep {
    /// `POST /interactions/{id}/{token}/callback`.
    Callback {
        /// Callback type.
        kind: u8,
        /// Its `data`.
        data: Value,
    },
    /// `PATCH /webhooks/{app}/{token}/messages/@original`.
    EditOriginal(Value),
    /// `DELETE /webhooks/{app}/{token}/messages/@original`.
    DeleteOriginal,
    /// `POST /webhooks/{app}/{token}`.
    Followup {
        /// The follow-up message's id.
        message_id: u64,
        /// Its body.
        body: Value,
    },
    /// `PATCH /webhooks/{app}/{token}/messages/{id}`.
    EditFollowup {
        /// The edited message's id.
        message_id: u64,
        /// The edit's body.
        body: Value,
    },
}

fn components_of(rows: &[Value]) -> impl Iterator<Item = &Value> {
    rows.iter().flat_map(|row| {
        row.get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    })
}

fn str_field(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}
