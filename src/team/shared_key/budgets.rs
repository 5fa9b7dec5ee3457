//! Every gateway token's budget window as this gateway holds it: what its requests have spent,
//! what running requests hold, and the lease of the window this instance took in the database.
//!
//! A request's hold is admitted in memory against the lease, so the request path does not touch
//! the database; only when the lease runs short does one request per token take more of it, in
//! one transaction that never lets all gateways' leases together pass the limit. One gateway
//! takes a large part at once; several on one database share the window exactly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::money::NanoUsd;
use crate::reset::{BudgetWindow, LimitReset};
use crate::store::{Store, StoreError};
use crate::team::budget_hold::{
    Admission, ModelPrices, RequestSize, WindowSpend, admit, whole_bound,
};

/// The least part of a limit a lease grows by at once (one eighth): few grabs per window, and
/// a second gateway still finds most of a budget free.
const LEASE_PART: i64 = 8;

/// One token's window in this gateway.
#[derive(Debug, Clone, Copy)]
struct Book {
    window: BudgetWindow,
    /// Granted to this instance in the database.
    lease: NanoUsd,
    /// What the other instances' leases took, as of the last grab.
    others: NanoUsd,
    /// Settled by this instance's requests in the window.
    spent: NanoUsd,
    /// Held by this instance's running requests.
    held: NanoUsd,
    /// When a request last used the book.
    used_at: DateTime<Utc>,
}

/// One request's hold as asked of a token's book.
#[derive(Clone, Copy)]
struct Ask<'a> {
    key_hash: &'a str,
    window: BudgetWindow,
    limit: NanoUsd,
    prices: &'a ModelPrices,
    size: &'a RequestSize,
    now: DateTime<Utc>,
}

/// How a hold may fit what the lease has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// Only with the request's whole output cap: a lease that is merely short grows first.
    Whole,
    /// With the output cap lowered to what is left, when the window has no more to give.
    LoweredIfNeeded,
}

/// A token's limit as the gateway applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLimit {
    pub limit: Option<NanoUsd>,
    pub reset: LimitReset,
}

/// A hold taken for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub key_hash: String,
    pub window_start: DateTime<Utc>,
    pub amount: NanoUsd,
    /// The output cap the request must be given, if the rule lowered or set one.
    pub output_cap: Option<u64>,
}

/// A lease that must grow in the database to cover what a request really cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRaise {
    key_hash: String,
    window_start: DateTime<Utc>,
    amount: NanoUsd,
    at: DateTime<Utc>,
}

/// Why no hold was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    /// What the member has left in the window.
    pub remaining: NanoUsd,
    pub window: BudgetWindow,
    pub reset: LimitReset,
}

/// Every token's book, and the database their leases are kept in.
#[derive(Clone)]
pub struct Budgets {
    store: Store,
    instance: Arc<str>,
    books: Arc<Mutex<HashMap<String, Book>>>,
    /// One lease grab at a time per token in this gateway.
    grabbing: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Budgets {
    pub fn new(store: Store, instance: Arc<str>) -> Budgets {
        Budgets {
            store,
            instance,
            books: Arc::default(),
            grabbing: Arc::default(),
        }
    }

    /// Holds the cost bound of a request (of `size`, to a model priced `prices`) against the
    /// token's window at `now`, or says how much is left.
    pub async fn hold(
        &self,
        key_hash: &str,
        limit: TokenLimit,
        prices: &ModelPrices,
        size: &RequestSize,
        now: DateTime<Utc>,
    ) -> Result<Result<Hold, OverBudget>, StoreError> {
        let window = limit.reset.window_at(now);
        let Some(limit_nanos) = limit.limit else {
            // No limit: nothing to protect, but the hold still caps the output as the tier asks.
            let spend = WindowSpend {
                limit: None,
                settled: NanoUsd::ZERO,
                held: NanoUsd::ZERO,
            };
            return Ok(Ok(self.take(
                key_hash,
                window,
                admit(&spend, prices, size),
                now,
            )));
        };
        let ask = Ask {
            key_hash,
            window,
            limit: limit_nanos,
            prices,
            size,
            now,
        };
        if let Some(hold) = self.try_hold(&ask, Fit::Whole) {
            return Ok(Ok(hold));
        }
        // The lease is short: take more of the window (one request per token at a time).
        let gate = self.grab_gate(key_hash);
        let _one_at_a_time = gate.lock().await;
        if let Some(hold) = self.try_hold(&ask, Fit::Whole) {
            return Ok(Ok(hold));
        }
        let book = self.book(key_hash, window, now);
        let full = whole_bound(prices, size);
        let need = (book.spent + book.held + full).saturating_sub(book.lease);
        let want = need.max(NanoUsd::from_nanos(limit_nanos.nanos() / LEASE_PART));
        let lease = self
            .store
            .grab_lease(
                key_hash,
                window.start,
                &self.instance,
                limit_nanos,
                want,
                now,
            )
            .await?;
        {
            let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(book) = books.get_mut(key_hash)
                && book.window == window
            {
                book.lease = book.lease.max(lease.amount);
                book.others = lease.others;
            }
        }
        // Now the lease holds all the window can give: a request that does not fit it whole
        // may still be served with a lower output cap.
        if let Some(hold) = self.try_hold(&ask, Fit::LoweredIfNeeded) {
            return Ok(Ok(hold));
        }
        let book = self.book(key_hash, window, now);
        Ok(Err(OverBudget {
            remaining: limit_nanos.saturating_sub(book.others + book.spent + book.held),
            window,
            reset: limit.reset,
        }))
    }

    /// Admits the request against the lease as it stands; `None` when it does not fit as `fit`
    /// allows.
    fn try_hold(&self, ask: &Ask<'_>, fit: Fit) -> Option<Hold> {
        let Ask {
            key_hash,
            window,
            limit,
            prices,
            size,
            now,
        } = *ask;
        let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
        let book = fresh_book(&mut books, key_hash, window, now);
        // The lease never counts for more than the limit allows now (an admin may have
        // lowered it).
        let usable = book.lease.min(limit.saturating_sub(book.others));
        let spend = WindowSpend {
            limit: Some(usable),
            settled: book.spent,
            held: book.held,
        };
        if fit == Fit::Whole
            && spend
                .remaining()
                .is_some_and(|r| whole_bound(prices, size) > r)
        {
            return None;
        }
        match admit(&spend, prices, size) {
            Admission::Admit { hold, output_cap } => {
                book.held = book.held + hold;
                book.used_at = now;
                Some(Hold {
                    key_hash: key_hash.to_string(),
                    window_start: window.start,
                    amount: hold,
                    output_cap,
                })
            }
            Admission::Refuse { .. } => None,
        }
    }

    /// Records an admission without a limit.
    fn take(
        &self,
        key_hash: &str,
        window: BudgetWindow,
        admission: Admission,
        now: DateTime<Utc>,
    ) -> Hold {
        let (amount, output_cap) = match admission {
            Admission::Admit { hold, output_cap } => (hold, output_cap),
            Admission::Refuse { .. } => (NanoUsd::ZERO, None),
        };
        let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
        let book = fresh_book(&mut books, key_hash, window, now);
        book.held = book.held + amount;
        book.used_at = now;
        Hold {
            key_hash: key_hash.to_string(),
            window_start: window.start,
            amount,
            output_cap,
        }
    }

    /// Releases a hold and counts the request's real cost. When the cost passed what the lease
    /// covers (a price changed mid-request), the lease is raised to it in the database, so the
    /// other gateways see the spend.
    pub async fn settle(&self, hold: &Hold, cost: NanoUsd, now: DateTime<Utc>) {
        if let Some(raise) = self.settle_in_memory(hold, cost, now) {
            self.raise_lease(raise).await;
        }
    }

    /// [`Budgets::settle`]'s part in memory; returns the lease raise the database still needs,
    /// if any (rare: only when a request cost more than its lease covers).
    pub fn settle_in_memory(
        &self,
        hold: &Hold,
        cost: NanoUsd,
        now: DateTime<Utc>,
    ) -> Option<LeaseRaise> {
        let grown = {
            let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
            match books.get_mut(&hold.key_hash) {
                Some(book) if book.window.start == hold.window_start => {
                    book.held = book.held.saturating_sub(hold.amount);
                    book.spent = book.spent + cost;
                    book.used_at = now;
                    let used = book.spent + book.held;
                    (used > book.lease).then(|| {
                        book.lease = used;
                        used
                    })
                }
                // The window has reset since: the cost belongs to a window nobody holds now.
                _ => None,
            }
        };
        grown.map(|amount| LeaseRaise {
            key_hash: hold.key_hash.clone(),
            window_start: hold.window_start,
            amount,
            at: now,
        })
    }

    /// Raises this instance's lease in the database as a settlement found it must.
    pub async fn raise_lease(&self, raise: LeaseRaise) {
        if let Err(e) = self
            .store
            .set_lease(
                &raise.key_hash,
                raise.window_start,
                &self.instance,
                raise.amount,
                raise.at,
            )
            .await
        {
            tracing::warn!(error = %e, "a lease could not be raised to a request's real cost");
        }
    }

    /// Gives back what idle tokens' leases hold beyond their spend and holds, so another gateway
    /// on the same database can use it. Returns how many leases shrank.
    pub async fn give_back_idle(&self, idle_since: DateTime<Utc>, now: DateTime<Utc>) -> usize {
        let shrink: Vec<(String, DateTime<Utc>, NanoUsd)> = {
            let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
            books.retain(|_, book| book.window.end.is_none_or(|end| end > now));
            books
                .iter_mut()
                .filter(|(_, book)| {
                    book.used_at < idle_since && book.lease > book.spent + book.held
                })
                .map(|(hash, book)| {
                    book.lease = book.spent + book.held;
                    (hash.clone(), book.window.start, book.lease)
                })
                .collect()
        };
        for (hash, start, amount) in &shrink {
            if let Err(e) = self
                .store
                .set_lease(hash, *start, &self.instance, *amount, now)
                .await
            {
                tracing::warn!(error = %e, "an idle lease could not be given back");
            }
        }
        shrink.len()
    }

    /// What all this gateway's running requests hold.
    pub fn held(&self) -> NanoUsd {
        let books = self.books.lock().unwrap_or_else(|e| e.into_inner());
        books
            .values()
            .fold(NanoUsd::ZERO, |sum, book| sum + book.held)
    }

    fn book(&self, key_hash: &str, window: BudgetWindow, now: DateTime<Utc>) -> Book {
        let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
        *fresh_book(&mut books, key_hash, window, now)
    }

    fn grab_gate(&self, key_hash: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self.grabbing.lock().unwrap_or_else(|e| e.into_inner());
        gates.entry(key_hash.to_string()).or_default().clone()
    }
}

/// The token's book for `window`, started afresh when the window has reset.
fn fresh_book<'a>(
    books: &'a mut HashMap<String, Book>,
    key_hash: &str,
    window: BudgetWindow,
    now: DateTime<Utc>,
) -> &'a mut Book {
    let book = books.entry(key_hash.to_string()).or_insert(Book {
        window,
        lease: NanoUsd::ZERO,
        others: NanoUsd::ZERO,
        spent: NanoUsd::ZERO,
        held: NanoUsd::ZERO,
        used_at: now,
    });
    if book.window != window {
        *book = Book {
            window,
            lease: NanoUsd::ZERO,
            others: NanoUsd::ZERO,
            spent: NanoUsd::ZERO,
            held: NanoUsd::ZERO,
            used_at: now,
        };
    }
    book
}
