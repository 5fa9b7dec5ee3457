//! A fake of Discord's REST API v10 and gateway on 127.0.0.1, for tests and the demo. A real
//! serenity client works against it unchanged when built with
//! `HttpBuilder::new(token).proxy(fake.api_url()).ratelimiter_disabled(true)`.
//!
//! The test sets up a guild ([`FakeGuild`]), starts the fake, starts the bot, and then acts as
//! Discord's users: [`FakeDiscord::interact`] sends a slash command, a button click or a modal
//! submit; [`FakeDiscord::reply_to`] waits for what the user saw. Everything Discord would
//! refuse is answered with Discord's error and kept as a [`Violation`].
//!
//! ```no_run
//! use fakes::discord::{FakeDiscord, FakeGuild, FakeMember, SlashCommand};
//!
//! # async fn example() -> std::io::Result<()> {
//! const ALICE: u64 = 4;
//! let guild = FakeGuild::new(1, "team", 2, "bot-token")
//!     .channel(3, "approvals")
//!     .member(FakeMember::new(ALICE, "alice"));
//! let fake = FakeDiscord::start(guild).await?;
//! // ... start the bot with `fake.api_url()` as its API base URL and `fake.token()` ...
//! fake.wait_until_ready().await;
//! let mykey = fake.interact(SlashCommand::new(ALICE, "mykey"));
//! let reply = fake.reply_to(mykey).await;
//! assert!(reply.ephemeral());
//! assert_eq!(fake.violations(), vec![]);
//! # Ok(())
//! # }
//! ```

mod errors;
mod gateway;
mod guild;
mod interactions;
pub mod limits;
mod messages;
mod multipart;
mod objects;
mod record;
mod rest;
mod state;
mod wait;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use errors::{DiscordError, FormErrors};
pub use gateway::{GUILD_MEMBERS, GUILDS};
pub use guild::{
    ADMINISTRATOR, ALL_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, FakeBot, FakeChannel, FakeGuild,
    FakeMember, FakeRole, MANAGE_GUILD,
};
pub use interactions::{ComponentClick, FakeInteraction, ModalSubmit, OptionValue, SlashCommand};
pub use limits::FILE_MAX_BYTES;
pub use record::{
    Attachment, Button, EPHEMERAL, InteractionId, Message, Modal, RecordedRequest, Reply,
    RequestBody, ResponseStep, Violation,
};
pub use state::RequestValidator;
pub use wait::GaveUp;

use state::{InteractionState, Outbound, Shared, State};

/// A running fake Discord. Dropping it stops its servers.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    api_url: String,
    gateway_url: String,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl FakeDiscord {
    /// Starts the REST and gateway listeners on free ports of 127.0.0.1.
    pub async fn start(guild: FakeGuild) -> std::io::Result<FakeDiscord> {
        let rest = TcpListener::bind("127.0.0.1:0").await?;
        let gateway = TcpListener::bind("127.0.0.1:0").await?;
        let api_url = format!("http://{}", rest.local_addr()?);
        let gateway_url = format!("ws://{}", gateway.local_addr()?);
        let shared = Arc::new(Shared::new(State::new(guild)));
        let tasks = vec![
            tokio::spawn(rest::serve(rest, shared.clone(), gateway_url.clone())),
            tokio::spawn(gateway::serve(gateway, shared.clone(), gateway_url.clone())),
        ];
        Ok(FakeDiscord {
            shared,
            api_url,
            gateway_url,
            tasks,
        })
    }

    /// The base URL to give serenity's `HttpBuilder::proxy` (or `discord.api_base_url`).
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The gateway URL that `GET /gateway` hands out.
    pub fn gateway_url(&self) -> &str {
        &self.gateway_url
    }

    /// The bot token the fake accepts.
    pub fn token(&self) -> String {
        self.shared.read(|s| s.guild.bot.token.clone())
    }

    /// The guild as it stands now, members included.
    pub fn guild(&self) -> FakeGuild {
        self.shared.read(State::current_guild)
    }

    // ----- settings -----

    /// How long the bot has for the initial response to an interaction (Discord: 3 s).
    pub fn set_interaction_deadline(&self, deadline: Duration) {
        self.shared
            .update(|s| s.settings.interaction_deadline = deadline);
    }

    /// The heartbeat interval announced in later HELLOs (Discord: about 41 s).
    pub fn set_heartbeat_interval(&self, interval: Duration) {
        self.shared
            .update(|s| s.settings.heartbeat_interval = interval);
    }

    /// Whether the Server Members privileged intent is enabled in the Developer Portal. When it
    /// is not, an IDENTIFY asking for it is closed with 4014 and listing members gets 403.
    pub fn set_members_intent_enabled(&self, enabled: bool) {
        self.shared
            .update(|s| s.settings.members_intent_enabled = enabled);
    }

    /// How long the waiting helpers wait before they give up (default 10 s).
    pub fn set_wait_deadline(&self, deadline: Duration) {
        self.shared.update(|s| s.settings.wait_deadline = deadline);
    }

    /// Checks every JSON body (and multipart `payload_json`) from now on; `None` stops checking.
    pub fn set_request_validator(&self, validator: impl Into<Option<RequestValidator>>) {
        let validator = validator.into();
        self.shared.update(|s| s.settings.validator = validator);
    }

    /// The user closed their DMs: opening a DM channel still works, posting in it gets 403 50007.
    pub fn close_dms(&self, user_id: u64) {
        self.shared.update(|s| s.closed_dms.insert(user_id));
    }

    /// The user opened their DMs again.
    pub fn open_dms(&self, user_id: u64) {
        self.shared.update(|s| s.closed_dms.remove(&user_id));
    }

    // ----- members -----

    /// Adds a member without telling the bot (as if it happened while the bot was offline).
    pub fn add_member(&self, member: FakeMember) {
        self.shared
            .update(|s| s.members.insert(member.user_id, member));
    }

    /// Removes a member without telling the bot. Returns whether they were a member.
    pub fn remove_member(&self, user_id: u64) -> bool {
        self.shared.update(|s| s.members.remove(&user_id).is_some())
    }

    /// Changes a member without telling the bot. Returns whether they are a member.
    pub fn update_member(&self, user_id: u64, change: impl FnOnce(&mut FakeMember)) -> bool {
        self.shared.update(|s| match s.members.get_mut(&user_id) {
            Some(member) => {
                change(member);
                true
            }
            None => false,
        })
    }

    /// A member joins: added, and `GUILD_MEMBER_ADD` is dispatched.
    pub fn member_joins(&self, member: FakeMember) {
        self.shared.update(|s| {
            let mut data = objects::member(&member, true);
            data["guild_id"] = json!(s.guild.id.to_string());
            s.members.insert(member.user_id, member);
            s.dispatch("GUILD_MEMBER_ADD", data);
        });
    }

    /// A member leaves (or is kicked): removed, and `GUILD_MEMBER_REMOVE` is dispatched.
    /// Returns whether they were a member.
    pub fn member_leaves(&self, user_id: u64) -> bool {
        self.shared.update(|s| {
            let Some(member) = s.members.remove(&user_id) else {
                return false;
            };
            let data = json!({"guild_id": s.guild.id.to_string(), "user": objects::user(&member)});
            s.dispatch("GUILD_MEMBER_REMOVE", data);
            true
        })
    }

    /// A member changes (e.g. roles): updated, and `GUILD_MEMBER_UPDATE` is dispatched.
    /// Returns whether they are a member.
    pub fn member_changes(&self, user_id: u64, change: impl FnOnce(&mut FakeMember)) -> bool {
        self.shared.update(|s| {
            let Some(member) = s.members.get_mut(&user_id) else {
                return false;
            };
            change(member);
            let mut data = objects::member(member, true);
            data["guild_id"] = json!(s.guild.id.to_string());
            s.dispatch("GUILD_MEMBER_UPDATE", data);
            true
        })
    }

    // ----- gateway -----

    /// Sends a dispatch (op 0) with the next sequence number. Without a live session it is
    /// kept and sent right after the next READY or RESUMED.
    pub fn dispatch(&self, event: &str, data: Value) {
        self.shared.update(|s| s.dispatch(event, data));
    }

    /// Closes the bot's gateway connection with `code` (e.g. 4000, after which clients resume).
    pub fn close_gateway_connection(&self, code: u16) {
        self.shared.update(|s| {
            if let Some(connection) = s
                .gateway
                .session
                .as_ref()
                .and_then(|session| session.connection.as_ref())
            {
                let _ = connection.send(Outbound::Close(code, "closed by the test".into()));
            }
        });
    }

    /// The close codes the gateway has sent, in order.
    pub fn gateway_close_codes(&self) -> Vec<u16> {
        self.shared.read(|s| s.gateway.close_codes.clone())
    }

    /// The IDENTIFY payloads received (tokens redacted).
    pub fn identify_payloads(&self) -> Vec<Value> {
        self.shared.read(|s| s.gateway.identifies.clone())
    }

    /// How many sessions the gateway has started: each IDENTIFY it accepted and answered with
    /// READY.
    pub fn ready_count(&self) -> u64 {
        self.shared.read(|s| s.gateway.ready_count)
    }

    /// How many heartbeats the gateway has acknowledged.
    pub fn heartbeats(&self) -> u64 {
        self.shared.read(|s| s.gateway.heartbeats)
    }

    /// How many sessions were resumed.
    pub fn resumed_sessions(&self) -> u64 {
        self.shared.read(|s| s.gateway.resumed_count)
    }

    // ----- interactions -----

    /// Sends an interaction to the bot as `INTERACTION_CREATE` and returns its id.
    ///
    /// # Panics
    /// If Discord could not have sent it: the user is not a member, an option names an unknown
    /// user or role, or the guild has no channel to run a command in. That is a mistake in the
    /// test, not something the bot did.
    pub fn interact(&self, interaction: impl Into<FakeInteraction>) -> InteractionId {
        let interaction = interaction.into();
        let result = self.shared.update(|s| {
            let id = s.new_id();
            let token = format!("fake-interaction-token-{id}-{:016x}", fastrand::u64(..));
            let rendered = interaction.render(s, id, &token)?;
            let interaction_id = InteractionId(id);
            s.tokens.insert(token, interaction_id);
            s.interactions.insert(
                interaction_id,
                InteractionState {
                    kind: rendered.kind,
                    user_id: rendered.user_id,
                    channel_id: rendered.channel_id,
                    source_message: rendered.source_message,
                    dispatched_at: None,
                    answered_at: None,
                    initial: None,
                    original: None,
                    original_edits: 0,
                    modal: None,
                    followups: Vec::new(),
                    steps: Vec::new(),
                },
            );
            s.dispatch("INTERACTION_CREATE", rendered.payload);
            Ok::<_, String>(interaction_id)
        });
        match result {
            Ok(id) => id,
            Err(why) => panic!("the fake cannot send this interaction: {why}"),
        }
    }

    /// Submits the modal the bot showed in answer to `shown`, as the same user, with `values`
    /// for its text inputs.
    ///
    /// # Panics
    /// If no modal was shown in answer to `shown` within the wait deadline.
    pub async fn answer_modal(
        &self,
        shown: InteractionId,
        values: &[(&str, &str)],
    ) -> InteractionId {
        let reply = self.reply_to(shown).await;
        let Some(modal) = reply.modal else {
            panic!(
                "interaction {shown:?} was answered with callback type {}, not a modal",
                reply.callback_type
            );
        };
        let (user_id, channel_id, source) = self.shared.read(|s| {
            let i = s.interactions.get(&shown);
            (
                i.map_or(0, |i| i.user_id),
                i.map_or(0, |i| i.channel_id),
                i.and_then(|i| i.source_message)
                    .and_then(|m| s.messages.get(&m).cloned()),
            )
        });
        let mut submit = ModalSubmit::new(user_id, modal.custom_id).in_channel(channel_id);
        if let Some(message) = &source {
            submit = submit.on_message(message);
        }
        for (input, text) in values {
            submit = submit.value(*input, *text);
        }
        self.interact(submit)
    }

    /// The token of an interaction, for tests that answer it themselves through REST.
    pub fn interaction_token(&self, id: InteractionId) -> Option<String> {
        self.shared.read(|s| {
            s.tokens
                .iter()
                .find(|(_, known)| **known == id)
                .map(|(token, _)| token.clone())
        })
    }

    /// How long the bot took to answer an interaction: from the moment the fake sent it on the
    /// gateway to the arrival of its initial callback (before the fake checks it). `None` until
    /// a callback arrived.
    pub fn answer_time(&self, id: InteractionId) -> Option<std::time::Duration> {
        self.shared.read(|s| {
            let interaction = s.interactions.get(&id)?;
            Some(interaction.answered_at? - interaction.dispatched_at?)
        })
    }

    /// The responses to an interaction so far, in order.
    pub fn responses_to(&self, id: InteractionId) -> Vec<ResponseStep> {
        self.shared.read(|s| {
            s.interactions
                .get(&id)
                .map(|i| i.steps.clone())
                .unwrap_or_default()
        })
    }

    /// The follow-up messages of an interaction, as they stand now.
    pub fn followups_to(&self, id: InteractionId) -> Vec<Message> {
        self.shared.read(|s| {
            s.interactions
                .get(&id)
                .map(|i| {
                    i.followups
                        .iter()
                        .filter_map(|m| s.messages.get(m).cloned())
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    // ----- what reached the fake -----

    /// The visible messages of a channel (ephemeral ones excluded), oldest first.
    pub fn messages_in(&self, channel_id: u64) -> Vec<Message> {
        self.shared.read(|s| wait::channel_messages(s, channel_id))
    }

    /// The DMs the bot sent to a user, oldest first.
    pub fn dms_to(&self, user_id: u64) -> Vec<Message> {
        self.shared.read(|s| wait::dms(s, user_id))
    }

    /// A stored message by id (ephemeral ones included).
    pub fn message(&self, message_id: u64) -> Option<Message> {
        self.shared.read(|s| s.messages.get(&message_id).cloned())
    }

    /// Every REST request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.read(|s| s.requests.clone())
    }

    /// Everything the fake refused so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.read(|s| s.violations.clone())
    }

    /// The routes the fake does not know, as `METHOD /path`.
    pub fn unknown_routes(&self) -> Vec<String> {
        self.violations()
            .into_iter()
            .filter(|v| v.status == 404 && v.code == 0)
            .map(|v| format!("{} {}", v.method, v.path))
            .collect()
    }

    /// The guild commands as last registered, if the bot registered any.
    pub fn guild_commands(&self) -> Option<Vec<Value>> {
        self.shared.read(|s| s.guild_commands.clone())
    }

    /// The global commands as last registered, if the bot registered any.
    pub fn global_commands(&self) -> Option<Vec<Value>> {
        self.shared.read(|s| s.global_commands.clone())
    }
}
