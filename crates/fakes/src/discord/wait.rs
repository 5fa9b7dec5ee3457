//! Waiting for what the bot does, with a deadline and without polling: every change to the
//! fake's state bumps a watch counter, and a waiter re-checks its condition on each bump.

use std::time::Duration;

use serde_json::Value;

use super::FakeDiscord;
use super::record::{InteractionId, Message, Reply, Violation};
use super::state::State;

/// What [`FakeDiscord::until`] gives back when the bot never did what was awaited.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("gave up after {after:?} waiting for {what} ({} requests refused meanwhile)", violations.len())]
pub struct GaveUp {
    /// What was awaited, in words.
    pub what: String,
    /// How long the fake waited.
    pub after: Duration,
    /// Everything the fake refused up to then: often the reason.
    pub violations: Vec<Violation>,
}

impl FakeDiscord {
    /// Waits until `check` finds something, like the other waiting helpers, but gives the
    /// failure back instead of panicking: for callers that are not tests, such as the demo.
    /// `check` reads the fake through its public accessors and runs again on every change.
    pub async fn until<T>(
        &self,
        what: &str,
        mut check: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> Result<T, GaveUp> {
        let mut changes = self.shared.subscribe();
        let after = self.shared.read(|s| s.settings.wait_deadline);
        let deadline = tokio::time::Instant::now() + after;
        loop {
            changes.borrow_and_update();
            if let Some(found) = check(self) {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => {
                    return Err(GaveUp {
                        what: what.to_string(),
                        after,
                        violations: self.violations(),
                    });
                }
            }
        }
    }

    /// The answer to an interaction as the user sees it now, if there is one yet (what
    /// [`FakeDiscord::reply_to`] waits for).
    pub fn reply(&self, id: InteractionId) -> Option<Reply> {
        self.shared.read(|s| visible_reply(s, id))
    }

    /// Waits until `check` finds something, or panics after the wait deadline with `what` and
    /// the violations recorded so far.
    async fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&State) -> Option<T>) -> T {
        let mut changes = self.shared.subscribe();
        let deadline = self.shared.read(|s| s.settings.wait_deadline);
        let until = tokio::time::Instant::now() + deadline;
        loop {
            changes.borrow_and_update();
            if let Some(found) = self.shared.read(&mut check) {
                return found;
            }
            match tokio::time::timeout_at(until, changes.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => {
                    let violations = self.violations();
                    panic!(
                        "gave up after {deadline:?} waiting for {what}; violations so far: {violations:#?}"
                    );
                }
            }
        }
    }

    /// Waits until the bot is connected (READY sent) and has registered its commands.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_until_ready(&self) {
        self.wait_for("the bot to connect and register its commands", |s| {
            let registered = s.guild_commands.is_some() || s.global_commands.is_some();
            (s.gateway.ready_count > 0 && registered).then_some(())
        })
        .await
    }

    /// Waits until the bot has identified and received READY.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_until_connected(&self) {
        self.wait_for("the bot to identify", |s| {
            (s.gateway.ready_count > 0).then_some(())
        })
        .await
    }

    /// Waits until the gateway closed a connection with a code, and returns the latest code.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_for_gateway_close(&self) -> u16 {
        self.wait_for("the gateway to close a connection", |s| {
            s.gateway.close_codes.last().copied()
        })
        .await
    }

    /// Waits until `count` heartbeats were acknowledged.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_for_heartbeats(&self, count: u64) {
        self.wait_for(&format!("{count} heartbeats"), |s| {
            (s.gateway.heartbeats >= count).then_some(())
        })
        .await
    }

    /// Waits until a session was resumed `count` times in total.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_for_resumes(&self, count: u64) {
        self.wait_for(&format!("{count} resumed sessions"), |s| {
            (s.gateway.resumed_count >= count).then_some(())
        })
        .await
    }

    /// Waits until the interaction shows its answer: the reply message, the original after a
    /// deferred response has been edited (or filled by the first follow-up), the updated
    /// message of a component, or a modal.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn reply_to(&self, id: InteractionId) -> Reply {
        self.reply_matching(id, |_| true).await
    }

    /// Waits until the interaction's visible answer satisfies `accept` (for answers that are
    /// edited more than once, e.g. "working..." then the result).
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn reply_matching(
        &self,
        id: InteractionId,
        accept: impl Fn(&Reply) -> bool,
    ) -> Reply {
        self.wait_for(&format!("the answer to interaction {}", id.0), |s| {
            visible_reply(s, id).filter(|r| accept(r))
        })
        .await
    }

    /// Waits for a visible message in a channel that satisfies `accept`.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_for_message_in(
        &self,
        channel_id: u64,
        accept: impl Fn(&Message) -> bool,
    ) -> Message {
        self.wait_for(
            &format!("a matching message in channel {channel_id}"),
            |s| {
                channel_messages(s, channel_id)
                    .into_iter()
                    .find(|m| accept(m))
            },
        )
        .await
    }

    /// Waits for a DM to `user_id` that satisfies `accept`.
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_for_dm(&self, user_id: u64, accept: impl Fn(&Message) -> bool) -> Message {
        self.wait_for(&format!("a matching DM to user {user_id}"), |s| {
            dms(s, user_id).into_iter().find(|m| accept(m))
        })
        .await
    }

    /// Waits for a REST request (`METHOD`, path without `/api/v10`) satisfying `accept` and
    /// returns its JSON body (`Null` without one).
    ///
    /// # Panics
    /// After the wait deadline.
    pub async fn wait_for_request(&self, method: &str, accept: impl Fn(&str) -> bool) -> Value {
        self.wait_for(&format!("a {method} request"), |s| {
            s.requests
                .iter()
                .find(|r| r.method == method && accept(&r.path))
                .map(|r| r.body.json().cloned().unwrap_or(Value::Null))
        })
        .await
    }
}

/// The answer a user sees now, if the interaction has a visible one.
pub(crate) fn visible_reply(state: &State, id: InteractionId) -> Option<Reply> {
    let interaction = state.interactions.get(&id)?;
    let callback_type = interaction.initial?;
    let message = interaction
        .original
        .and_then(|m| state.messages.get(&m))
        .cloned();
    let shown = match callback_type {
        9 => true,
        5 | 6 => interaction.original_edits > 0,
        _ => message.is_some(),
    };
    shown.then(|| Reply {
        interaction: id,
        callback_type,
        message,
        modal: interaction.modal.clone(),
    })
}

/// The visible messages of a channel, oldest first.
pub(crate) fn channel_messages(state: &State, channel_id: u64) -> Vec<Message> {
    state
        .channel_log
        .get(&channel_id)
        .into_iter()
        .flatten()
        .filter_map(|id| state.messages.get(id).cloned())
        .collect()
}

/// The DMs sent to a user, oldest first.
pub(crate) fn dms(state: &State, user_id: u64) -> Vec<Message> {
    state
        .dm_channels
        .get(&user_id)
        .map(|channel| channel_messages(state, *channel))
        .unwrap_or_default()
}
