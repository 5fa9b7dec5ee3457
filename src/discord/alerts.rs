//! What the scheduled jobs announce, as Discord posts: budget alerts (with a top-up button from
//! 80 %), expired requests, reverted top-ups, credits and spike warnings.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateMessage, Http};

use super::custom_id::Action;
use super::notify::{dm, dm_message, quiet, refresh_card};
use super::render::{self, when};
use super::types::Channels;
use std::collections::HashSet;

use super::digest::digest_message_parts;
use crate::domain::{Access, count_of};
use crate::jobs::{Directory, Notifier};
use crate::report::DigestChart;
use crate::team::DiscordId;
use crate::team::TopUp;
use crate::team::budget_alerts::BudgetAlert;
use crate::team::credit_and_spike_alerts::{CreditsLow, Spike};
use crate::team::digest::Digest;
use crate::team::lifecycle::Departure;
use crate::team::pace_alerts::PaceAlert;
use crate::team::reminders::{DisableReason, KeyNotice, KeyReminder};
use crate::team::{KeyRequest, Member, RequestStatus, Team};

/// Budget alert DMs sent at once: each opens its own DM channel, and Discord's global limit
/// (50 requests a second) leaves room for the rest of the bot.
const DMS_AT_ONCE: usize = 8;

/// Posts job announcements to the configured channels and DMs.
pub struct DiscordNotifier {
    pub http: Arc<Http>,
    pub guild_id: serenity::GuildId,
    pub channels: Channels,
    pub team: Team,
}

impl DiscordNotifier {
    async fn post(&self, channel: serenity::ChannelId, message: CreateMessage) {
        if let Err(e) = channel
            .send_message(&self.http, message.allowed_mentions(quiet()))
            .await
        {
            tracing::warn!(error = %e, channel = %channel, "could not post an announcement");
        }
    }
}

/// The window of a budget, in words: "today (UTC)", "this week", ...
fn window_words(alert: &BudgetAlert) -> &'static str {
    match alert.key.reset {
        crate::reset::LimitReset::Daily => "today (UTC)",
        crate::reset::LimitReset::Weekly => "this week (UTC, from Monday)",
        crate::reset::LimitReset::Monthly => "this month (UTC)",
        crate::reset::LimitReset::Never => "in total",
    }
}

/// A budget alert's colour: red at the limit, yellow from 80 %, blue below.
fn alert_color(alert: &BudgetAlert) -> u32 {
    if alert.threshold >= 100 {
        render::RED
    } else if alert.threshold >= 80 {
        render::YELLOW
    } else {
        render::BLUE
    }
}

/// Who owns an alerted key: the member with a mention, or nobody.
fn owner_words(member: Option<&Member>) -> String {
    member
        .map(|m| match m.discord_user_id {
            Some(id) => format!("{} (<@{id}>)", m.name),
            None => m.name.to_string(),
        })
        .unwrap_or_else(|| "nobody (unowned key)".into())
}

/// The embed of a budget alert.
pub fn budget_alert_embed(alert: &BudgetAlert) -> CreateEmbed {
    let who = owner_words(alert.member.as_ref());
    let color = alert_color(alert);
    CreateEmbed::new()
        .title(render::truncate(
            &{
                let name = alert
                    .member
                    .as_ref()
                    .map(|m| m.name.to_string())
                    .unwrap_or_else(|| alert.key.name.clone());
                if alert.exhausted {
                    format!(
                        "Budget alert: {name} at the end of its limit ({}% used)",
                        alert.percent
                    )
                } else {
                    format!("Budget alert: {name} at {}% of its limit", alert.percent)
                }
            },
            render::TITLE_MAX,
        ))
        .color(color)
        .description(if alert.exhausted {
            format!(
                "{} {}% threshold reached: what is left is too little for another request, so the gateway refuses them until the limit resets.",
                render::progress_bar(alert.percent),
                alert.threshold
            )
        } else {
            format!(
                "{} {}% threshold crossed.",
                render::progress_bar(alert.percent),
                alert.threshold
            )
        })
        .field("Member", who, true)
        .field("Key", render::key_name(&alert.key.name), true)
        .field(
            "Spent",
            format!("{} {}", alert.spent, window_words(alert)),
            true,
        )
        .field(
            "Limit",
            format!("{} {}", alert.limit, alert.key.reset.per_period()),
            true,
        )
        .field(
            "Resets",
            alert
                .window
                .end
                .map(when)
                .unwrap_or_else(|| "never (lifetime limit)".into()),
            true,
        )
}

/// A pace warning in the alerts channel: who, how fast, and when the limit comes.
pub fn pace_alert_embed(alert: &PaceAlert) -> CreateEmbed {
    let who = owner_words(alert.member.as_ref());
    let name = alert
        .member
        .as_ref()
        .map(|m| m.name.to_string())
        .unwrap_or_else(|| alert.key.name.clone());
    let resets = alert
        .window
        .end
        .map(|end| format!(", before the limit resets {}", render::relative(end)))
        .unwrap_or_default();
    let embed = CreateEmbed::new()
        .title(render::truncate(
            &format!("Budget pace: {name} is on track to pass the limit before it resets"),
            render::TITLE_MAX,
        ))
        .color(render::YELLOW)
        .description(format!(
            "At {} an hour (the rate between the last two syncs), {who} reaches the {} {} limit {} ({}){resets}.",
            alert.per_hour,
            alert.limit,
            alert.key.reset.adjective(),
            render::relative(alert.reaches_limit_at),
            render::when(alert.reaches_limit_at),
        ))
        .field("Key", render::key_name(&alert.key.name), true)
        .field(
            "Spent",
            format!("{} ({}%)", alert.spent, alert.percent()),
            true,
        );
    render::stamped(embed, alert.reaches_limit_at)
}

/// A pace warning as the member's own DM.
pub fn member_pace_alert_embed(alert: &PaceAlert) -> CreateEmbed {
    let resets = alert
        .window
        .end
        .map(|end| format!(", before it resets {}", render::relative(end)))
        .unwrap_or_default();
    CreateEmbed::new()
        .title(format!(
            "Your budget: {}% used, and going fast",
            alert.percent()
        ))
        .color(render::YELLOW)
        .description(format!(
            "At your rate between the last two syncs ({} an hour), you reach your {} {} limit {}{resets}.",
            alert.per_hour,
            alert.limit,
            alert.key.reset.adjective(),
            render::relative(alert.reaches_limit_at),
        ))
        .field("Key", render::key_name(&alert.key.name), true)
}

/// The budget alert as the member's own DM: spoken to them, saying what happens now and when
/// the limit resets.
pub fn member_budget_alert_embed(alert: &BudgetAlert) -> CreateEmbed {
    let limit = format!("{} {} limit", alert.limit, alert.key.reset.adjective());
    let resets = alert.window.end.map(render::relative);
    let refused_by = match alert.key.access {
        Access::Gateway => "the gateway refuses your requests",
        Access::Key => "OpenRouter refuses your key's requests",
    };
    let mut description = if alert.threshold >= 100 {
        match &resets {
            Some(resets) => format!(
                "You have used {}% of your {limit}: {refused_by} until the limit resets {resets}.",
                alert.percent
            ),
            None => format!(
                "You have used {}% of your {limit}: {refused_by} until an admin raises it.",
                alert.percent
            ),
        }
    } else {
        match &resets {
            Some(resets) => format!(
                "You have used {}% of your {limit}; it resets {resets}.",
                alert.percent
            ),
            None => format!("You have used {}% of your {limit}.", alert.percent),
        }
    };
    if alert.offers_top_up() {
        description.push_str(" If you need more before then, ask the admins for a top-up below.");
    }
    let color = alert_color(alert);
    let mut embed = CreateEmbed::new()
        .title(format!("Your budget: {}% used", alert.percent))
        .color(color)
        .description(format!(
            "{} {description}",
            render::progress_bar(alert.percent)
        ))
        .field("Key", render::key_name(&alert.key.name), true)
        .field(
            "Spent",
            format!("{} {}", alert.spent, window_words(alert)),
            true,
        );
    if let Some(end) = alert.window.end {
        embed = embed.field("Resets", render::when(end), true);
        embed = render::stamped(embed, end);
    }
    embed
}

fn top_up_button(alert: &BudgetAlert) -> Vec<CreateActionRow> {
    let id = Action::OpenTopUpForm(alert.key.hash.clone()).id();
    if !alert.offers_top_up() || alert.member.is_none() || id.len() > 100 {
        return vec![];
    }
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(id)
            .label("Request top-up")
            .style(ButtonStyle::Primary),
    ])]
}

#[async_trait]
impl Notifier for DiscordNotifier {
    async fn budget_alerts(&self, alerts: &[BudgetAlert]) {
        // The alerts channel is one rate-limit bucket, so its posts go in order; each DM is a
        // channel of its own, so several go at once.
        let posts = async {
            for alert in alerts {
                self.post(
                    self.channels.alerts,
                    CreateMessage::new()
                        .embed(budget_alert_embed(alert))
                        .components(top_up_button(alert)),
                )
                .await;
            }
        };
        let mut messages = Vec::new();
        for alert in alerts {
            if let Some(user) = alert.member.as_ref().and_then(|m| m.discord_user_id) {
                let message = dm_message(member_budget_alert_embed(alert), top_up_button(alert));
                messages.push((serenity::UserId::new(user.0), message));
            }
        }
        let http = &self.http;
        let dms = async {
            let mut sending = futures_util::stream::iter(messages)
                .map(|(user, message)| dm(http, user, message))
                .buffer_unordered(DMS_AT_ONCE);
            while sending.next().await.is_some() {}
        };
        tokio::join!(posts, dms);
    }

    async fn pace_alert(&self, alert: &PaceAlert) {
        self.post(
            self.channels.alerts,
            CreateMessage::new().embed(pace_alert_embed(alert)),
        )
        .await;
        if let Some(user) = alert.member.as_ref().and_then(|m| m.discord_user_id) {
            dm(
                &self.http,
                serenity::UserId::new(user.0),
                dm_message(member_pace_alert_embed(alert), vec![]),
            )
            .await;
        }
    }

    async fn requests_expired(&self, expired: &[KeyRequest]) {
        for request in expired {
            let tier = self.team.tier_of_request(request);
            if let Err(e) =
                refresh_card(&self.http, request, tier, request.member_id.is_some()).await
            {
                tracing::warn!(error = %e, request = request.id, "could not mark an expired request's card");
            }
            let what = match request.status {
                RequestStatus::Expired if request.decided_at.is_some() => {
                    "was approved, but the key was not revealed in time"
                }
                _ => "was not decided in time",
            };
            let embed = CreateEmbed::new()
                .title("Your OpenRouter key request expired")
                .description(format!(
                    "Request #{} {what}. Run /mykey to ask again.",
                    request.id
                ))
                .color(render::GREY);
            dm(
                &self.http,
                serenity::UserId::new(request.requester.0),
                dm_message(embed, vec![]),
            )
            .await;
        }
    }

    async fn top_ups_reverted(&self, reverted: &[TopUp]) {
        for top_up in reverted {
            let embed = CreateEmbed::new()
                .title("Your top-up has ended")
                .description(format!(
                    "The {} top-up on your key ended when its budget window reset; the usual limit applies again.",
                    top_up.amount
                ))
                .color(render::GREY);
            dm(
                &self.http,
                serenity::UserId::new(top_up.requested_by.0),
                dm_message(embed, vec![]),
            )
            .await;
        }
    }

    async fn credits_low(&self, notice: &CreditsLow) {
        let runway = notice
            .runway_days
            .map(|d| {
                format!(
                    "about {} at the last week's pace ({} a day)",
                    count_of(d, "day"),
                    notice.daily_burn
                )
            })
            .unwrap_or_else(|| "nothing was spent in the last week".into());
        let embed = CreateEmbed::new()
            .title("OpenRouter credits are running low")
            .color(render::RED)
            .description(format!(
                "{} left of {} bought: {runway}. Add credits at https://openrouter.ai/settings/credits before keys stop working.",
                notice.credits.balance(),
                notice.credits.total_credits
            ));
        self.post(self.channels.alerts, CreateMessage::new().embed(embed))
            .await;
    }

    async fn spike(&self, spike: &Spike) {
        let who = match spike.member.discord_user_id {
            Some(id) => format!("{} (<@{id}>)", spike.member.name),
            None => spike.member.name.to_string(),
        };
        let embed = CreateEmbed::new()
            .title(format!("Spend spike: {}", spike.member.name))
            .color(render::YELLOW)
            .description(format!(
                "{who} has spent {} today (UTC), against a usual {} a day over the last week.",
                spike.today, spike.usual
            ));
        self.post(self.channels.alerts, CreateMessage::new().embed(embed))
            .await;
    }

    async fn key_reminder(&self, reminder: &KeyReminder) {
        let Some(user) = reminder.member.discord_user_id else {
            return;
        };
        let key = format!("`{}`", reminder.key.name);
        let why = |why: DisableReason| match why {
            DisableReason::Overdue => "it is older than the team's maximum key age",
            DisableReason::Idle => "it has not been used for a long time",
        };
        let (title, text, rotate) = match &reminder.notice {
            KeyNotice::Rotate { age_days } => (
                "Time to rotate your OpenRouter key",
                format!(
                    "Your key {key} is {} old. Rotate it: you get a new key (shown once) and the old one is deleted.",
                    count_of(*age_days, "day")
                ),
                true,
            ),
            KeyNotice::Expiring { at, days_left } => (
                "Your OpenRouter key expires soon",
                format!(
                    "Your key {key} expires {} (in {}). Rotate it to get a fresh one.",
                    when(*at),
                    count_of(*days_left, "day")
                ),
                true,
            ),
            KeyNotice::WillBeDisabled { on, why: reason } => (
                "Your OpenRouter key will be disabled",
                format!(
                    "Your key {key} will be disabled {} because {}. Rotate it (or use it) before then to keep working.",
                    when(*on),
                    why(*reason)
                ),
                true,
            ),
            KeyNotice::Disabled { why: reason } => (
                "Your OpenRouter key was disabled",
                format!(
                    "Your key {key} was disabled because {}. Run /mykey to rotate it, or ask an admin to enable it.",
                    why(*reason)
                ),
                false,
            ),
        };
        let rows = if rotate {
            vec![CreateActionRow::Buttons(vec![
                CreateButton::new(Action::Rotate.id())
                    .label("Rotate")
                    .style(ButtonStyle::Primary),
            ])]
        } else {
            vec![]
        };
        let embed = CreateEmbed::new()
            .title(title)
            .description(text)
            .color(render::YELLOW);
        dm(
            &self.http,
            serenity::UserId::new(user.0),
            dm_message(embed, rows),
        )
        .await;
    }

    async fn departed(&self, departures: &[Departure]) {
        tracing::info!(
            count = departures.len(),
            "members who left while the bot was away were handled"
        );
    }

    async fn database_vanished(&self, path: &std::path::Path) {
        let embed = CreateEmbed::new()
            .title("The bot's database file is gone")
            .description(format!(
                "`{}` was deleted or moved while the bot runs. What the bot records from now on \
                 (requests, approvals, keys) is lost when it stops. Stop the bot, put the file \
                 back (or restore a backup), then start it again.",
                path.display()
            ))
            .color(render::RED);
        self.post(self.channels.alerts, CreateMessage::new().embed(embed))
            .await;
    }

    async fn weekly_digest(
        &self,
        digest: &Digest,
        chart: Option<&DigestChart>,
        nonce: &str,
    ) -> Result<Option<i64>, String> {
        let mut first = None;
        for (i, part) in digest_message_parts(digest, chart).iter().enumerate() {
            let message = part
                .to_message()
                .nonce(serenity::Nonce::String(format!("{nonce}-{i}")))
                .enforce_nonce(true)
                .allowed_mentions(quiet());
            let posted = self
                .channels
                .reports
                .send_message(&self.http, message)
                .await
                .map_err(|e| format!("posting the digest failed: {e}"))?;
            first.get_or_insert(posted.id.get() as i64);
        }
        Ok(first)
    }
}

#[async_trait]
impl Directory for DiscordNotifier {
    async fn member_ids(&self) -> Result<HashSet<DiscordId>, String> {
        let mut ids = HashSet::new();
        let mut after: Option<serenity::UserId> = None;
        loop {
            let page = self
                .guild_id
                .members(&self.http, Some(1000), after)
                .await
                .map_err(|e| format!("listing the server's members failed: {e}"))?;
            let full = page.len() == 1000;
            after = page.last().map(|m| m.user.id);
            ids.extend(page.iter().map(|m| DiscordId(m.user.id.get())));
            if !full {
                return Ok(ids);
            }
        }
    }
}
