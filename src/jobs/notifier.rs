//! Where jobs announce what they found. The Discord layer implements it; jobs stay free of
//! Discord types.

use async_trait::async_trait;

use crate::team::KeyRequest;
use crate::team::alerts::BudgetAlert;
use crate::team::team_alerts::{CreditsLow, Spike};
use crate::team::topup::TopUp;

/// Announcements made by scheduled jobs. Each is called once per thing to announce; delivery
/// problems are the implementation's to log.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// A key crossed a budget threshold: the alerts channel and a DM to its owner.
    async fn budget_alert(&self, alert: &BudgetAlert);
    /// Requests that expired: their cards and their requesters.
    async fn requests_expired(&self, expired: &[KeyRequest]);
    /// Top-ups whose window ended and whose limit was put back.
    async fn top_ups_reverted(&self, reverted: &[TopUp]);
    /// The account's credits are running low.
    async fn credits_low(&self, notice: &CreditsLow);
    /// A member's spend spiked today.
    async fn spike(&self, spike: &Spike);
}
