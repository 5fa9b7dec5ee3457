//! The scripted week: people in the simulated server use the bot through its real slash
//! commands, buttons and forms, a member on the shared tier calls the bot's gateway, usage grows
//! at the simulated OpenRouter sync after sync, and the week ends with the digest. Each step
//! waits for what the bot does in answer (never for time) and tells it in the transcript.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use fakes::discord::{
    ComponentClick, FakeDiscord, FakeInteraction, InteractionId, Message, Modal, ModalSubmit,
    Reply, SlashCommand,
};

use super::DemoError;
use super::cast::{self, DANA, ERIK, INES, LEE, MIA, OLU, Person, SAM};
use super::feed::{Feed, Place};
use super::spend::{SpendPlan, start_of_day, start_of_week};
use super::stage;
use super::transcript::{Audience, Event, Transcript, day_number};
use crate::money::Usd;
use crate::stage::Stage;

mod gateway;

use gateway::{Caller, Calls, gateway_token_in};

/// The callback type of an answer that replaces the message the button was on.
const UPDATE_MESSAGE: u8 = 7;

/// The job whose post ends the story.
pub const DIGEST_JOB: &str = "weekly_digest";

/// One step of the story.
#[derive(Debug, Clone)]
enum Scene {
    /// `/mykey`, the Request button and the form.
    AsksForKey(Person, &'static str),
    /// An admin approves a person's request on its card.
    Approves(Person, Person),
    /// An admin denies a person's request on its card, with a reason.
    Denies(Person, Person, &'static str),
    /// A person reveals their approved key from the DM.
    Reveals(Person),
    /// `/budget`.
    ChecksBudget(Person),
    /// A person asks for a top-up from the latest budget alert in their DMs: amount and why.
    AsksForTopUp(Person, &'static str, &'static str),
    /// An admin approves a person's pending top-up on its card.
    ApprovesTopUp(Person, Person),
    /// A person leaves the server.
    Leaves(Person),
    /// A person's client calls the gateway with the token they revealed.
    CallsGateway(Person, Calls),
    /// Usage moves at OpenRouter and the bot's due jobs run (a sync among them).
    Sync,
    /// The week is over: the jobs run at the digest's time.
    WeeklyDigest,
}

/// The story's steps in time order, in the week that starts on `monday`.
fn timeline(monday: DateTime<Utc>) -> Vec<(DateTime<Utc>, Scene)> {
    let at = |day: i64, hour: i64, minute: i64| {
        monday + Duration::days(day) + Duration::hours(hour) + Duration::minutes(minute)
    };
    let mut steps = vec![
        (
            at(0, 9, 4),
            Scene::AsksForKey(MIA, "Prototype a support-ticket summariser"),
        ),
        (
            at(0, 9, 11),
            Scene::AsksForKey(OLU, "Compare Claude and GPT-4o for the search reranker"),
        ),
        (
            at(0, 9, 17),
            Scene::AsksForKey(SAM, "A music bot for my gaming server"),
        ),
        (at(0, 9, 26), Scene::Approves(DANA, MIA)),
        (at(0, 9, 31), Scene::Approves(ERIK, OLU)),
        (
            at(0, 9, 38),
            Scene::Denies(
                DANA,
                SAM,
                "Team keys are for work projects; please use a personal OpenRouter account for side projects.",
            ),
        ),
        (at(0, 9, 45), Scene::Reveals(MIA)),
        (at(0, 9, 52), Scene::Reveals(OLU)),
        (
            at(1, 11, 20),
            Scene::AsksForKey(LEE, "Long-context experiments for the retrieval paper"),
        ),
        (at(1, 11, 35), Scene::Approves(ERIK, LEE)),
        (at(1, 11, 50), Scene::Reveals(LEE)),
        (at(2, 10, 20), Scene::ChecksBudget(MIA)),
        (
            at(2, 14, 10),
            Scene::AsksForTopUp(MIA, "10", "Finishing the eval run before Thursday's review"),
        ),
        (at(2, 14, 25), Scene::ApprovesTopUp(ERIK, MIA)),
        (
            at(3, 9, 5),
            Scene::AsksForKey(INES, "An onboarding assistant that drafts welcome notes"),
        ),
        (at(3, 9, 15), Scene::Approves(DANA, INES)),
        (at(3, 9, 25), Scene::Reveals(INES)),
        (
            at(3, 9, 35),
            Scene::CallsGateway(INES, Calls::Once("openai/gpt-4o")),
        ),
        (
            at(3, 11, 30),
            Scene::CallsGateway(INES, Calls::Once("openai/gpt-4o")),
        ),
        (
            at(3, 15, 0),
            Scene::CallsGateway(INES, Calls::UntilRefused("openai/gpt-4o")),
        ),
        (at(3, 15, 5), Scene::ChecksBudget(INES)),
        (
            at(4, 9, 30),
            Scene::CallsGateway(INES, Calls::Once("anthropic/claude-sonnet-4")),
        ),
        (at(5, 11, 0), Scene::Leaves(OLU)),
        (at(7, 9, 0), Scene::WeeklyDigest),
    ];
    for day in 0..7 {
        for hour in [10, 14, 18] {
            steps.push((at(day, hour, 0), Scene::Sync));
        }
    }
    steps.sort_by_key(|(when, _)| *when);
    steps
}

/// How the story ended.
#[derive(Debug, Clone)]
pub struct Ending {
    /// The messages the digest posted in the reports channel (none if no digest was posted).
    pub digest: Vec<Message>,
}

/// What OpenRouter counts for the team at a moment.
struct Counted {
    today: Usd,
    this_week: Usd,
    /// Of it, on the team's shared key (the gateway's requests).
    gateway_today: Usd,
    gateway_this_week: Usd,
}

/// What a click showed.
enum Shown {
    /// A message (an answer, or the updated message the button was on).
    Message(Message),
    /// A form, to be filled in.
    Form {
        modal: Modal,
        /// The message the button that opened it was on.
        source: Message,
    },
}

/// The story being told.
pub struct Story<'s, 't, 'w> {
    stage: &'s Stage,
    transcript: &'t mut Transcript<'w>,
    feed: Feed,
    plan: SpendPlan,
    /// Each person's latest key request number.
    requests: HashMap<u64, i64>,
    /// The gateway clients of those who revealed a gateway token, by Discord id.
    callers: HashMap<u64, Caller>,
    last_sync: DateTime<Utc>,
    day: i64,
}

impl<'s, 't, 'w> Story<'s, 't, 'w> {
    pub fn new(stage: &'s Stage, transcript: &'t mut Transcript<'w>) -> Self {
        let mut places: Vec<Place> = cast::CHANNELS
            .iter()
            .map(|(id, _)| Place::Channel(*id))
            .collect();
        places.extend(cast::PEOPLE.iter().map(|p| Place::Dm(p.id)));
        let week_start = transcript.week_start();
        Story {
            stage,
            plan: SpendPlan::week(week_start),
            transcript,
            feed: Feed::new(places),
            requests: HashMap::new(),
            callers: HashMap::new(),
            last_sync: stage.now(),
            day: 0,
        }
    }

    /// Plays the whole week.
    pub async fn play(mut self) -> Result<Ending, DemoError> {
        self.opening().await?;
        let mut digest = Vec::new();
        for (when, scene) in timeline(self.transcript.week_start()) {
            self.move_to(when).await?;
            match scene {
                Scene::AsksForKey(person, reason) => self.asks_for_key(person, reason).await?,
                Scene::Approves(admin, person) => self.decides(admin, person, None).await?,
                Scene::Denies(admin, person, reason) => {
                    self.decides(admin, person, Some(reason)).await?
                }
                Scene::Reveals(person) => self.reveals(person).await?,
                Scene::ChecksBudget(person) => self.checks_budget(person).await?,
                Scene::AsksForTopUp(person, amount, reason) => {
                    self.asks_for_top_up(person, amount, reason).await?
                }
                Scene::ApprovesTopUp(admin, person) => self.approves_top_up(admin, person).await?,
                Scene::Leaves(person) => self.leaves(person).await?,
                Scene::CallsGateway(person, calls) => self.calls_gateway(person, calls).await?,
                Scene::Sync => self.sync().await?,
                Scene::WeeklyDigest => digest = self.weekly_digest().await?,
            }
        }
        Ok(Ending { digest })
    }

    fn discord(&self) -> &FakeDiscord {
        &self.stage.discord
    }

    async fn tell(&mut self, event: Event) -> Result<(), DemoError> {
        let now = self.stage.now();
        self.transcript.tell(now, event).await
    }

    async fn narrate(&mut self, text: impl Into<String>) -> Result<(), DemoError> {
        self.tell(Event::Narration(text.into())).await
    }

    async fn act(&mut self, person: Person, what: impl Into<String>) -> Result<(), DemoError> {
        self.tell(Event::Action {
            person: person.display_name,
            what: what.into(),
        })
        .await
    }

    /// Tells what appeared in the channels and DMs since the last look.
    async fn news(&mut self) -> Result<(), DemoError> {
        let postings = self.feed.news(&self.stage.discord);
        let now = self.stage.now();
        self.transcript.tell_postings(now, postings).await
    }

    /// Moves the simulated clock; a new day starts a new chapter.
    async fn move_to(&mut self, when: DateTime<Utc>) -> Result<(), DemoError> {
        self.stage.set_time(when);
        let day = day_number(self.transcript.week_start(), when);
        if day != self.day {
            self.day = day;
            self.tell(Event::Day).await?;
        }
        Ok(())
    }

    async fn opening(&mut self) -> Result<(), DemoError> {
        self.move_to(self.stage.now()).await?;
        let commands: Vec<String> = self
            .discord()
            .guild_commands()
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c.get("name")?.as_str().map(|n| format!("/{n}")))
            .collect();
        let guardrails = self.stage.openrouter.guardrails().len();
        let plural = if guardrails == 1 { "" } else { "s" };
        self.narrate(format!(
            "{} starts: management key checked at OpenRouter, {guardrails} guardrail{plural} made for the tiers' model lists, connected to {}, slash commands registered: {}",
            cast::BOT_NAME,
            cast::GUILD_NAME,
            commands.join(" ")
        ))
        .await?;
        self.news().await
    }

    /// Waits for the bot's answer to an interaction and tells it.
    async fn answer(&mut self, person: Person, id: InteractionId) -> Result<Reply, DemoError> {
        let reply = self
            .discord()
            .until(&format!("the answer to {}", person.display_name), |d| {
                d.reply(id)
            })
            .await?;
        if let Some(modal) = &reply.modal {
            self.tell(Event::Form {
                to: person.display_name,
                modal: modal.clone(),
            })
            .await?;
        } else if let Some(message) = &reply.message {
            self.feed.saw(message);
            let to = if message.ephemeral() {
                Audience::OnlyFor(person.display_name)
            } else if let Some(channel) = cast::channel_name(message.channel_id) {
                Audience::Channel(channel)
            } else {
                Audience::Dm(person.display_name)
            };
            self.tell(Event::Bot {
                to,
                message: message.clone(),
                edited: reply.callback_type == UPDATE_MESSAGE,
            })
            .await?;
        }
        Ok(reply)
    }

    /// `person` runs a slash command in #general; returns the message they saw.
    async fn runs(
        &mut self,
        person: Person,
        command: SlashCommand,
        shown_as: &str,
    ) -> Result<Message, DemoError> {
        self.act(person, format!("runs {shown_as} in #general"))
            .await?;
        let id = self.discord().interact(command.in_channel(cast::GENERAL));
        let reply = self.answer(person, id).await?;
        reply
            .message
            .ok_or_else(|| DemoError::story(format!("{shown_as} answered with no message")))
    }

    /// `person` clicks the button labelled `label` on `message`.
    async fn clicks(
        &mut self,
        person: Person,
        message: &Message,
        label: &str,
    ) -> Result<Shown, DemoError> {
        let button = message
            .button(label)
            .and_then(|b| b.custom_id)
            .ok_or_else(|| {
                DemoError::story(format!("no [{label}] button on: {}", message.text()))
            })?;
        self.act(person, format!("clicks [{label}] on {}", where_is(message)))
            .await?;
        let id = self
            .discord()
            .interact(ComponentClick::button(person.id, message, button));
        let reply = self.answer(person, id).await?;
        match (reply.modal, reply.message) {
            (Some(modal), _) => Ok(Shown::Form {
                modal,
                source: message.clone(),
            }),
            (None, Some(message)) => Ok(Shown::Message(message)),
            (None, None) => Err(DemoError::story(format!(
                "[{label}] was answered with nothing to show"
            ))),
        }
    }

    /// `person` fills in and sends the form a click opened; returns what they saw.
    async fn fills_in(
        &mut self,
        person: Person,
        shown: Shown,
        values: &[(&str, &str)],
    ) -> Result<Message, DemoError> {
        let Shown::Form { modal, source } = shown else {
            return Err(DemoError::story(
                "expected a form, the bot showed a message",
            ));
        };
        let answers: Vec<String> = values
            .iter()
            .map(|(input, text)| {
                format!(
                    "{} = \"{text}\"",
                    super::reading::input_label(&modal, input)
                )
            })
            .collect();
        self.act(person, format!("sends the form: {}", answers.join("; ")))
            .await?;
        let mut submit = ModalSubmit::new(person.id, modal.custom_id.clone()).on_message(&source);
        for (input, text) in values {
            submit = submit.value(*input, *text);
        }
        let id = self.discord().interact(FakeInteraction::Modal(submit));
        self.answer(person, id)
            .await?
            .message
            .ok_or_else(|| DemoError::story("the form was answered with nothing to show"))
    }

    /// Waits until the bot has done what follows an action, then tells everything new.
    async fn settles(
        &mut self,
        what: &str,
        done: impl FnMut(&FakeDiscord) -> Option<()>,
    ) -> Result<(), DemoError> {
        self.discord().until(what, done).await?;
        self.news().await
    }

    async fn asks_for_key(&mut self, person: Person, reason: &str) -> Result<(), DemoError> {
        let card = self
            .runs(person, SlashCommand::new(person.id, "mykey"), "/mykey")
            .await?;
        let form = self.clicks(person, &card, "Request a key").await?;
        let sent = self
            .fills_in(
                person,
                form,
                &[("name", person.username), ("reason", reason)],
            )
            .await?;
        let number = request_number(&sent.text())
            .ok_or_else(|| DemoError::story(format!("no request number in: {}", sent.text())))?;
        self.requests.insert(person.id, number);
        let title = format!("Key request #{number}");
        self.settles("the approval card", |d| {
            d.messages_in(cast::APPROVALS)
                .iter()
                .any(|m| m.embed_text().contains(&title))
                .then_some(())
        })
        .await
    }

    fn card_of(&self, person: Person) -> Result<(i64, Message), DemoError> {
        let number = self.requests.get(&person.id).copied().ok_or_else(|| {
            DemoError::story(format!("{} has asked for nothing", person.display_name))
        })?;
        let title = format!("Key request #{number}");
        let card = self
            .discord()
            .messages_in(cast::APPROVALS)
            .into_iter()
            .find(|m| m.embed_text().contains(&title))
            .ok_or_else(|| DemoError::story(format!("no card for request #{number}")))?;
        Ok((number, card))
    }

    /// An admin approves (`reason` is `None`) or denies a person's request on its card.
    async fn decides(
        &mut self,
        admin: Person,
        person: Person,
        deny_because: Option<&str>,
    ) -> Result<(), DemoError> {
        let (number, card) = self.card_of(person)?;
        let outcome = match deny_because {
            None => {
                self.clicks(admin, &card, "Approve").await?;
                "approved"
            }
            Some(reason) => {
                let form = self.clicks(admin, &card, "Deny").await?;
                self.fills_in(admin, form, &[("reason", reason)]).await?;
                "denied"
            }
        };
        let told = format!("Request #{number} was {outcome}");
        self.settles(&format!("the DM saying {told}"), |d| {
            d.dms_to(person.id)
                .iter()
                .any(|m| m.embed_text().contains(&told))
                .then_some(())
        })
        .await
    }

    async fn reveals(&mut self, person: Person) -> Result<(), DemoError> {
        let (number, _) = self.card_of(person)?;
        let dm = self
            .discord()
            .dms_to(person.id)
            .into_iter()
            .rev()
            .find(|m| m.button("Reveal my key").is_some())
            .ok_or_else(|| DemoError::story("no DM with a Reveal button"))?;
        let Shown::Message(revealed) = self.clicks(person, &dm, "Reveal my key").await? else {
            return Err(DemoError::story("Reveal opened a form"));
        };
        if let Some(key) = fake_key_in(&revealed.text()) {
            self.tell(Event::Aside(format!(
                "{key} is fake: the simulated OpenRouter made it, and it works nowhere"
            )))
            .await?;
        }
        if let Some(token) = gateway_token_in(&revealed.text()) {
            self.sets_up_client(person, token).await?;
        }
        let title = format!("Key request #{number}");
        self.settles("the card to say the key was revealed", |d| {
            d.messages_in(cast::APPROVALS)
                .iter()
                .any(|m| {
                    let text = m.embed_text();
                    text.contains(&title) && text.contains("revealed")
                })
                .then_some(())
        })
        .await
    }

    async fn checks_budget(&mut self, person: Person) -> Result<(), DemoError> {
        self.runs(person, SlashCommand::new(person.id, "budget"), "/budget")
            .await?;
        self.news().await
    }

    async fn asks_for_top_up(
        &mut self,
        person: Person,
        amount: &str,
        reason: &str,
    ) -> Result<(), DemoError> {
        let alert = self
            .discord()
            .dms_to(person.id)
            .into_iter()
            .rev()
            .find(|m| m.button("Request top-up").is_some())
            .ok_or_else(|| DemoError::story("no budget alert with a top-up button"))?;
        let form = self.clicks(person, &alert, "Request top-up").await?;
        self.fills_in(person, form, &[("amount", amount), ("reason", reason)])
            .await?;
        self.settles("the top-up card", |d| {
            d.messages_in(cast::APPROVALS)
                .iter()
                .any(|m| m.button("Approve top-up").is_some())
                .then_some(())
        })
        .await
    }

    async fn approves_top_up(&mut self, admin: Person, person: Person) -> Result<(), DemoError> {
        let card = self
            .discord()
            .messages_in(cast::APPROVALS)
            .into_iter()
            .find(|m| m.button("Approve top-up").is_some())
            .ok_or_else(|| DemoError::story("no top-up card"))?;
        self.clicks(admin, &card, "Approve top-up").await?;
        self.settles("the DM saying the top-up was approved", |d| {
            d.dms_to(person.id)
                .iter()
                .any(|m| m.embed_text().contains("was approved: the limit is raised"))
                .then_some(())
        })
        .await
    }

    async fn leaves(&mut self, person: Person) -> Result<(), DemoError> {
        self.narrate(format!(
            "{} leaves the {} server",
            person.display_name,
            cast::GUILD_NAME
        ))
        .await?;
        if !self.discord().member_leaves(person.id) {
            return Err(DemoError::story(format!(
                "{} was not in the server",
                person.display_name
            )));
        }
        let left = format!("{} left the server", person.username);
        self.settles("the departure to be handled", |d| {
            d.messages_in(cast::ALERTS)
                .iter()
                .any(|m| m.content.starts_with(&left))
                .then_some(())
        })
        .await
    }

    /// Usage moves at OpenRouter to what the plan says for now, then the bot's due jobs run.
    async fn sync(&mut self) -> Result<(), DemoError> {
        let counted = self.usage_moves();
        let ran = self.stage.run_due_jobs().await;
        let synced = ran
            .iter()
            .find(|r| r.job == "sync")
            .map_or_else(|| "no sync was due".to_string(), |r| r.outcome.clone());
        let through_gateway = if counted.gateway_today > Usd::ZERO {
            format!(
                " ({} today and {} this week through the gateway, on the team's shared key)",
                counted.gateway_today, counted.gateway_this_week
            )
        } else if counted.gateway_this_week > Usd::ZERO {
            format!(
                " ({} of this week's through the gateway, on the team's shared key)",
                counted.gateway_this_week
            )
        } else {
            String::new()
        };
        self.narrate(format!(
            "OpenRouter counts {} spent by the team today, {} this week{through_gateway}; the bot syncs: {synced}",
            counted.today, counted.this_week
        ))
        .await?;
        self.news().await
    }

    /// Sets every key's counters and activity at OpenRouter to what the plan says for now, and
    /// the account's credits used (the gateway's requests included); returns what OpenRouter
    /// counts for the team.
    fn usage_moves(&mut self) -> Counted {
        let now = self.stage.now();
        let mut today = Usd::ZERO;
        let mut this_week = Usd::ZERO;
        for member in self.plan.members() {
            let prefix = format!("team:{member}:");
            let Some(key) = self
                .stage
                .openrouter
                .keys()
                .into_iter()
                .find(|k| k.name.starts_with(&prefix))
            else {
                continue;
            };
            let usage = self.plan.usage_at(member, now);
            today = today + usage.daily;
            this_week = this_week + usage.weekly;
            stage::set_key_usage(self.stage, &key.hash, usage);
            for row in self.plan.activity(member, self.last_sync, now) {
                stage::add_key_activity(self.stage, &key.hash, row);
            }
        }
        let gateway_today = stage::gateway_spent(self.stage, start_of_day(now), now);
        let gateway_this_week = stage::gateway_spent(self.stage, start_of_week(now), now);
        let gateway_ever = stage::gateway_spent(self.stage, DateTime::<Utc>::MIN_UTC, now);
        stage::set_account_usage(
            self.stage,
            self.plan.team_spent(DateTime::<Utc>::MIN_UTC, now) + gateway_ever,
        );
        self.last_sync = now;
        Counted {
            today: today + gateway_today,
            this_week: this_week + gateway_this_week,
            gateway_today,
            gateway_this_week,
        }
    }

    /// The week is over: the jobs run at the digest's time and the digest's posts are collected.
    async fn weekly_digest(&mut self) -> Result<Vec<Message>, DemoError> {
        self.narrate("the week is over; the bot's jobs run at the digest's time (reports.weekly)")
            .await?;
        self.usage_moves();
        let ran = self.stage.run_due_jobs().await;
        self.news().await?;
        let digest = self.discord().messages_in(cast::REPORTS);
        if digest.is_empty() {
            let outcome = ran.iter().find(|r| r.job == DIGEST_JOB).map_or_else(
                || "no weekly digest job ran".to_string(),
                |r| r.outcome.clone(),
            );
            self.narrate(format!("nothing was posted in #key-reports ({outcome})"))
                .await?;
        }
        Ok(digest)
    }
}

/// Where a message is, in words: `the card "Key request #1" in #key-approvals`.
fn where_is(message: &Message) -> String {
    let title = message
        .embeds
        .first()
        .and_then(|e| e.get("title"))
        .and_then(|t| t.as_str())
        .map(|t| format!(" \"{t}\""))
        .unwrap_or_default();
    if message.ephemeral() {
        return format!("the bot's answer{title}");
    }
    match cast::channel_name(message.channel_id) {
        Some(channel) => format!("the post{title} in #{channel}"),
        None => format!("the DM{title}"),
    }
}

/// `7` from "Key request #7 sent".
fn request_number(text: &str) -> Option<i64> {
    text.split("Key request #")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The `sk-or-v1-...` key shown in a text, if any.
fn fake_key_in(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == '`')
        .find(|word| word.starts_with("sk-or-v1-") && word.len() > 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_number_comes_from_the_answer() {
        assert_eq!(
            request_number("Key request #12 sent\nThe admins…"),
            Some(12)
        );
        assert_eq!(request_number("nothing here"), None);
    }

    #[test]
    fn the_timeline_is_in_order_and_ends_with_the_digest() {
        let monday = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let steps = timeline(monday);
        assert!(steps.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(
            steps
                .iter()
                .filter(|(_, s)| matches!(s, Scene::Sync))
                .count(),
            21
        );
        assert!(matches!(steps.last(), Some((_, Scene::WeeklyDigest))));
    }
}
