//! Where jobs announce what they found. The Discord layer implements it; jobs stay free of
//! Discord types.

use async_trait::async_trait;

use std::collections::HashSet;

use crate::report::DigestChart;
use crate::team::TopUp;
use crate::team::budget_alerts::BudgetAlert;
use crate::team::credit_and_spike_alerts::{CreditsLow, Spike};
use crate::team::digest::Digest;
use crate::team::lifecycle::Departure;
use crate::team::pace_alerts::PaceAlert;
use crate::team::reminders::KeyReminder;
use crate::team::{DiscordId, KeyRequest};

/// Announcements made by scheduled jobs. Each is called once per thing to announce; delivery
/// problems are the implementation's to log.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Keys crossed budget thresholds: each alert in the alerts channel, in order, and a DM to
    /// its owner (DMs may go out together, within Discord's rate limits).
    async fn budget_alerts(&self, alerts: &[BudgetAlert]);
    /// A key is on track to pass its limit before it resets: the alerts channel and its owner.
    async fn pace_alert(&self, alert: &PaceAlert);
    /// Requests that expired: their cards and their requesters.
    async fn requests_expired(&self, expired: &[KeyRequest]);
    /// Top-ups whose window ended and whose limit was put back.
    async fn top_ups_reverted(&self, reverted: &[TopUp]);
    /// The account's credits are running low.
    async fn credits_low(&self, notice: &CreditsLow);
    /// A member's spend spiked today.
    async fn spike(&self, spike: &Spike);
    /// A reminder or notice about a member's key (DM).
    async fn key_reminder(&self, reminder: &KeyReminder);
    /// Members found gone by the reconcile (the audit line is already posted).
    async fn departed(&self, departures: &[Departure]);
    /// The database file was deleted or moved while the bot runs (said once).
    async fn database_vanished(&self, path: &std::path::Path);
    /// Posts the weekly digest to the reports channel, each message with a nonce derived from
    /// `nonce` so a retry does not post twice. Returns the first message's id.
    async fn weekly_digest(
        &self,
        digest: &Digest,
        chart: Option<&DigestChart>,
        nonce: &str,
    ) -> Result<Option<i64>, String>;
}

/// Who is in the server, for reconciling the roster with it.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Every member of the server (all pages).
    async fn member_ids(&self) -> Result<HashSet<DiscordId>, String>;
}
