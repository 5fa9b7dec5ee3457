//! Reminders about a key's age, expiry and idleness, and the optional disabling of overdue or
//! idle keys after a notice. Every notice is claimed in the database, so each is sent once.

use chrono::{DateTime, Datelike, Duration, Utc};

use super::{Actor, Member, MemberStatus, Team, TeamError, TeamKey};
use crate::clock::{days, earlier_by, later_by};
use crate::domain::LifecycleSettings;

/// Something to tell a member about their key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyNotice {
    /// The key is older than `lifecycle.max_key_age_days`: time to rotate (weekly at most).
    Rotate { age_days: i64 },
    /// The key expires at OpenRouter soon.
    Expiring { at: DateTime<Utc>, days_left: i64 },
    /// Overdue or idle keys are disabled at `on` unless the member acts.
    WillBeDisabled {
        on: DateTime<Utc>,
        why: DisableReason,
    },
    /// The key was disabled.
    Disabled { why: DisableReason },
}

/// Why the bot disables a key on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableReason {
    /// Past `lifecycle.max_key_age_days` (with `disable_overdue = true`).
    Overdue,
    /// No spend for `lifecycle.idle_key_days` (with `disable_idle = true`).
    Idle,
}

impl DisableReason {
    fn kind(self) -> &'static str {
        match self {
            DisableReason::Overdue => "overdue_notice",
            DisableReason::Idle => "idle_notice",
        }
    }
}

/// A notice for one member's key.
#[derive(Debug, Clone)]
pub struct KeyReminder {
    pub member: Member,
    pub key: TeamKey,
    pub notice: KeyNotice,
}

/// Days before expiry at which a reminder is sent, latest first.
const EXPIRY_REMINDER_DAYS: [i64; 2] = [3, 14];

impl Team {
    /// The reminders due now (each claimed, so each is returned once), after disabling the keys
    /// whose notice period is over.
    pub async fn due_key_reminders(
        &self,
        lifecycle: &LifecycleSettings,
    ) -> Result<Vec<KeyReminder>, TeamError> {
        let now = self.now();
        let grace = days(lifecycle.idle_grace_days);
        let idle: Vec<String> = self
            .store
            .idle_keys(earlier_by(now, days(lifecycle.idle_key_days)))
            .await?
            .into_iter()
            .map(|(key, _)| key.hash)
            .collect();
        let mut reminders = Vec::new();
        let mut keys_by_member = self.keys_by_member().await?;
        for member in self.store.members().await? {
            if member.status != MemberStatus::Active || member.discord_user_id.is_none() {
                continue;
            }
            for key in keys_by_member.remove(&member.id).unwrap_or_default() {
                if key.disabled {
                    continue;
                }
                let mut notices = Vec::new();
                let age_days = (now - key.created_at).num_days();
                if let Some(max) = lifecycle.max_key_age_days
                    && age_days > max
                {
                    let week = now.iso_week();
                    if self
                        .store
                        .claim_notice(
                            "rotate_reminder",
                            &key.hash,
                            &format!("{}-W{:02}", week.year(), week.week()),
                            now,
                        )
                        .await?
                    {
                        notices.push(KeyNotice::Rotate { age_days });
                    }
                    if lifecycle.disable_overdue {
                        notices.extend(
                            self.notice_then_disable(&key, DisableReason::Overdue, grace)
                                .await?,
                        );
                    }
                }
                if let Some(at) = key.expires_at
                    && at > now
                {
                    let days_left = (at - now).num_days();
                    if let Some(days) = EXPIRY_REMINDER_DAYS.iter().find(|d| days_left < **d) {
                        // A later reminder also covers the earlier ones.
                        let mut claimed = false;
                        for period in EXPIRY_REMINDER_DAYS.iter().filter(|d| *d >= days) {
                            claimed |= self
                                .store
                                .claim_notice(
                                    "expiry_reminder",
                                    &key.hash,
                                    &period.to_string(),
                                    now,
                                )
                                .await?
                                && period == days;
                        }
                        if claimed {
                            notices.push(KeyNotice::Expiring { at, days_left });
                        }
                    }
                }
                if lifecycle.disable_idle && idle.contains(&key.hash) {
                    notices.extend(
                        self.notice_then_disable(&key, DisableReason::Idle, grace)
                            .await?,
                    );
                }
                reminders.extend(notices.into_iter().map(|notice| KeyReminder {
                    member: member.clone(),
                    key: key.clone(),
                    notice,
                }));
            }
        }
        Ok(reminders)
    }

    /// First a notice that the key will be disabled after `grace`; once the grace is over, the
    /// key is disabled (and audited).
    async fn notice_then_disable(
        &self,
        key: &TeamKey,
        why: DisableReason,
        grace: Duration,
    ) -> Result<Option<KeyNotice>, TeamError> {
        let now = self.now();
        // The period names the key's creation, so a rotated (new) key starts over.
        let period = key.created_at.timestamp().to_string();
        match self
            .store
            .notice_sent_at(why.kind(), &key.hash, &period)
            .await?
        {
            None => {
                if self
                    .store
                    .claim_notice(why.kind(), &key.hash, &period, now)
                    .await?
                {
                    return Ok(Some(KeyNotice::WillBeDisabled {
                        on: later_by(now, grace),
                        why,
                    }));
                }
                Ok(None)
            }
            Some(noticed) if now - noticed >= grace => {
                self.set_disabled_at_openrouter(key, true).await?;
                let owner = self.key_owner_name(&key.hash).await?;
                let reason = match why {
                    DisableReason::Overdue => "older than lifecycle.max_key_age_days",
                    DisableReason::Idle => "idle for lifecycle.idle_key_days",
                };
                self.audit(
                    &Actor::bot(),
                    "disable_key",
                    &owner,
                    format!(
                        "{}: {reason}, notice given {}",
                        key.name,
                        noticed.format("%Y-%m-%d")
                    ),
                )
                .await?;
                Ok(Some(KeyNotice::Disabled { why }))
            }
            Some(_) => Ok(None),
        }
    }
}
