//! Answering an interaction: the first response within Discord's 3 seconds, then edits and
//! follow-ups. Remembers whether it deferred, so errors always reach the person.

use poise::serenity_prelude as serenity;
use serenity::builder::Builder;
use serenity::{
    CreateActionRow, CreateEmbed, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateModal, EditInteractionResponse, Http,
};

use super::notify::quiet;

/// How long work may run before the interaction is acknowledged: Discord drops a first
/// response after 3 seconds, so anything still running by now answers later instead.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_millis(1500);

/// How a slow interaction is acknowledged while its work goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defer {
    /// A private answer follows (for commands and forms).
    Private,
    /// The message the button is on is edited later (for clicks on cards).
    Update,
}

/// One interaction's answers.
pub struct Responder<'a> {
    http: &'a Http,
    id: serenity::InteractionId,
    token: &'a str,
    deferred: bool,
    /// Acknowledged as "the message will be updated": `update_message` edits it later.
    deferred_update: bool,
    answered: bool,
}

impl<'a> Responder<'a> {
    pub fn new(http: &'a Http, id: serenity::InteractionId, token: &'a str) -> Responder<'a> {
        Responder {
            http,
            id,
            token,
            deferred: false,
            deferred_update: false,
            answered: false,
        }
    }

    /// Runs `work`; if it takes longer than Discord allows before a first answer, the
    /// interaction is acknowledged (`how`) while it goes on, so the answer is never dropped.
    pub async fn in_time<T>(&mut self, how: Defer, work: impl Future<Output = T>) -> T {
        let work = std::pin::pin!(work);
        let mut work = work;
        tokio::select! {
            done = &mut work => return done,
            () = tokio::time::sleep(ANSWER_WITHIN) => {}
        }
        let acknowledged = match how {
            Defer::Private => self.defer_private().await,
            Defer::Update => self.defer_update().await,
        };
        if let Err(e) = acknowledged {
            tracing::warn!(error = %e, "could not acknowledge a slow interaction");
        }
        work.await
    }

    /// Acknowledges a click now; the message it is on is edited later ([`Self::update_message`]).
    pub async fn defer_update(&mut self) -> Result<(), serenity::Error> {
        self.respond(CreateInteractionResponse::Acknowledge).await?;
        self.deferred_update = true;
        Ok(())
    }

    async fn respond(
        &mut self,
        response: CreateInteractionResponse,
    ) -> Result<(), serenity::Error> {
        response.execute(self.http, (self.id, self.token)).await?;
        self.answered = true;
        Ok(())
    }

    /// Acknowledges now and answers privately later (for anything that calls OpenRouter).
    pub async fn defer_private(&mut self) -> Result<(), serenity::Error> {
        self.respond(CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(true),
        ))
        .await?;
        self.deferred = true;
        Ok(())
    }

    /// A private answer with embeds and buttons (an edit of the deferred answer if deferred).
    pub async fn private(
        &mut self,
        embeds: Vec<CreateEmbed>,
        rows: Vec<CreateActionRow>,
    ) -> Result<(), serenity::Error> {
        if self.deferred {
            self.edit_original(embeds, rows).await
        } else if self.answered {
            self.followup(embeds, rows).await
        } else {
            self.respond(CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new()
                    .ephemeral(true)
                    .embeds(embeds)
                    .components(rows)
                    .allowed_mentions(quiet()),
            ))
            .await
        }
    }

    /// A private plain-text answer.
    pub async fn say(&mut self, text: &str) -> Result<(), serenity::Error> {
        let text = super::render::truncate(text, 2000);
        if self.deferred {
            EditInteractionResponse::new()
                .content(text)
                .embeds(vec![])
                .components(vec![])
                .allowed_mentions(quiet())
                .execute(self.http, self.token)
                .await?;
            Ok(())
        } else if self.answered {
            CreateInteractionResponseFollowup::new()
                .ephemeral(true)
                .content(text)
                .allowed_mentions(quiet())
                .execute(self.http, (None, self.token))
                .await?;
            Ok(())
        } else {
            self.respond(CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new()
                    .ephemeral(true)
                    .content(text)
                    .allowed_mentions(quiet()),
            ))
            .await
        }
    }

    /// A further private message after the first answer.
    pub async fn followup(
        &mut self,
        embeds: Vec<CreateEmbed>,
        rows: Vec<CreateActionRow>,
    ) -> Result<(), serenity::Error> {
        CreateInteractionResponseFollowup::new()
            .ephemeral(true)
            .embeds(embeds)
            .components(rows)
            .allowed_mentions(quiet())
            .execute(self.http, (None, self.token))
            .await?;
        Ok(())
    }

    /// Replaces the message the clicked button is on (the first answer to a click, or an edit
    /// once the click was acknowledged).
    pub async fn update_message(
        &mut self,
        embeds: Vec<CreateEmbed>,
        rows: Vec<CreateActionRow>,
    ) -> Result<(), serenity::Error> {
        if self.deferred_update {
            return self.edit_original(embeds, rows).await;
        }
        self.respond(CreateInteractionResponse::UpdateMessage(
            CreateInteractionResponseMessage::new()
                .content("")
                .embeds(embeds)
                .components(rows)
                .allowed_mentions(quiet()),
        ))
        .await
    }

    /// Replaces the first answer (or, after [`Self::defer_update`], the clicked message).
    async fn edit_original(
        &self,
        embeds: Vec<CreateEmbed>,
        rows: Vec<CreateActionRow>,
    ) -> Result<(), serenity::Error> {
        EditInteractionResponse::new()
            .content("")
            .embeds(embeds)
            .components(rows)
            .allowed_mentions(quiet())
            .execute(self.http, self.token)
            .await?;
        Ok(())
    }

    /// Opens a form (only possible as the first answer).
    pub async fn modal(&mut self, modal: CreateModal) -> Result<(), serenity::Error> {
        self.respond(CreateInteractionResponse::Modal(modal)).await
    }
}
