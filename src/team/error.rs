//! The two kinds of failure: what the person should be told as written, and everything else.

use crate::openrouter::ApiError;
use crate::store::{Clash, StoreError};

/// A failed team action.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// Something the person can understand and act on, shown to them as written.
    #[error("{0}")]
    User(String),
    /// OpenRouter failed; the message is safe to log (keys are redacted).
    #[error("OpenRouter: {0}")]
    OpenRouter(#[from] ApiError),
    /// The database failed.
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl TeamError {
    /// A message for the person, as written.
    pub fn user(message: impl Into<String>) -> TeamError {
        TeamError::User(message.into())
    }

    /// What to show the person who asked: their own mistake as written, OpenRouter trouble in
    /// plain words, and for anything else a short line (the details go to the log).
    pub fn for_user(&self) -> String {
        match self {
            TeamError::User(message) => message.clone(),
            TeamError::OpenRouter(ApiError::OutOfCredits { .. }) => {
                "The team's OpenRouter account is out of credits, so no key can be changed right now. An admin needs to add credits.".into()
            }
            TeamError::OpenRouter(ApiError::RateLimited { .. }) => {
                "OpenRouter is busy (rate limited). Please try again in a minute.".into()
            }
            TeamError::OpenRouter(e) if e.is_transient() => {
                "OpenRouter did not answer properly. Please try again in a minute.".into()
            }
            TeamError::OpenRouter(_) => {
                "OpenRouter refused the request. The reason is in the bot's log; an admin can look it up there.".into()
            }
            TeamError::Store(_) => "Something went wrong on our side. The details are in the bot's log; an admin can look them up there.".into(),
        }
    }

    /// Whether this is the person's own mistake (and needs no log line).
    pub fn is_user_error(&self) -> bool {
        matches!(self, TeamError::User(_))
    }
}

/// Converts a duplicate from the store into a message for the person.
pub(crate) fn duplicate_as_user(error: StoreError) -> TeamError {
    match error {
        StoreError::Duplicate(clash) => TeamError::User(clash_words(&clash)),
        other => TeamError::Store(other),
    }
}

/// What the person is told when their change clashed with a record already there.
fn clash_words(clash: &Clash) -> String {
    match clash {
        Clash::Member { name, .. } => format!(
            "a member named {name} or linked to that Discord account is already on the team"
        ),
        Clash::LinkedAccount { .. } => {
            "that Discord account is already linked to another member".into()
        }
        Clash::OpenRequest { .. } => "you already have a key request in progress".into(),
    }
}
