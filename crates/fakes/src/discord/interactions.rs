//! Interactions as a user would cause them (a slash command, a click on a button of a message,
//! a submitted modal), rendered into the `INTERACTION_CREATE` payloads Discord sends.

use serde_json::{Map, Value, json};

use super::guild::FakeMember;
use super::objects;
use super::record::Message;
use super::state::{State, id_of};

const APPLICATION_COMMAND: u8 = 2;
const MESSAGE_COMPONENT: u8 = 3;
const MODAL_SUBMIT: u8 = 5;

/// A value of a slash-command option.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    /// Type 3.
    String(String),
    /// Type 4.
    Integer(i64),
    /// Type 5.
    Boolean(bool),
    /// Type 6, with the user's resolved data.
    User(u64),
    /// Type 7, a text channel of the guild.
    Channel(u64),
    /// Type 8, with the role's resolved data.
    Role(u64),
    /// Type 10.
    Number(f64),
}

/// A slash command run by a member: `/team link user:@bob name:bob`.
#[derive(Clone, Debug, PartialEq)]
pub struct SlashCommand {
    user_id: u64,
    name: String,
    group: Option<String>,
    subcommand: Option<String>,
    options: Vec<(String, OptionValue)>,
    channel_id: Option<u64>,
}

impl SlashCommand {
    /// `/name` run by `user_id` in the guild's first text channel.
    pub fn new(user_id: u64, name: impl Into<String>) -> Self {
        SlashCommand {
            user_id,
            name: name.into(),
            group: None,
            subcommand: None,
            options: Vec::new(),
            channel_id: None,
        }
    }

    /// Picks a subcommand group (`/team admin ...`).
    pub fn group(mut self, name: impl Into<String>) -> Self {
        self.group = Some(name.into());
        self
    }

    /// Picks a subcommand (`/team link`); later options belong to it.
    pub fn subcommand(mut self, name: impl Into<String>) -> Self {
        self.subcommand = Some(name.into());
        self
    }

    /// Adds an option.
    pub fn option(mut self, name: impl Into<String>, value: OptionValue) -> Self {
        self.options.push((name.into(), value));
        self
    }

    /// Adds a string option.
    pub fn string(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.option(name, OptionValue::String(value.into()))
    }

    /// Adds an integer option.
    pub fn integer(self, name: impl Into<String>, value: i64) -> Self {
        self.option(name, OptionValue::Integer(value))
    }

    /// Adds a number option.
    pub fn number(self, name: impl Into<String>, value: f64) -> Self {
        self.option(name, OptionValue::Number(value))
    }

    /// Adds a boolean option.
    pub fn boolean(self, name: impl Into<String>, value: bool) -> Self {
        self.option(name, OptionValue::Boolean(value))
    }

    /// Adds a user option (the user must be a member, for the resolved data).
    pub fn user(self, name: impl Into<String>, user_id: u64) -> Self {
        self.option(name, OptionValue::User(user_id))
    }

    /// Adds a role option.
    pub fn role(self, name: impl Into<String>, role_id: u64) -> Self {
        self.option(name, OptionValue::Role(role_id))
    }

    /// Runs the command in this channel instead of the first one.
    pub fn in_channel(mut self, channel_id: u64) -> Self {
        self.channel_id = Some(channel_id);
        self
    }
}

/// A click on a button, or a choice in a select menu, of a message the bot sent.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentClick {
    user_id: u64,
    custom_id: String,
    message: Message,
    values: Option<Vec<String>>,
}

impl ComponentClick {
    /// `user_id` presses the button with `custom_id` on `message`.
    pub fn button(user_id: u64, message: &Message, custom_id: impl Into<String>) -> Self {
        ComponentClick {
            user_id,
            custom_id: custom_id.into(),
            message: message.clone(),
            values: None,
        }
    }

    /// `user_id` picks `values` in the string select menu `custom_id` on `message`.
    pub fn select(
        user_id: u64,
        message: &Message,
        custom_id: impl Into<String>,
        values: &[&str],
    ) -> Self {
        ComponentClick {
            values: Some(values.iter().map(|v| v.to_string()).collect()),
            ..Self::button(user_id, message, custom_id)
        }
    }
}

/// A submitted modal.
#[derive(Clone, Debug, PartialEq)]
pub struct ModalSubmit {
    user_id: u64,
    custom_id: String,
    values: Vec<(String, String)>,
    channel_id: Option<u64>,
    message: Option<Message>,
}

impl ModalSubmit {
    /// `user_id` submits the modal `custom_id`.
    pub fn new(user_id: u64, custom_id: impl Into<String>) -> Self {
        ModalSubmit {
            user_id,
            custom_id: custom_id.into(),
            values: Vec::new(),
            channel_id: None,
            message: None,
        }
    }

    /// Fills a text input.
    pub fn value(mut self, input_id: impl Into<String>, text: impl Into<String>) -> Self {
        self.values.push((input_id.into(), text.into()));
        self
    }

    /// The modal was opened from a component of this message (so updates edit it).
    pub fn on_message(mut self, message: &Message) -> Self {
        self.channel_id = Some(message.channel_id);
        self.message = Some(message.clone());
        self
    }

    /// The modal was opened in this channel.
    pub fn in_channel(mut self, channel_id: u64) -> Self {
        self.channel_id = Some(channel_id);
        self
    }
}

/// Any interaction a test can cause.
#[derive(Clone, Debug, PartialEq)]
pub enum FakeInteraction {
    /// A slash command.
    Command(SlashCommand),
    /// A component click.
    Component(ComponentClick),
    /// A modal submit.
    Modal(ModalSubmit),
}

impl From<SlashCommand> for FakeInteraction {
    fn from(c: SlashCommand) -> Self {
        FakeInteraction::Command(c)
    }
}

impl From<ComponentClick> for FakeInteraction {
    fn from(c: ComponentClick) -> Self {
        FakeInteraction::Component(c)
    }
}

impl From<ModalSubmit> for FakeInteraction {
    fn from(m: ModalSubmit) -> Self {
        FakeInteraction::Modal(m)
    }
}

/// A rendered interaction: the payload and what the fake keeps about it.
pub(crate) struct Rendered {
    pub payload: Value,
    pub user_id: u64,
    pub kind: u8,
    pub channel_id: u64,
    pub source_message: Option<u64>,
}

impl FakeInteraction {
    fn user_id(&self) -> u64 {
        match self {
            FakeInteraction::Command(c) => c.user_id,
            FakeInteraction::Component(c) => c.user_id,
            FakeInteraction::Modal(m) => m.user_id,
        }
    }

    /// Renders the payload; the error says why Discord could not have sent it.
    pub(crate) fn render(&self, state: &State, id: u64, token: &str) -> Result<Rendered, String> {
        let user_id = self.user_id();
        let member = state
            .members
            .get(&user_id)
            .ok_or_else(|| format!("user {user_id} is not a member of the fake guild"))?;
        let first_channel = state.guild.channels.first().map(|c| c.id);
        let (kind, data, channel_id, message) = match self {
            FakeInteraction::Command(command) => {
                let channel = command
                    .channel_id
                    .or(first_channel)
                    .ok_or("the fake guild has no text channel")?;
                let data = command_data(state, command)?;
                (APPLICATION_COMMAND, data, channel, None)
            }
            FakeInteraction::Component(click) => {
                let mut data = json!({"custom_id": click.custom_id, "component_type": 2});
                if let Some(values) = &click.values {
                    data["component_type"] = json!(3);
                    data["values"] = json!(values);
                }
                let message = state
                    .messages
                    .get(&click.message.id)
                    .unwrap_or(&click.message);
                (MESSAGE_COMPONENT, data, message.channel_id, Some(message))
            }
            FakeInteraction::Modal(submit) => {
                let rows: Vec<Value> = submit
                    .values
                    .iter()
                    .map(|(input, text)| {
                        json!({"type": 1, "components": [
                            {"type": 4, "custom_id": input, "value": text}]})
                    })
                    .collect();
                let data = json!({"custom_id": submit.custom_id, "components": rows});
                let message = submit
                    .message
                    .as_ref()
                    .map(|m| state.messages.get(&m.id).unwrap_or(m));
                let channel = submit
                    .channel_id
                    .or(first_channel)
                    .ok_or("the fake guild has no text channel")?;
                (MODAL_SUBMIT, data, channel, message)
            }
        };
        let mut payload = json!({
            "id": id.to_string(),
            "application_id": state.guild.bot.application_id.to_string(),
            "type": kind,
            "data": data,
            "channel_id": channel_id.to_string(),
            "token": token,
            "version": 1,
            "app_permissions": state.guild.permissions_of(&objects::bot_member(&state.guild.bot)).to_string(),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": super::limits::FILE_MAX_BYTES,
        });
        let in_dm = state.dm_recipient(channel_id).is_some();
        if let Some(obj) = payload.as_object_mut() {
            if in_dm {
                obj.insert("user".into(), objects::user(member));
                obj.insert(
                    "channel".into(),
                    json!({"id": channel_id.to_string(), "type": 1}),
                );
                obj.insert("context".into(), json!(1));
                obj.insert(
                    "authorizing_integration_owners".into(),
                    json!({"1": user_id.to_string()}),
                );
            } else {
                let guild_id = state.guild.id.to_string();
                obj.insert("guild_id".into(), json!(guild_id));
                obj.insert("guild_locale".into(), json!("en-US"));
                obj.insert(
                    "member".into(),
                    objects::interaction_member(&state.guild, member),
                );
                obj.insert("channel".into(), channel_json(state, channel_id));
                obj.insert("context".into(), json!(0));
                obj.insert(
                    "authorizing_integration_owners".into(),
                    json!({"0": guild_id}),
                );
            }
            if let Some(message) = message {
                obj.insert("message".into(), state.message_json(message));
            }
        }
        Ok(Rendered {
            payload,
            user_id,
            kind,
            channel_id,
            source_message: message.map(|m| m.id),
        })
    }
}

fn channel_json(state: &State, channel_id: u64) -> Value {
    let position = state.guild.channels.iter().position(|c| c.id == channel_id);
    match position {
        Some(i) => objects::text_channel(state.guild.id, &state.guild.channels[i], i),
        None => json!({"id": channel_id.to_string(), "type": 0}),
    }
}

fn command_data(state: &State, command: &SlashCommand) -> Result<Value, String> {
    let mut resolved = Resolved::default();
    let mut leaf = Vec::new();
    for (name, value) in &command.options {
        leaf.push(option_json(state, name, value, &mut resolved)?);
    }
    let options = match (&command.group, &command.subcommand) {
        (Some(group), Some(sub)) => vec![json!({"name": group, "type": 2, "options": [
            {"name": sub, "type": 1, "options": leaf}]})],
        (None, Some(sub)) => vec![json!({"name": sub, "type": 1, "options": leaf})],
        (Some(group), None) => {
            return Err(format!(
                "/{} {group}: a group needs a subcommand",
                command.name
            ));
        }
        (None, None) => leaf,
    };
    let command_id = registered_command_id(state, &command.name).unwrap_or(1);
    let mut data = json!({
        "id": command_id.to_string(),
        "name": command.name,
        "type": 1,
        "options": options,
        "guild_id": state.guild.id.to_string(),
    });
    if !resolved.is_empty() {
        data["resolved"] = resolved.into_json();
    }
    Ok(data)
}

fn registered_command_id(state: &State, name: &str) -> Option<u64> {
    state
        .guild_commands
        .iter()
        .chain(state.global_commands.iter())
        .flatten()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|c| id_of(c.get("id")))
}

#[derive(Default)]
struct Resolved {
    users: Map<String, Value>,
    members: Map<String, Value>,
    roles: Map<String, Value>,
    channels: Map<String, Value>,
}

impl Resolved {
    fn is_empty(&self) -> bool {
        self.users.is_empty() && self.roles.is_empty() && self.channels.is_empty()
    }

    fn into_json(self) -> Value {
        let mut out = Map::new();
        for (key, map) in [
            ("users", self.users),
            ("members", self.members),
            ("roles", self.roles),
            ("channels", self.channels),
        ] {
            if !map.is_empty() {
                out.insert(key.into(), Value::Object(map));
            }
        }
        Value::Object(out)
    }
}

fn option_json(
    state: &State,
    name: &str,
    value: &OptionValue,
    resolved: &mut Resolved,
) -> Result<Value, String> {
    let (kind, value) = match value {
        OptionValue::String(s) => (3, json!(s)),
        OptionValue::Integer(i) => (4, json!(i)),
        OptionValue::Boolean(b) => (5, json!(b)),
        OptionValue::Number(n) => (10, json!(n)),
        OptionValue::User(id) => {
            let member: &FakeMember = state
                .members
                .get(id)
                .ok_or_else(|| format!("option {name}: user {id} is not a member"))?;
            resolved.users.insert(id.to_string(), objects::user(member));
            let mut partial = objects::member(member, false);
            partial["permissions"] = json!(state.guild.permissions_of(member).to_string());
            resolved.members.insert(id.to_string(), partial);
            (6, json!(id.to_string()))
        }
        OptionValue::Channel(id) => {
            resolved.channels.insert(
                id.to_string(),
                json!({"id": id.to_string(), "type": 0, "permissions": "0",
                    "name": state.guild.channels.iter().find(|c| c.id == *id).map(|c| c.name.clone())}),
            );
            (7, json!(id.to_string()))
        }
        OptionValue::Role(id) => {
            let (i, role) = state
                .guild
                .roles
                .iter()
                .enumerate()
                .find(|(_, r)| r.id == *id)
                .ok_or_else(|| format!("option {name}: role {id} is not in the guild"))?;
            resolved
                .roles
                .insert(id.to_string(), objects::role(role, i));
            (8, json!(id.to_string()))
        }
    };
    Ok(json!({"name": name, "type": kind, "value": value}))
}

#[cfg(test)]
mod tests {
    use serenity::model::application::Interaction as SerenityInteraction;

    use super::*;
    use crate::discord::guild::{ADMINISTRATOR, FakeGuild};
    use crate::discord::record::InteractionId;

    fn state() -> State {
        let guild = FakeGuild::new(100, "team", 200, "token")
            .channel(300, "general")
            .role(400, "admins", ADMINISTRATOR)
            .member(FakeMember::new(500, "alice").role(400))
            .member(FakeMember::new(501, "bob"));
        State::new(guild)
    }

    fn parse(rendered: &Rendered) -> SerenityInteraction {
        match serde_json::from_value(rendered.payload.clone()) {
            Ok(parsed) => parsed,
            Err(e) => panic!("serenity cannot read: {e}\n{:#}", rendered.payload),
        }
    }

    #[test]
    fn serenity_reads_a_slash_command_with_subcommand_and_resolved_user() {
        let state = state();
        let command = SlashCommand::new(500, "team")
            .subcommand("link")
            .user("user", 501)
            .string("name", "bob")
            .integer("days", 7)
            .number("usd", 2.5)
            .role("role", 400);
        let rendered = FakeInteraction::from(command)
            .render(&state, 1, "tok")
            .expect("renders");
        let SerenityInteraction::Command(parsed) = parse(&rendered) else {
            panic!("not a command");
        };
        assert_eq!(parsed.data.name, "team");
        let member = parsed.member.expect("a guild member");
        assert!(member.permissions.is_some_and(|p| p.administrator()));
        assert!(parsed.data.resolved.users.keys().any(|id| id.get() == 501));
        let options = parsed.data.options();
        assert_eq!(options.len(), 1);
    }

    #[test]
    fn serenity_reads_a_button_click_and_a_modal_submit() {
        let mut state = state();
        let body = serde_json::json!({"content": "card", "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Approve", "custom_id": "req:approve:1"}]}]});
        let message = state.create_message(300, &body, Vec::new(), None);
        let click = ComponentClick::button(500, &message, "req:approve:1");
        let rendered = FakeInteraction::from(click)
            .render(&state, 2, "tok")
            .expect("renders");
        assert_eq!(rendered.source_message, Some(message.id));
        let SerenityInteraction::Component(parsed) = parse(&rendered) else {
            panic!("not a component");
        };
        assert_eq!(parsed.data.custom_id, "req:approve:1");
        assert_eq!(parsed.message.id.get(), message.id);

        let submit = ModalSubmit::new(501, "request").value("reason", "for a demo");
        let rendered = FakeInteraction::from(submit)
            .render(&state, 3, "tok")
            .expect("renders");
        let SerenityInteraction::Modal(parsed) = parse(&rendered) else {
            panic!("not a modal submit");
        };
        assert_eq!(parsed.data.custom_id, "request");
        assert_eq!(parsed.data.components.len(), 1);
    }

    #[test]
    fn a_click_on_a_dm_comes_from_a_user_not_a_member() {
        let mut state = state();
        state.dm_channels.insert(501, 900);
        let body = serde_json::json!({"content": "Your key is approved", "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Reveal", "custom_id": "reveal:1"}]}]});
        let message = state.create_message(900, &body, Vec::new(), Some(InteractionId(1)));
        let click = ComponentClick::button(501, &message, "reveal:1");
        let rendered = FakeInteraction::from(click)
            .render(&state, 4, "tok")
            .expect("renders");
        let SerenityInteraction::Component(parsed) = parse(&rendered) else {
            panic!("not a component");
        };
        assert!(parsed.member.is_none());
        assert!(parsed.guild_id.is_none());
        assert_eq!(parsed.user.id.get(), 501);
    }

    #[test]
    fn strangers_cannot_interact() {
        let state = state();
        let result =
            FakeInteraction::from(SlashCommand::new(999, "mykey")).render(&state, 5, "tok");
        assert!(result.is_err());
    }
}
