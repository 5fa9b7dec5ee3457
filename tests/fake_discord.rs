//! The fake Discord must behave like Discord towards a real serenity client, or every bot test
//! built on it proves nothing. These tests run a small serenity bot written here (not the
//! product's bot) against the fake, and call the REST API through serenity's `Http` directly to
//! check what the fake refuses.

mod support;

use std::sync::Arc;
use std::time::Duration;

use fakes::discord::{
    ADMINISTRATOR, ComponentClick, FakeDiscord, FakeGuild, FakeMember, ModalSubmit, ResponseStep,
    SlashCommand,
};
use serde_json::{Value, json};
use serenity::all::{
    ActionRowComponent, ChannelId, ClientBuilder, CommandInteraction, ComponentInteraction,
    Context, CreateActionRow, CreateAttachment, CreateButton, CreateCommand, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateModal, EditInteractionResponse, EventHandler, GatewayIntents, GuildId,
    GuildMemberUpdateEvent, Http, HttpBuilder, InputTextStyle, Interaction, Member,
    ModalInteraction, Nonce, Ready, User, UserId,
};
use serenity::http::HttpError;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const GUILD: u64 = 1_000;
const BOT: u64 = 2_000;
const TOKEN: &str = "fake-bot-token";
const GENERAL: u64 = 3_000;
const ADMINS: u64 = 4_000;
const ALICE: u64 = 5_001;
const BOB: u64 = 5_002;

const COMMANDS: [&str; 7] = ["hello", "slow", "announce", "dm", "twice", "early", "ask"];

fn team_guild() -> FakeGuild {
    FakeGuild::new(GUILD, "team", BOT, TOKEN)
        .channel(GENERAL, "general")
        .role(ADMINS, "admins", ADMINISTRATOR)
        .member(
            FakeMember::new(ALICE, "alice")
                .global_name("Alice")
                .role(ADMINS),
        )
        .member(FakeMember::new(BOB, "bob"))
}

async fn start_fake(guild: FakeGuild) -> FakeDiscord {
    let fake = FakeDiscord::start(guild).await.expect("the fake starts");
    fake.set_request_validator(support::discord::spec_validator());
    fake
}

/// A REST client configured as the product configures serenity.
fn rest_client(fake: &FakeDiscord, token: &str) -> Http {
    HttpBuilder::new(token)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build()
}

/// Discord's JSON error code of a failed call, or the error's text.
fn error_code(error: &serenity::Error) -> String {
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            response.error.code.to_string()
        }
        other => other.to_string(),
    }
}

/// Discord's HTTP status and JSON error code of a call that must fail.
fn refusal<T: std::fmt::Debug>(result: serenity::Result<T>) -> (u16, isize) {
    match result {
        Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(response))) => {
            (response.status_code.as_u16(), response.error.code)
        }
        other => panic!("expected Discord to refuse, got {other:?}"),
    }
}

/// A small bot that answers a few commands in the ways the product will, and reports what
/// happened on a channel the test reads.
struct TestBot {
    events: mpsc::UnboundedSender<String>,
}

impl TestBot {
    fn report(&self, event: impl Into<String>) {
        let _ = self.events.send(event.into());
    }

    async fn command(&self, ctx: &Context, command: &CommandInteraction) -> serenity::Result<()> {
        let message = |content: &str| {
            CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new().content(content),
            )
        };
        match command.data.name.as_str() {
            "hello" => {
                let button = CreateButton::new("press").label("Press");
                let reply = CreateInteractionResponseMessage::new()
                    .content("Hello!")
                    .ephemeral(true)
                    .components(vec![CreateActionRow::Buttons(vec![button])]);
                command
                    .create_response(&ctx.http, CreateInteractionResponse::Message(reply))
                    .await
            }
            "slow" => {
                command.defer_ephemeral(&ctx.http).await?;
                let done = EditInteractionResponse::new().content("done");
                command.edit_response(&ctx.http, done).await.map(|_| ())
            }
            "announce" => {
                ChannelId::new(GENERAL)
                    .say(&ctx.http, "announcement")
                    .await?;
                command.create_response(&ctx.http, message("posted")).await
            }
            "dm" => {
                let dm = CreateMessage::new().content("psst");
                let answer = match command.user.direct_message(&ctx.http, dm).await {
                    Ok(_) => "sent".to_string(),
                    Err(e) => format!("could not DM: {}", error_code(&e)),
                };
                command.create_response(&ctx.http, message(&answer)).await
            }
            "twice" => {
                command.create_response(&ctx.http, message("first")).await?;
                let second = command.create_response(&ctx.http, message("second")).await;
                self.report(format!(
                    "twice:{}",
                    second.err().map_or("ok".into(), |e| error_code(&e))
                ));
                Ok(())
            }
            "early" => {
                let followup = CreateInteractionResponseFollowup::new().content("too early");
                let early = command.create_followup(&ctx.http, followup).await;
                self.report(format!(
                    "early:{}",
                    early.err().map_or("ok".into(), |e| error_code(&e))
                ));
                command.create_response(&ctx.http, message("ok")).await
            }
            "ask" => {
                let input = CreateInputText::new(InputTextStyle::Paragraph, "Reason", "reason");
                let modal = CreateModal::new("ask-modal", "Why?")
                    .components(vec![CreateActionRow::InputText(input)]);
                command
                    .create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                    .await
            }
            _ => Ok(()),
        }
    }

    async fn component(&self, ctx: &Context, click: &ComponentInteraction) -> serenity::Result<()> {
        let update = CreateInteractionResponseMessage::new()
            .content(format!("pressed by {}", click.user.name))
            .components(Vec::new());
        click
            .create_response(&ctx.http, CreateInteractionResponse::UpdateMessage(update))
            .await
    }

    async fn modal(&self, ctx: &Context, submit: &ModalInteraction) -> serenity::Result<()> {
        let reason = submit
            .data
            .components
            .iter()
            .flat_map(|row| &row.components)
            .find_map(|c| match c {
                ActionRowComponent::InputText(input) if input.custom_id == "reason" => {
                    input.value.clone()
                }
                _ => None,
            })
            .unwrap_or_default();
        if reason == "again" {
            let input = CreateInputText::new(InputTextStyle::Short, "More", "more");
            let modal = CreateModal::new("again", "Again?")
                .components(vec![CreateActionRow::InputText(input)]);
            let result = submit
                .create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await;
            self.report(format!(
                "modal-again:{}",
                result.err().map_or("ok".into(), |e| error_code(&e))
            ));
        }
        let thanks = CreateInteractionResponseMessage::new()
            .content(format!("thanks: {reason}"))
            .ephemeral(true);
        submit
            .create_response(&ctx.http, CreateInteractionResponse::Message(thanks))
            .await
    }
}

#[serenity::async_trait]
impl EventHandler for TestBot {
    async fn ready(&self, ctx: Context, _ready: Ready) {
        let commands = COMMANDS
            .iter()
            .map(|name| CreateCommand::new(*name).description("A test command"))
            .collect();
        match GuildId::new(GUILD).set_commands(&ctx.http, commands).await {
            Ok(_) => self.report("ready"),
            Err(e) => self.report(format!("ready:error:{e}")),
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let outcome = match &interaction {
            Interaction::Command(command) => self.command(&ctx, command).await,
            Interaction::Component(click) => self.component(&ctx, click).await,
            Interaction::Modal(submit) => self.modal(&ctx, submit).await,
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            self.report(format!("error:{}", error_code(&e)));
        }
    }

    async fn guild_member_removal(
        &self,
        _ctx: Context,
        _guild_id: GuildId,
        user: User,
        _member: Option<Member>,
    ) {
        self.report(format!("removed:{}", user.id));
    }

    async fn guild_member_update(
        &self,
        _ctx: Context,
        _old: Option<Member>,
        _new: Option<Member>,
        event: GuildMemberUpdateEvent,
    ) {
        self.report(format!(
            "updated:{}:roles={}",
            event.user.id,
            event.roles.len()
        ));
    }
}

/// The test bot, running.
struct RunningBot {
    events: mpsc::UnboundedReceiver<String>,
    outcome: JoinHandle<serenity::Result<()>>,
}

impl RunningBot {
    async fn start(fake: &FakeDiscord, token: &str) -> RunningBot {
        let (events, receiver) = mpsc::unbounded_channel();
        let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS;
        let mut client = ClientBuilder::new_with_http(rest_client(fake, token), intents)
            .event_handler(TestBot { events })
            .await
            .expect("the client builds");
        let outcome = tokio::spawn(async move { client.start().await });
        RunningBot {
            events: receiver,
            outcome,
        }
    }

    /// Starts the bot and waits until it has registered its commands.
    async fn ready(fake: &FakeDiscord) -> RunningBot {
        let mut bot = RunningBot::start(fake, TOKEN).await;
        assert_eq!(bot.event_starting("ready").await, "ready");
        fake.wait_until_ready().await;
        bot
    }

    /// The next event the bot reports that starts with `prefix` (others are skipped).
    async fn event_starting(&mut self, prefix: &str) -> String {
        let wait = async {
            while let Some(event) = self.events.recv().await {
                if event.starts_with(prefix) {
                    return event;
                }
            }
            panic!("the bot stopped before reporting {prefix}");
        };
        match tokio::time::timeout(Duration::from_secs(10), wait).await {
            Ok(event) => event,
            Err(_) => panic!("the bot did not report {prefix} in time"),
        }
    }

    /// What `Client::start` returned.
    async fn outcome(self) -> serenity::Result<()> {
        match tokio::time::timeout(Duration::from_secs(10), self.outcome).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join)) => panic!("the client task failed: {join}"),
            Err(_) => panic!("the client did not stop in time"),
        }
    }
}

#[tokio::test]
async fn serenity_connects_registers_its_commands_and_meets_no_refusal() {
    let fake = start_fake(team_guild()).await;
    let _bot = RunningBot::ready(&fake).await;

    let names: Vec<String> = fake
        .guild_commands()
        .expect("guild commands registered")
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names, COMMANDS);
    let identify = &fake.identify_payloads()[0];
    assert_eq!(identify["token"], "[redacted]");
    assert_eq!(identify["intents"], 3);
    let calls: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(calls[0], "GET /gateway");
    assert!(calls.contains(&format!("PUT /applications/{BOT}/guilds/{GUILD}/commands")));
    assert!(fake.unknown_routes().is_empty());
    assert_eq!(fake.violations(), Vec::new());
}

#[tokio::test]
async fn a_slash_command_gets_an_ephemeral_reply_whose_button_updates_it() {
    let fake = start_fake(team_guild()).await;
    let _bot = RunningBot::ready(&fake).await;

    let hello = fake.interact(SlashCommand::new(ALICE, "hello"));
    let reply = fake.reply_to(hello).await;
    assert_eq!(reply.callback_type, 4);
    assert_eq!(reply.content(), "Hello!");
    assert!(reply.ephemeral());
    let card = reply.message.expect("a message");
    assert_eq!(card.custom_ids(), ["press"]);
    assert_eq!(
        card.button("Press").and_then(|b| b.custom_id),
        Some("press".into())
    );

    let click = fake.interact(ComponentClick::button(BOB, &card, "press"));
    let updated = fake.reply_to(click).await;
    assert_eq!(updated.callback_type, 7);
    assert_eq!(updated.content(), "pressed by bob");
    assert!(updated.components().is_empty());
    assert_eq!(
        fake.message(card.id).map(|m| m.content),
        Some("pressed by bob".into())
    );
    assert_eq!(fake.violations(), Vec::new());
}

#[tokio::test]
async fn a_deferred_reply_is_read_once_it_is_edited() {
    let fake = start_fake(team_guild()).await;
    let _bot = RunningBot::ready(&fake).await;

    let slow = fake.interact(SlashCommand::new(ALICE, "slow"));
    let reply = fake.reply_to(slow).await;
    assert_eq!(reply.callback_type, 5);
    assert_eq!(reply.content(), "done");
    assert!(reply.ephemeral());
    let steps = fake.responses_to(slow);
    assert!(matches!(steps[0], ResponseStep::Callback { kind: 5, .. }));
    assert_eq!(
        steps[1],
        ResponseStep::EditOriginal(json!({"content": "done"}))
    );
    assert_eq!(fake.violations(), Vec::new());
}

#[tokio::test]
async fn a_modal_is_shown_submitted_and_answered() {
    let fake = start_fake(team_guild()).await;
    let mut bot = RunningBot::ready(&fake).await;

    let ask = fake.interact(SlashCommand::new(BOB, "ask"));
    let shown = fake.reply_to(ask).await;
    let modal = shown.modal.expect("a modal");
    assert_eq!(modal.title, "Why?");
    assert_eq!(modal.input_ids(), ["reason"]);

    let submit = fake.answer_modal(ask, &[("reason", "for the demo")]).await;
    assert_eq!(
        fake.reply_to(submit).await.content(),
        "thanks: for the demo"
    );

    // A modal cannot answer a modal.
    let again = fake.interact(ModalSubmit::new(BOB, "ask-modal").value("reason", "again"));
    assert_eq!(bot.event_starting("modal-again").await, "modal-again:50035");
    assert_eq!(fake.reply_to(again).await.content(), "thanks: again");
    let codes: Vec<u32> = fake.violations().iter().map(|v| v.code).collect();
    assert_eq!(codes, [50035]);
}

#[tokio::test]
async fn channel_posts_and_dms_reach_the_fake() {
    let fake = start_fake(team_guild()).await;
    let _bot = RunningBot::ready(&fake).await;

    let announce = fake.interact(SlashCommand::new(ALICE, "announce"));
    assert_eq!(fake.reply_to(announce).await.content(), "posted");
    let posted = fake
        .wait_for_message_in(GENERAL, |m| m.content == "announcement")
        .await;
    assert_eq!(posted.author_id, BOT);
    assert!(
        fake.messages_in(GENERAL)
            .iter()
            .any(|m| m.content == "posted")
    );

    let dm = fake.interact(SlashCommand::new(BOB, "dm"));
    assert_eq!(fake.reply_to(dm).await.content(), "sent");
    assert_eq!(
        fake.wait_for_dm(BOB, |m| m.content == "psst")
            .await
            .author_id,
        BOT
    );
    assert_eq!(fake.violations(), Vec::new());
}

#[tokio::test]
async fn closed_dms_are_refused_with_50007_after_the_channel_opens() {
    let fake = start_fake(team_guild()).await;
    let _bot = RunningBot::ready(&fake).await;
    fake.close_dms(BOB);

    let dm = fake.interact(SlashCommand::new(BOB, "dm"));
    assert_eq!(fake.reply_to(dm).await.content(), "could not DM: 50007");
    assert!(fake.dms_to(BOB).is_empty());
    let refused: Vec<(u16, u32)> = fake
        .violations()
        .iter()
        .map(|v| (v.status, v.code))
        .collect();
    assert_eq!(refused, [(403, 50007)]);
}

#[tokio::test]
async fn a_second_initial_response_is_refused_with_40060() {
    let fake = start_fake(team_guild()).await;
    let mut bot = RunningBot::ready(&fake).await;

    let twice = fake.interact(SlashCommand::new(ALICE, "twice"));
    assert_eq!(bot.event_starting("twice").await, "twice:40060");
    assert_eq!(fake.reply_to(twice).await.content(), "first");
    let codes: Vec<u32> = fake.violations().iter().map(|v| v.code).collect();
    assert_eq!(codes, [40060]);
}

#[tokio::test]
async fn an_initial_response_after_the_deadline_is_refused_with_10062() {
    let fake = start_fake(team_guild()).await;
    let mut bot = RunningBot::ready(&fake).await;
    // Any response is late with no time allowed, so the test needs no real wait.
    fake.set_interaction_deadline(Duration::ZERO);

    let hello = fake.interact(SlashCommand::new(ALICE, "hello"));
    assert_eq!(bot.event_starting("error").await, "error:10062");
    assert!(fake.responses_to(hello).is_empty());
    let late = &fake.violations()[0];
    assert_eq!((late.status, late.code), (404, 10062));
    assert!(late.detail.contains("deadline"), "{}", late.detail);
}

#[tokio::test]
async fn a_followup_before_the_initial_response_is_refused_with_10015() {
    let fake = start_fake(team_guild()).await;
    let mut bot = RunningBot::ready(&fake).await;

    let early = fake.interact(SlashCommand::new(ALICE, "early"));
    assert_eq!(bot.event_starting("early").await, "early:10015");
    assert_eq!(fake.reply_to(early).await.content(), "ok");
    let codes: Vec<u32> = fake.violations().iter().map(|v| v.code).collect();
    assert_eq!(codes, [10015]);
}

#[tokio::test]
async fn messages_over_discords_limits_are_refused_with_its_codes() {
    // Without the spec validator: these are the fake's own checks, which hold on a fresh clone
    // where the spec is absent.
    let fake = FakeDiscord::start(team_guild())
        .await
        .expect("the fake starts");
    let http = rest_client(&fake, TOKEN);
    let channel = ChannelId::new(GENERAL);
    let embed = |text: String| json!({"description": text});
    let row = |i: usize| {
        json!({"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Go", "custom_id": format!("row{i}")}]})
    };
    let too_much: Vec<(&str, Value)> = vec![
        ("content", json!({"content": "x".repeat(2001)})),
        (
            "embeds",
            json!({"embeds": (0..11).map(|_| embed("e".into())).collect::<Vec<_>>()}),
        ),
        (
            "embeds",
            json!({"embeds": [embed("d".repeat(3001)), embed("d".repeat(3000))]}),
        ),
        (
            "embeds.0.title",
            json!({"embeds": [{"title": "t".repeat(257)}]}),
        ),
        (
            "components",
            json!({"content": "rows", "components": (0..6).map(row).collect::<Vec<_>>()}),
        ),
    ];
    for (field, body) in &too_much {
        let (status, code) = refusal(http.send_message(channel, Vec::new(), body).await);
        assert_eq!((status, code), (400, 50035), "{field}");
    }
    let big = CreateAttachment::bytes(vec![0u8; 10 * 1024 * 1024 + 1], "big.bin");
    let upload = channel
        .send_message(&http, CreateMessage::new().content("file").add_file(big))
        .await;
    assert_eq!(refusal(upload), (413, 40005));

    let violations = fake.violations();
    assert_eq!(violations.len(), too_much.len() + 1);
    for ((field, _), violation) in too_much.iter().zip(&violations) {
        assert!(
            violation.detail.starts_with(field),
            "{field}: {}",
            violation.detail
        );
    }
    assert!(violations[2].detail.contains("6000"));
    assert!(fake.messages_in(GENERAL).is_empty());
}

#[tokio::test]
async fn files_are_stored_with_their_names_and_bytes() {
    let fake = start_fake(team_guild()).await;
    let http = rest_client(&fake, TOKEN);
    let chart = CreateAttachment::bytes(b"\x89PNG chart".to_vec(), "chart.png");
    let sent = ChannelId::new(GENERAL)
        .send_message(
            &http,
            CreateMessage::new().content("weekly").add_file(chart),
        )
        .await
        .expect("the upload is accepted");
    assert_eq!(sent.attachments[0].filename, "chart.png");

    let stored = fake
        .wait_for_message_in(GENERAL, |m| m.content == "weekly")
        .await;
    assert_eq!(stored.attachments[0].filename, "chart.png");
    assert_eq!(stored.attachments[0].bytes, b"\x89PNG chart");
    assert_eq!(
        stored.attachments[0].content_type.as_deref(),
        Some("image/png")
    );
    assert_eq!(fake.violations(), Vec::new());
}

#[tokio::test]
async fn a_repeated_nonce_returns_the_first_message() {
    let fake = start_fake(team_guild()).await;
    let http = rest_client(&fake, TOKEN);
    let post = || {
        CreateMessage::new()
            .content("digest for week 12")
            .nonce(Nonce::String("digest-2025-12".into()))
            .enforce_nonce(true)
    };
    let first = ChannelId::new(GENERAL)
        .send_message(&http, post())
        .await
        .expect("posted");
    let second = ChannelId::new(GENERAL)
        .send_message(&http, post())
        .await
        .expect("posted");
    assert_eq!(first.id, second.id);
    assert_eq!(fake.messages_in(GENERAL).len(), 1);
}

#[tokio::test]
async fn the_member_list_pages_by_user_id() {
    let mut guild = team_guild();
    for i in 0..2_500 {
        guild = guild.member(FakeMember::new(10_000 + i, format!("member{i}")));
    }
    let fake = start_fake(guild).await;
    let http = rest_client(&fake, TOKEN);

    let mut pages = Vec::new();
    let mut after: Option<UserId> = None;
    loop {
        let page = GuildId::new(GUILD)
            .members(&http, Some(1000), after)
            .await
            .expect("a page");
        if page.is_empty() {
            break;
        }
        after = page.last().map(|m| m.user.id);
        pages.push(page);
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    // 2,500 members, Alice and Bob, and the bot, which is a member too.
    assert_eq!(sizes, [1000, 1000, 503]);
    let ids: Vec<u64> = pages.iter().flatten().map(|m| m.user.id.get()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered, no repeats");
    assert_eq!(ids[0], BOT);
    assert_eq!(fake.violations(), Vec::new());
}

#[tokio::test]
async fn member_events_reach_the_handler() {
    let fake = start_fake(team_guild()).await;
    let mut bot = RunningBot::ready(&fake).await;

    assert!(fake.member_changes(BOB, |bob| bob.role_ids.push(ADMINS)));
    assert_eq!(
        bot.event_starting("updated").await,
        format!("updated:{BOB}:roles=1")
    );
    assert!(fake.member_leaves(BOB));
    assert_eq!(
        bot.event_starting("removed").await,
        format!("removed:{BOB}")
    );
    assert!(fake.guild().members.iter().all(|m| m.user_id != BOB));
}

#[tokio::test]
async fn a_dropped_connection_is_resumed_without_losing_events() {
    let fake = start_fake(team_guild()).await;
    let mut bot = RunningBot::ready(&fake).await;

    fake.close_gateway_connection(4000);
    // Sent while the bot is away: delivered when the session is resumed.
    fake.member_leaves(BOB);
    fake.wait_for_resumes(1).await;
    assert_eq!(
        bot.event_starting("removed").await,
        format!("removed:{BOB}")
    );
    assert_eq!(fake.identify_payloads().len(), 1);
}

#[tokio::test]
async fn heartbeats_are_acknowledged() {
    let fake = start_fake(team_guild()).await;
    fake.set_heartbeat_interval(Duration::from_millis(100));
    let _bot = RunningBot::ready(&fake).await;
    fake.wait_for_heartbeats(2).await;
}

#[tokio::test]
async fn a_wrong_token_is_closed_with_4004_and_serenity_says_so() {
    let fake = start_fake(team_guild()).await;
    let bot = RunningBot::start(&fake, "not-the-token").await;

    assert_eq!(fake.wait_for_gateway_close().await, 4004);
    let outcome = bot.outcome().await;
    assert!(
        matches!(
            outcome,
            Err(serenity::Error::Gateway(
                serenity::gateway::GatewayError::InvalidAuthentication
            ))
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_privileged_intent_not_enabled_is_closed_with_4014_and_serenity_says_so() {
    let fake = start_fake(team_guild()).await;
    fake.set_members_intent_enabled(false);
    let bot = RunningBot::start(&fake, TOKEN).await;

    assert_eq!(fake.wait_for_gateway_close().await, 4014);
    let outcome = bot.outcome().await;
    assert!(
        matches!(
            outcome,
            Err(serenity::Error::Gateway(
                serenity::gateway::GatewayError::DisallowedGatewayIntents
            ))
        ),
        "{outcome:?}"
    );
    let http = rest_client(&fake, TOKEN);
    let listing = GuildId::new(GUILD).members(&http, Some(10), None).await;
    assert_eq!(refusal(listing), (403, 50001));
}

#[tokio::test]
async fn unknown_routes_are_answered_404_and_recorded() {
    let fake = start_fake(team_guild()).await;
    let http = rest_client(&fake, TOKEN);
    let result = http.get_scheduled_events(GuildId::new(GUILD), false).await;
    assert_eq!(refusal(result), (404, 0));
    assert_eq!(
        fake.unknown_routes(),
        [format!("GET /guilds/{GUILD}/scheduled-events")]
    );
}

#[tokio::test]
async fn bodies_that_break_the_official_spec_are_refused() {
    let fake = start_fake(team_guild()).await;
    if support::discord::spec_validator().is_none() {
        eprintln!("skipped: no discord-openapi.json to check against");
        return;
    }
    let http = rest_client(&fake, TOKEN);
    let result = http
        .send_message(ChannelId::new(GENERAL), Vec::new(), &json!({"content": 5}))
        .await;
    assert_eq!(refusal(result), (400, 50035));
    let violation = &fake.violations()[0];
    assert!(violation.detail.contains("content"), "{}", violation.detail);
}

#[tokio::test]
async fn interactions_sent_while_the_bot_is_away_wait_for_it() {
    let fake = start_fake(team_guild()).await;
    let hello = fake.interact(SlashCommand::new(ALICE, "hello"));
    let _bot = RunningBot::ready(&fake).await;
    assert_eq!(fake.reply_to(hello).await.content(), "Hello!");
}

#[tokio::test]
async fn a_test_can_wait_in_one_task_while_another_acts() {
    let fake = Arc::new(start_fake(team_guild()).await);
    let reader = fake.clone();
    let waiting = tokio::spawn(async move {
        reader
            .wait_for_message_in(GENERAL, |m| m.content == "hi")
            .await
    });
    let http = rest_client(&fake, TOKEN);
    ChannelId::new(GENERAL)
        .say(&http, "hi")
        .await
        .expect("posted");
    assert_eq!(waiting.await.expect("joined").content, "hi");
}

type PoiseContext<'a> = poise::Context<'a, (), serenity::Error>;

/// Answers with an ephemeral "pong".
#[poise::command(slash_command)]
async fn ping(ctx: PoiseContext<'_>) -> Result<(), serenity::Error> {
    ctx.send(
        poise::CreateReply::default()
            .content("pong")
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_poise_bot_starts_and_answers_against_the_fake() {
    let fake = start_fake(team_guild()).await;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ping()],
            ..Default::default()
        })
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_in_guild(
                    ctx,
                    &framework.options().commands,
                    GuildId::new(GUILD),
                )
                .await
            })
        })
        .build();
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS;
    let mut client = ClientBuilder::new_with_http(rest_client(&fake, TOKEN), intents)
        .framework(framework)
        .await
        .expect("the client builds");
    let _running = tokio::spawn(async move { client.start().await });
    fake.wait_until_ready().await;

    let ping = fake.interact(SlashCommand::new(ALICE, "ping"));
    let reply = fake.reply_to(ping).await;
    assert_eq!(reply.content(), "pong");
    assert!(reply.ephemeral());
    let calls: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    eprintln!("{calls:#?}");
    assert!(calls.contains(&"GET /oauth2/applications/@me".to_string()));
    assert_eq!(fake.violations(), Vec::new());
}

#[tokio::test]
async fn interaction_answers_follow_discords_rules() {
    let fake = start_fake(team_guild()).await;
    let http = rest_client(&fake, TOKEN);
    http.set_application_id(serenity::all::ApplicationId::new(BOT));
    // No bot is connected: the interactions stay undelivered, so no deadline runs.
    let command = fake.interact(SlashCommand::new(ALICE, "hello"));
    let token = fake.interaction_token(command).expect("a token");
    let id = serenity::all::InteractionId::new(command.0);
    let edit = json!({"content": "edited"});

    let unknown = http.edit_original_interaction_response("no-such-token", &edit, Vec::new());
    assert_eq!(refusal(unknown.await), (404, 10015));
    let too_soon = http.edit_original_interaction_response(&token, &edit, Vec::new());
    assert_eq!(refusal(too_soon.await), (404, 10015));
    let update = json!({"type": 7, "data": {"content": "not a component"}});
    let wrong_type = http.create_interaction_response(id, &token, &update, Vec::new());
    assert_eq!(refusal(wrong_type.await), (400, 50035));

    let defer = json!({"type": 5, "data": {"flags": 64}});
    http.create_interaction_response(id, &token, &defer, Vec::new())
        .await
        .expect("the defer is accepted");
    let modal = json!({"type": 9, "data": {"custom_id": "m", "title": "Too late", "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "r", "label": "R", "style": 1}]}]}});
    let modal_after_defer = http.create_interaction_response(id, &token, &modal, Vec::new());
    assert_eq!(refusal(modal_after_defer.await), (400, 40060));

    // The first follow-up after a defer fills the "thinking..." placeholder.
    let followup = json!({"content": "here it is", "flags": 64});
    http.create_followup_message(&token, &followup, Vec::new())
        .await
        .expect("the follow-up is accepted");
    let reply = fake.reply_to(command).await;
    assert_eq!(reply.content(), "here it is");
    assert!(reply.ephemeral());
    let again = json!({"content": "and more"});
    let second = http
        .create_followup_message(&token, &again, Vec::new())
        .await;
    assert_eq!(second.expect("a second follow-up").content, "and more");
    assert_eq!(fake.followups_to(command).len(), 2);

    let codes: Vec<u32> = fake.violations().iter().map(|v| v.code).collect();
    assert_eq!(codes, [10015, 10015, 50035, 40060]);
}

#[tokio::test]
async fn a_deferred_update_shows_once_the_clicked_message_is_edited() {
    let fake = start_fake(team_guild()).await;
    let http = rest_client(&fake, TOKEN);
    http.set_application_id(serenity::all::ApplicationId::new(BOT));
    let card = json!({"content": "Request #1 by bob", "components": [{"type": 1, "components": [
        {"type": 2, "style": 3, "label": "Approve", "custom_id": "req:approve:1"}]}]});
    ChannelId::new(GENERAL)
        .send_message(&http, CreateMessage::new().content("placeholder"))
        .await
        .expect("posted");
    let posted = http
        .send_message(ChannelId::new(GENERAL), Vec::new(), &card)
        .await
        .expect("the card is posted");
    let card = fake.message(posted.id.get()).expect("stored");

    let click = fake.interact(ComponentClick::button(ALICE, &card, "req:approve:1"));
    let token = fake.interaction_token(click).expect("a token");
    let id = serenity::all::InteractionId::new(click.0);
    http.create_interaction_response(id, &token, &json!({"type": 6}), Vec::new())
        .await
        .expect("the deferred update is accepted");
    let approved = json!({"content": "Approved by alice", "components": []});
    http.edit_original_interaction_response(&token, &approved, Vec::new())
        .await
        .expect("the edit is accepted");

    let reply = fake.reply_to(click).await;
    assert_eq!(reply.callback_type, 6);
    assert_eq!(reply.content(), "Approved by alice");
    assert_eq!(reply.message.map(|m| m.id), Some(card.id));
    let in_channel: Vec<String> = fake
        .messages_in(GENERAL)
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(in_channel, ["placeholder", "Approved by alice"]);
    assert_eq!(fake.violations(), Vec::new());
}
