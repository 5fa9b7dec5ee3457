//! The fake's state behind one lock: the guild, stored messages and DM channels, interactions
//! and their answers, the gateway session, and the records tests read. Every change bumps a
//! watch counter, which is what the waiting helpers wait on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::guild::{FakeGuild, FakeMember};
use super::objects;
use super::record::{
    Attachment, InteractionId, LOADING, Message, Modal, RecordedRequest, ResponseStep, Violation,
};

/// Checks a JSON body sent to `method path` (the path without `/api/v10`); an `Err` is answered
/// with 400 50035 and recorded as a violation.
pub type RequestValidator = Arc<dyn Fn(&str, &str, &Value) -> Result<(), String> + Send + Sync>;

/// How long Discord keeps a nonce for `enforce_nonce`.
pub const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The shared state and its change counter.
pub(crate) struct Shared {
    state: Mutex<State>,
    changes: watch::Sender<u64>,
}

impl Shared {
    pub fn new(state: State) -> Self {
        Shared {
            state: Mutex::new(state),
            changes: watch::Sender::new(0),
        }
    }

    /// Changes the state and wakes every waiter.
    pub fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let result = change(&mut self.lock());
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        result
    }

    /// Reads the state.
    pub fn read<R>(&self, look: impl FnOnce(&State) -> R) -> R {
        look(&self.lock())
    }

    /// A receiver that sees every later change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; the fake carries on with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Settings a test may change while the fake runs.
pub(crate) struct Settings {
    pub interaction_deadline: Duration,
    pub heartbeat_interval: Duration,
    pub members_intent_enabled: bool,
    pub wait_deadline: Duration,
    pub validator: Option<RequestValidator>,
}

/// A message to the connected gateway client.
#[derive(Debug)]
pub(crate) enum Outbound {
    Text(String),
    Close(u16, String),
}

/// The gateway session: what was dispatched on it, for RESUME.
pub(crate) struct Session {
    pub id: String,
    pub seq: u64,
    pub history: Vec<(u64, String)>,
    pub connection: Option<mpsc::UnboundedSender<Outbound>>,
}

/// Gateway bookkeeping.
#[derive(Default)]
pub(crate) struct Gateway {
    pub session: Option<Session>,
    /// Dispatches waiting for a live session.
    pub pending: Vec<(String, Value)>,
    pub identifies: Vec<Value>,
    pub ready_count: u64,
    pub resumed_count: u64,
    pub heartbeats: u64,
    pub close_codes: Vec<u16>,
}

/// One dispatched interaction and how it was answered.
pub(crate) struct InteractionState {
    /// 2 application command, 3 message component, 5 modal submit.
    pub kind: u8,
    pub user_id: u64,
    pub channel_id: u64,
    /// The message a component was on.
    pub source_message: Option<u64>,
    pub dispatched_at: Option<Instant>,
    /// When the initial callback arrived.
    pub answered_at: Option<Instant>,
    pub initial: Option<u8>,
    /// The message `@original` refers to.
    pub original: Option<u64>,
    /// Edits to `@original` after the initial callback.
    pub original_edits: u32,
    pub modal: Option<Modal>,
    pub followups: Vec<u64>,
    pub steps: Vec<ResponseStep>,
}

/// Everything the fake knows.
pub(crate) struct State {
    pub guild: FakeGuild,
    /// Members by user id (ordered, for paging).
    pub members: BTreeMap<u64, FakeMember>,
    pub settings: Settings,
    pub closed_dms: HashSet<u64>,
    next_id: u64,
    pub requests: Vec<RecordedRequest>,
    pub violations: Vec<Violation>,
    pub messages: HashMap<u64, Message>,
    /// Visible (non-ephemeral) messages per channel, in order.
    pub channel_log: HashMap<u64, Vec<u64>>,
    /// DM channel per user.
    pub dm_channels: HashMap<u64, u64>,
    pub nonces: HashMap<(u64, String), (u64, Instant)>,
    pub interactions: HashMap<InteractionId, InteractionState>,
    pub tokens: HashMap<String, InteractionId>,
    pub guild_commands: Option<Vec<Value>>,
    pub global_commands: Option<Vec<Value>>,
    pub gateway: Gateway,
}

impl State {
    pub fn new(guild: FakeGuild) -> Self {
        let members = guild
            .members
            .iter()
            .map(|m| (m.user_id, m.clone()))
            .collect();
        State {
            guild,
            members,
            settings: Settings {
                interaction_deadline: Duration::from_secs(3),
                heartbeat_interval: Duration::from_millis(41_250),
                members_intent_enabled: true,
                wait_deadline: Duration::from_secs(10),
                validator: None,
            },
            closed_dms: HashSet::new(),
            next_id: 1_300_000_000_000_000_000,
            requests: Vec::new(),
            violations: Vec::new(),
            messages: HashMap::new(),
            channel_log: HashMap::new(),
            dm_channels: HashMap::new(),
            nonces: HashMap::new(),
            interactions: HashMap::new(),
            tokens: HashMap::new(),
            guild_commands: None,
            global_commands: None,
            gateway: Gateway::default(),
        }
    }

    /// A fresh snowflake-sized id.
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The guild as it stands, members included.
    pub fn current_guild(&self) -> FakeGuild {
        FakeGuild {
            members: self.members.values().cloned().collect(),
            ..self.guild.clone()
        }
    }

    /// The user object of any user the fake knows: a member, or the bot.
    pub fn user_json(&self, user_id: u64) -> Option<Value> {
        if user_id == self.guild.bot.user_id {
            return Some(objects::bot_user(&self.guild.bot));
        }
        self.members.get(&user_id).map(objects::user)
    }

    /// The user a DM channel belongs to.
    pub fn dm_recipient(&self, channel_id: u64) -> Option<u64> {
        self.dm_channels
            .iter()
            .find(|(_, c)| **c == channel_id)
            .map(|(u, _)| *u)
    }

    /// Whether the bot can post in this channel (a guild text channel or an opened DM).
    pub fn channel_exists(&self, channel_id: u64) -> bool {
        self.guild.channels.iter().any(|c| c.id == channel_id)
            || self.dm_recipient(channel_id).is_some()
    }

    /// A message's JSON as Discord returns it.
    pub fn message_json(&self, message: &Message) -> Value {
        let author = self.user_json(message.author_id).unwrap_or(Value::Null);
        objects::message(message, &author, self.guild.bot.application_id)
    }

    /// Stores a new message from the bot and returns it.
    pub fn create_message(
        &mut self,
        channel_id: u64,
        body: &Value,
        files: Vec<Attachment>,
        interaction: Option<InteractionId>,
    ) -> Message {
        let mut message = Message {
            id: self.new_id(),
            channel_id,
            author_id: self.guild.bot.user_id,
            content: String::new(),
            embeds: Vec::new(),
            components: Vec::new(),
            attachments: Vec::new(),
            flags: body.get("flags").and_then(Value::as_u64).unwrap_or(0),
            nonce: body.get("nonce").and_then(nonce_text),
            interaction,
            created_at: Utc::now(),
            edited_at: None,
            edit_count: 0,
        };
        apply_fields(&mut message, body);
        message.attachments = self.attach(body, files, Vec::new());
        if !message.ephemeral() {
            self.channel_log
                .entry(channel_id)
                .or_default()
                .push(message.id);
        }
        self.messages.insert(message.id, message.clone());
        message
    }

    /// Applies an edit to a stored message and returns the result.
    pub fn edit_message(
        &mut self,
        message_id: u64,
        body: &Value,
        files: Vec<Attachment>,
    ) -> Option<Message> {
        let existing = self.messages.get(&message_id)?.attachments.clone();
        let attachments = self.attach(body, files, existing);
        let message = self.messages.get_mut(&message_id)?;
        apply_fields(message, body);
        message.attachments = attachments;
        message.flags &= !LOADING;
        message.edit_count += 1;
        message.edited_at = Some(Utc::now());
        Some(message.clone())
    }

    /// Removes a stored message.
    pub fn delete_message(&mut self, message_id: u64) {
        if let Some(message) = self.messages.remove(&message_id)
            && let Some(log) = self.channel_log.get_mut(&message.channel_id)
        {
            log.retain(|id| *id != message_id);
        }
    }

    /// The attachments after a create or edit: with an `attachments` list in the body, only the
    /// existing ones it names are kept; new files get ids and their descriptions.
    fn attach(
        &mut self,
        body: &Value,
        files: Vec<Attachment>,
        existing: Vec<Attachment>,
    ) -> Vec<Attachment> {
        let listed = body.get("attachments").and_then(Value::as_array);
        let mut kept: Vec<Attachment> = match listed {
            Some(list) => existing
                .into_iter()
                .filter(|a| list.iter().any(|l| id_of(l.get("id")) == Some(a.id)))
                .collect(),
            None => existing,
        };
        for mut file in files {
            let described = listed.and_then(|list| {
                list.iter()
                    .find(|l| id_of(l.get("id")) == Some(file.id))
                    .and_then(|l| l.get("description"))
                    .and_then(Value::as_str)
            });
            file.description = described.map(str::to_string);
            file.id = self.new_id();
            kept.push(file);
        }
        kept
    }

    /// Records a violation.
    pub fn violation(
        &mut self,
        method: &str,
        path: &str,
        status: u16,
        code: u32,
        message: &str,
        detail: &str,
    ) {
        self.violations.push(Violation {
            method: method.to_string(),
            path: path.to_string(),
            status,
            code,
            message: message.to_string(),
            detail: detail.to_string(),
        });
    }

    /// Sends a dispatch on the live session, or keeps it for the next one.
    pub fn dispatch(&mut self, event: &str, data: Value) {
        let live = self
            .gateway
            .session
            .as_ref()
            .and_then(|s| s.connection.as_ref())
            .is_some_and(|c| !c.is_closed());
        if !live {
            self.gateway.pending.push((event.to_string(), data));
            return;
        }
        if event == "INTERACTION_CREATE"
            && let Some(id) = id_of(data.get("id"))
            && let Some(interaction) = self.interactions.get_mut(&InteractionId(id))
        {
            interaction.dispatched_at = Some(Instant::now());
        }
        if let Some(session) = self.gateway.session.as_mut() {
            session.seq += 1;
            let payload = json!({"op": 0, "t": event, "s": session.seq, "d": data}).to_string();
            session.history.push((session.seq, payload.clone()));
            if let Some(connection) = &session.connection {
                let _ = connection.send(Outbound::Text(payload));
            }
        }
    }

    /// Sends what was dispatched while no session was live.
    pub fn flush_pending(&mut self) {
        for (event, data) in std::mem::take(&mut self.gateway.pending) {
            self.dispatch(&event, data);
        }
    }
}

/// A nonce as text (Discord takes strings or integers).
pub fn nonce_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An id given as a string or a number.
pub fn id_of(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Applies the message fields present in a body; `null` clears a field.
fn apply_fields(message: &mut Message, body: &Value) {
    if let Some(content) = body.get("content") {
        message.content = content.as_str().unwrap_or_default().to_string();
    }
    if let Some(embeds) = body.get("embeds") {
        message.embeds = embeds.as_array().cloned().unwrap_or_default();
    }
    if let Some(components) = body.get("components") {
        message.components = components.as_array().cloned().unwrap_or_default();
    }
}
