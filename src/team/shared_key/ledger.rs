//! The ledger's one writer. Requests hand their rows over without waiting; the writer takes
//! everything queued since its last write and commits it in one transaction (group commit), so
//! one disk flush serves every request of that moment, and a request never waits on one.
//!
//! A failed write keeps its rows and tries again, with the rows queued meanwhile; nothing is
//! dropped while the bot runs. What a `kill -9` can lose is what was queued and not yet
//! committed: at most one batch's moment of rows, whose holds recovery then settles from
//! OpenRouter (a held row) or which never reached the database (see the README).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::domain::GatewayRequest;
use crate::store::Store;

/// The most rows one transaction takes.
const MAX_BATCH: usize = 2_000;
/// How long the writer lets rows gather before a write: fewer, larger transactions, and a quick
/// request's held and settled states in one (a `kill -9` loses at most this long's rows more).
const GATHER_FOR: Duration = Duration::from_millis(5);
/// The first wait after a failed write; it doubles up to [`MAX_RETRY_WAIT`].
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(50);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

enum Message {
    Row(Box<GatewayRequest>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

/// Where gateway requests leave their rows.
#[derive(Clone)]
pub struct Ledger {
    queue: mpsc::UnboundedSender<Message>,
    depth: Arc<AtomicUsize>,
}

impl Ledger {
    /// Starts the writer on `store`; it stops once every `Ledger` is dropped and the queue is
    /// written.
    pub fn start(store: Store) -> (Ledger, tokio::task::JoinHandle<()>) {
        let (queue, inbox) = mpsc::unbounded_channel();
        let depth = Arc::new(AtomicUsize::new(0));
        let writer = tokio::spawn(write_forever(store, inbox, depth.clone()));
        (Ledger { queue, depth }, writer)
    }

    /// Queues a row (new, or a newer state of one already queued or written).
    pub fn record(&self, row: GatewayRequest) {
        self.depth.fetch_add(1, Ordering::AcqRel);
        if self.queue.send(Message::Row(Box::new(row))).is_err() {
            self.depth.fetch_sub(1, Ordering::AcqRel);
            tracing::error!("the ledger writer has stopped; a gateway request's row is lost");
        }
    }

    /// Rows queued and not yet committed.
    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Acquire)
    }

    /// Waits until every row queued before this call is committed.
    pub async fn flush(&self) {
        let (done, committed) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).is_ok() {
            let _ = committed.await;
        }
    }
}

async fn write_forever(
    store: Store,
    mut inbox: mpsc::UnboundedReceiver<Message>,
    depth: Arc<AtomicUsize>,
) {
    let mut batch: Vec<GatewayRequest> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        if batch.is_empty() && waiting.is_empty() {
            match inbox.recv().await {
                Some(message) => take(message, &mut batch, &mut waiting),
                None => return,
            }
            if waiting.is_empty() {
                // A moment for more rows to come: a quick request's held and settled states
                // then make one write instead of two.
                tokio::time::sleep(GATHER_FOR).await;
            }
        }
        while batch.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(message) => take(message, &mut batch, &mut waiting),
                Err(_) => break,
            }
        }
        let rows = latest_per_request(std::mem::take(&mut batch));
        let count = rows.len();
        write_until_done(&store, &rows).await;
        depth.fetch_sub(count.min(depth.load(Ordering::Acquire)), Ordering::AcqRel);
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

fn take(message: Message, batch: &mut Vec<GatewayRequest>, waiting: &mut Vec<oneshot::Sender<()>>) {
    match message {
        Message::Row(row) => batch.push(*row),
        Message::Flush(done) => waiting.push(done),
    }
}

/// One row per request: its latest state (a request's rows are queued in order).
fn latest_per_request(rows: Vec<GatewayRequest>) -> Vec<GatewayRequest> {
    let mut at: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut latest: Vec<GatewayRequest> = Vec::with_capacity(rows.len());
    for row in rows {
        match at.get(&row.id) {
            Some(&i) => latest[i] = row,
            None => {
                at.insert(row.id.clone(), latest.len());
                latest.push(row);
            }
        }
    }
    latest
}

/// Writes the rows, retrying with backoff until the database takes them. A batch the database
/// refuses as a whole (one bad row) is written row by row, so one row cannot hold back the rest.
async fn write_until_done(store: &Store, rows: &[GatewayRequest]) {
    let mut wait = FIRST_RETRY_WAIT;
    loop {
        match store.write_ledger(rows).await {
            Ok(()) => return,
            Err(e) if rows.len() > 1 => {
                tracing::warn!(error = %e, rows = rows.len(), "a ledger batch failed; writing its rows one by one");
                for row in rows {
                    Box::pin(write_until_done(store, std::slice::from_ref(row))).await;
                }
                return;
            }
            Err(e) if e.is_duplicate() && rows[0].generation_id.is_some() => {
                // Another row has this generation id already: the row is kept without it.
                tracing::warn!(request = %rows[0].id, "a ledger row's generation id is recorded already; writing the row without it");
                let mut row = rows[0].clone();
                row.generation_id = None;
                Box::pin(write_until_done(store, std::slice::from_ref(&row))).await;
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, request = %rows[0].id, "a ledger row could not be written; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY_WAIT);
            }
        }
    }
}
