//! An answer on its way back: each chunk of a stream is passed on the moment it arrives, read
//! for its usage as it passes, and whatever ends the answer (its last chunk, OpenRouter cutting
//! it, the client hanging up) settles the request exactly once.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use super::fair_use::Running;
use super::server::GatewayState;
use super::usage::{AnswerUsage, StreamScanner};
use crate::domain::{CostSource, GatewayRequest};
use crate::team::shared_key::{Hold, SharedKey};

/// What settles a request when its answer ends, however it ends.
pub struct Settlement {
    state: Arc<GatewayState>,
    hold: Option<Hold>,
    row: Option<GatewayRequest>,
    scanner: StreamScanner,
    usage: Option<AnswerUsage>,
    /// The member's place among their requests in flight, freed with the settlement.
    _running: Running,
}

impl Settlement {
    pub fn new(
        state: Arc<GatewayState>,
        hold: Hold,
        row: GatewayRequest,
        running: Running,
    ) -> Self {
        Settlement {
            state,
            hold: Some(hold),
            row: Some(row),
            scanner: StreamScanner::default(),
            usage: None,
            _running: running,
        }
    }

    /// The usage of a whole JSON answer.
    pub fn take_usage(&mut self, usage: AnswerUsage) {
        self.usage = Some(usage);
    }

    /// Reads the next bytes of a stream.
    fn feed(&mut self, bytes: &[u8]) {
        self.scanner.feed(bytes);
    }
}

impl Drop for Settlement {
    fn drop(&mut self) {
        let (Some(hold), Some(mut row)) = (self.hold.take(), self.row.take()) else {
            return;
        };
        let usage = match self.usage.take() {
            Some(usage) => usage,
            None => std::mem::take(&mut self.scanner).finish(),
        };
        row.prompt_tokens = usage.prompt_tokens;
        row.completion_tokens = usage.completion_tokens;
        if row.generation_id.is_none() {
            row.generation_id = usage.generation_id.clone();
        }
        match usage.cost {
            Some(cost) => {
                let shared = &self.state.shared;
                row.cost = Some(cost);
                row.cost_source = Some(CostSource::Answer);
                row.settled_at = Some(shared.now());
                if let Some(raise) = shared.settle_now(&hold, row) {
                    let shared: SharedKey = shared.clone();
                    tokio::spawn(async move { shared.raise_lease(raise).await });
                }
            }
            None => {
                let shared: SharedKey = self.state.shared.clone();
                // The usage never came (the client hung up, or OpenRouter cut the stream):
                // OpenRouter's record of the generation says what it charged.
                let state = self.state.clone();
                tokio::spawn(async move {
                    let waits = SharedKey::patient_waits();
                    shared
                        .settle_from_generation(Some(&hold), row, &state.upstream, &waits)
                        .await;
                });
            }
        }
    }
}

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// A stream's chunks, passed on as they come; dropping it (the client hung up) settles too.
pub struct Relay {
    chunks: Chunks,
    settlement: Option<Settlement>,
}

impl Relay {
    pub fn new(
        chunks: impl Stream<Item = Result<Bytes, reqwest::Error>> + Send + 'static,
        settlement: Settlement,
    ) -> Relay {
        Relay {
            chunks: Box::pin(chunks),
            settlement: Some(settlement),
        }
    }
}

impl Stream for Relay {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.chunks.as_mut().poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(bytes))) => {
                if let Some(settlement) = self.settlement.as_mut() {
                    settlement.feed(&bytes);
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => {
                // OpenRouter cut the stream: the client's connection is cut too, as it was.
                self.settlement = None;
                let message = crate::secret::redact_keys(&e.to_string());
                tracing::warn!(error = %message, "OpenRouter's stream was cut off");
                Poll::Ready(Some(Err(std::io::Error::other(message))))
            }
            Poll::Ready(None) => {
                self.settlement = None;
                Poll::Ready(None)
            }
        }
    }
}
