//! The whole bot against the fake Discord and the fake OpenRouter, staged the way the demo
//! stages it (`fakes::stage` and `openrouter_team_bot::stage`), with helpers that read like the
//! story: a member runs a command, an admin clicks a button on the card, and the test reads what
//! each of them saw.

use std::ops::Deref;

use chrono::{TimeZone, Utc};
use fakes::discord::{
    ComponentClick, FakeDiscord, FakeGuild, FakeMember, InteractionId, MANAGE_GUILD, Message,
    Reply, SlashCommand,
};
use fakes::openrouter::FakeOpenRouter;
use fakes::stage::Fakes;
use openrouter_team_bot::config::Config;
use openrouter_team_bot::stage::Stage;
use openrouter_team_bot::store::Store;

use super::db::TestDb;

pub const GUILD: u64 = 1;
pub const BOT_USER: u64 = 2;
pub const APPROVALS: u64 = 501;
pub const ALERTS: u64 = 502;
pub const REPORTS: u64 = 503;
pub const AUDIT: u64 = 504;
pub const ADMIN_ROLE: u64 = 100;
pub const PRO_ROLE: u64 = 200;
/// Admins.
pub const DANA: u64 = 10;
pub const ERIK: u64 = 11;
/// Members without admin rights.
pub const MIA: u64 = 20;
pub const OLU: u64 = 21;
/// A member whose role has Manage Server but who holds no admin role.
pub const MAX: u64 = 22;

pub const DISCORD_TOKEN: &str = "fake-discord-token.for-tests.0123456789";

/// The config every bot test starts from; `extra` is appended (new tables only). The stage
/// points the two URLs at the fakes.
fn config_text(db: &TestDb, extra: &str) -> String {
    format!(
        r#"
default_tier = "basic"

[discord]
guild_id = {GUILD}
admin_role_ids = [{ADMIN_ROLE}]
approvals_channel_id = {APPROVALS}
alerts_channel_id = {ALERTS}
reports_channel_id = {REPORTS}
audit_channel_id = {AUDIT}
api_base_url = "the fake Discord's"

[openrouter]
base_url = "the fake OpenRouter's"
key_name_prefix = "team"
timeout = "1s"
max_attempts = 2

[database]
url = "{db_url}"

[tiers.basic]
limit_usd = 10.0
limit_reset = "daily"
allowed_models = ["openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"]

[tiers.pro]
limit_usd = 50.0
limit_reset = "weekly"
role_ids = [{PRO_ROLE}]

[tiers.free]
limit_usd = 1.0
limit_reset = "monthly"
auto_approve = true
{extra}
"#,
        db_url = db.url,
    )
}

/// The guild of every bot test: two admins, two members, one Manage-Server holder.
pub fn guild() -> FakeGuild {
    FakeGuild::new(GUILD, "Acme AI", BOT_USER, DISCORD_TOKEN)
        .channel(APPROVALS, "key-approvals")
        .channel(ALERTS, "key-alerts")
        .channel(REPORTS, "key-reports")
        .channel(AUDIT, "key-audit")
        .role(ADMIN_ROLE, "Key admins", 0)
        .role(PRO_ROLE, "Pro", 0)
        .role(300, "Moderators", MANAGE_GUILD)
        .member(
            FakeMember::new(DANA, "dana")
                .global_name("Dana")
                .role(ADMIN_ROLE),
        )
        .member(
            FakeMember::new(ERIK, "erik")
                .global_name("Erik")
                .role(ADMIN_ROLE),
        )
        .member(FakeMember::new(MIA, "mia").global_name("Mia"))
        .member(FakeMember::new(OLU, "olu").global_name("Olu"))
        .member(FakeMember::new(MAX, "max").global_name("Max").role(300))
}

/// When the fakes' clocks stand as a test begins: Wednesday 25 November 2026, 09:00 UTC.
pub fn test_start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

/// A running bot with its fakes and database. The stage's `discord`, `openrouter`, `clock` and
/// `config` are reached through the harness.
pub struct Harness {
    stage: Stage,
    pub db: TestDb,
}

impl Deref for Harness {
    type Target = Stage;

    fn deref(&self) -> &Stage {
        &self.stage
    }
}

impl Harness {
    pub async fn start(db: TestDb) -> Harness {
        Harness::start_with(db, guild(), "").await
    }

    /// Starts the fakes and the bot, and waits until the bot is connected with its commands.
    pub async fn start_with(db: TestDb, guild: FakeGuild, extra: &str) -> Harness {
        let fakes = Fakes::start(guild, test_start())
            .await
            .expect("the fakes start");
        Harness::start_against(db, fakes, extra).await
    }

    /// Starts the bot against fakes already running (on a runtime of their own, say).
    pub async fn start_against(db: TestDb, fakes: Fakes, extra: &str) -> Harness {
        if let Some(validator) = super::discord::spec_validator() {
            fakes.discord.set_request_validator(validator);
        }
        let text = fakes
            .point_config(&config_text(&db, extra))
            .expect("the test config has both URLs");
        let stage = Stage::open(fakes, text).await.expect("the bot starts");
        Harness { stage, db }
    }

    /// The same config with another Discord token.
    pub fn config_with_token(&self, token: &str) -> Config {
        self.stage
            .config_with_token(token)
            .expect("the test config is valid")
    }

    /// Stops the bot, lets `while_down` change the world, and starts the bot again.
    pub async fn restart_after(
        mut self,
        while_down: impl FnOnce(&FakeDiscord, &FakeOpenRouter),
    ) -> Harness {
        self.stage.stop_bot().await.expect("the bot stops cleanly");
        while_down(&self.stage.discord, &self.stage.openrouter);
        self.restart().await
    }

    /// Restarts the bot with an edited config file (`edit` gets the text and returns the new one).
    pub async fn restart_with(mut self, edit: impl FnOnce(String) -> String) -> Harness {
        let text = edit(self.stage.config_text().to_string());
        self.stage
            .set_config_text(text)
            .expect("the edited config is valid");
        self.restart().await
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// Stops the bot cleanly.
    pub async fn stop(self) -> (FakeDiscord, FakeOpenRouter, TestDb) {
        let fakes = self.stage.close().await.expect("the bot stops cleanly");
        (fakes.discord, fakes.openrouter, self.db)
    }

    /// Kills the bot as `kill -9` would: nothing of it runs on, nothing is flushed.
    pub async fn crash(&mut self) {
        self.stage.crash_bot().await;
    }

    /// Stops the bot and starts it again on the same fakes, database and clock (a restart).
    pub async fn restart(mut self) -> Harness {
        self.stage.start_bot().await.expect("the bot starts again");
        self
    }

    /// What the people of the guild do, through this harness's fake Discord.
    pub fn story(&self) -> Story<'_> {
        Story(&self.discord)
    }

    /// `user` runs a slash command; returns what they saw.
    pub async fn runs(&self, command: SlashCommand) -> Reply {
        self.story().runs(command).await
    }

    /// `user` clicks the button labelled `label` on `message`; returns the interaction.
    pub fn clicks(&self, user: u64, message: &Message, label: &str) -> InteractionId {
        self.story().clicks(user, message, label)
    }

    /// `user` clicks and waits for what they saw.
    pub async fn clicks_and_sees(&self, user: u64, message: &Message, label: &str) -> Reply {
        self.story().clicks_and_sees(user, message, label).await
    }

    /// The whole request story up to the card: `/mykey`, Request, the form. Returns the card.
    pub async fn requests_key(&self, user: u64, name: Option<&str>, reason: &str) -> Reply {
        self.story().requests_key(user, name, reason).await
    }

    /// The approval card of request `#id` as it stands.
    pub async fn card(&self, id: i64) -> Message {
        self.story().card(id).await
    }
}

impl Harness {
    /// The whole story for a member who ends up with a key: request, an admin approves, the
    /// member reveals. Returns the plaintext key they saw.
    pub async fn member_gets_key(&self, user: u64, name: &str) -> String {
        self.story().member_gets_key(user, name).await
    }

    /// `/mykey` as `user` sees it now.
    pub async fn mykey(&self, user: u64) -> Message {
        self.story().mykey(user).await
    }

    /// The reply and every follow-up of an interaction, once `pages` messages have arrived.
    pub async fn all_pages(&self, id: InteractionId, pages: usize) -> Vec<Message> {
        let first = self.discord.reply_to(id).await;
        // A deferred answer is filled by the first follow-up, which is then a page itself.
        let mut messages = Vec::new();
        if first.callback_type != 5 {
            messages.push(first.message.expect("a message reply"));
        }
        let shown = messages.len();
        let followups = eventually("the follow-up pages", || {
            let followups = self.discord.followups_to(id);
            (followups.len() + shown >= pages).then_some(followups)
        })
        .await;
        messages.extend(followups);
        messages
    }
}

/// The people of the guild acting through the fake Discord, whether the bot runs in the test's
/// process or as the real binary.
pub struct Story<'a>(pub &'a FakeDiscord);

impl Story<'_> {
    /// `user` runs a slash command; returns what they saw.
    pub async fn runs(&self, command: SlashCommand) -> Reply {
        let id = self.0.interact(command);
        self.0.reply_to(id).await
    }

    /// `user` clicks the button labelled `label` on `message`; returns the interaction.
    pub fn clicks(&self, user: u64, message: &Message, label: &str) -> InteractionId {
        let button = message
            .button(label)
            .unwrap_or_else(|| panic!("no {label:?} button on {:?}", message.text()));
        let custom_id = button.custom_id.expect("the button has a custom_id");
        self.0
            .interact(ComponentClick::button(user, message, custom_id))
    }

    /// `user` clicks and waits for what they saw.
    pub async fn clicks_and_sees(&self, user: u64, message: &Message, label: &str) -> Reply {
        let id = self.clicks(user, message, label);
        self.0.reply_to(id).await
    }

    /// The whole request story up to the card: `/mykey`, Request, the form. Returns the card.
    pub async fn requests_key(&self, user: u64, name: Option<&str>, reason: &str) -> Reply {
        let mykey = self.runs(SlashCommand::new(user, "mykey")).await;
        let card = mykey.message.expect("/mykey answers with a message");
        let form = self.clicks(user, &card, "Request a key");
        let mut values = vec![("reason", reason)];
        if let Some(name) = name {
            values.push(("name", name));
        }
        let submitted = self.0.answer_modal(form, &values).await;
        self.0.reply_to(submitted).await
    }

    /// The approval card of request `#id` as it stands.
    pub async fn card(&self, id: i64) -> Message {
        let title = format!("Key request #{id}");
        self.0
            .wait_for_message_in(APPROVALS, |m| m.embed_text().contains(&title))
            .await
    }

    /// The whole story for a member who ends up with a key: request, an admin approves, the
    /// member reveals. Returns the plaintext key they saw.
    pub async fn member_gets_key(&self, user: u64, name: &str) -> String {
        self.member_gets_key_as(user, Some(name)).await
    }

    /// [`Story::member_gets_key`] for a user who may be on the roster already (`name: None`).
    pub async fn member_gets_key_as(&self, user: u64, name: Option<&str>) -> String {
        let sent = self.requests_key(user, name, "work").await;
        let id: i64 = sent
            .text()
            .split('#')
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no request number in {:?}", sent.text()));
        let card = self.card(id).await;
        self.clicks_and_sees(DANA, &card, "Approve").await;
        let dm = self
            .0
            .wait_for_dm(user, |m| {
                m.embed_text()
                    .contains(&format!("Request #{id} was approved"))
            })
            .await;
        let revealed = self.clicks_and_sees(user, &dm, "Reveal my key").await;
        secret_in(&revealed.text()).unwrap_or_else(|| panic!("no key in {:?}", revealed.text()))
    }

    /// `/mykey` as `user` sees it now.
    pub async fn mykey(&self, user: u64) -> Message {
        self.runs(SlashCommand::new(user, "mykey"))
            .await
            .message
            .expect("/mykey answers with a message")
    }
}

/// The `sk-or-v1-...` key in a text, if any.
pub fn secret_in(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '`')
        .find(|w| w.starts_with("sk-or-v1-"))
        .map(str::to_string)
}

/// Polls `check` until it gives a value, for at most ten seconds.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(value) = check() {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("gave up waiting for {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

impl Harness {
    /// Runs the scheduled jobs that are due at the harness clock's time.
    pub async fn tick(&self) -> Vec<openrouter_team_bot::jobs::RunReport> {
        self.stage
            .bot()
            .expect("the bot is running")
            .run_due_jobs()
            .await
    }

    /// The budget alerts posted in the alerts channel so far.
    pub fn budget_alerts(&self) -> Vec<Message> {
        self.discord
            .messages_in(ALERTS)
            .into_iter()
            .filter(|m| m.embed_text().starts_with("Budget alert"))
            .collect()
    }
}
