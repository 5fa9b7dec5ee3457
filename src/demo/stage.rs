//! The demo's stage: the simulated Discord and OpenRouter set up with the demo's server and
//! account, its config written to the output folder, and the bot started on them the way the
//! tests start it ([`crate::stage`]); what the story reads of the bot's gateway and of what the
//! simulated OpenRouter charged it.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fakes::openrouter::{self as fake, Credits};
use fakes::stage::Fakes;

use super::DemoError;
use super::cast::Person;
use super::{cast, settings};
use crate::domain::{DiscordId, GatewayRequest};
use crate::money::{NanoUsd, Usd};
use crate::openrouter::{ActivityRow, Usage};
use crate::stage::Stage;

/// The account's credits at the start (the team's spend is counted against them).
const CREDITS: fake::Usd = fake::Usd::from_dollars(500);

/// How long every answer of the simulated models is when nothing caps it: longer than the
/// shared tier's `max_output_tokens`, so each answer is as long as the gateway lets it be.
const ANSWER_TOKENS: u64 = 12_000;

/// How long the gateway may take to settle a request against the local fake (it takes a few
/// milliseconds).
const SETTLE_WITHIN: Duration = Duration::from_secs(10);

/// Starts both fakes at `start`, writes the config to `config_file` (with the database at
/// `database`), and starts the bot on them.
pub async fn open(
    config_file: &Path,
    database: &Path,
    start: DateTime<Utc>,
) -> Result<Stage, DemoError> {
    let fakes = Fakes::start(cast::guild(), start).await?;
    fakes.openrouter.set_credits(Credits {
        total_credits: CREDITS,
        total_usage: fake::Usd::ZERO,
    });
    fakes.openrouter.plan_completions(fake::CompletionPlan {
        completion_tokens: ANSWER_TOKENS,
        tokens_per_chunk: ANSWER_TOKENS,
        ..fake::CompletionPlan::new()
    });
    let text = settings::config_text(&fakes, database)?;
    std::fs::write(config_file, &text).map_err(|e| DemoError::write(config_file, e))?;
    Ok(Stage::open(fakes, text).await?)
}

/// Tells the simulated OpenRouter what the account has used, given the team's spend so far.
pub fn set_account_usage(stage: &Stage, used: Usd) {
    stage.openrouter.set_credits(Credits {
        total_credits: CREDITS,
        total_usage: fake_usd(used),
    });
}

/// Sets the counters the simulated OpenRouter reports for a key.
pub fn set_key_usage(stage: &Stage, hash: &str, usage: Usage) {
    stage.openrouter.set_usage(
        hash,
        fake::Usage {
            total: fake_usd(usage.total),
            daily: fake_usd(usage.daily),
            weekly: fake_usd(usage.weekly),
            monthly: fake_usd(usage.monthly),
        },
    );
}

/// Adds a row of a key's activity at the simulated OpenRouter.
pub fn add_key_activity(stage: &Stage, hash: &str, row: ActivityRow) {
    stage.openrouter.add_activity(
        hash,
        fake::ActivityRow {
            date: row.date,
            model: row.model,
            usage: fake_usd(row.usage),
            requests: row.requests,
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
        },
    );
}

/// The same amount in the simulated OpenRouter's own money type.
fn fake_usd(amount: Usd) -> fake::Usd {
    fake::Usd::from_micros(amount.micros())
}

/// What the simulated OpenRouter charged the team's inference key from `since` up to `until`:
/// the requests the gateway forwarded, the only ones of the demo made with that key.
pub fn gateway_spent(stage: &Stage, since: DateTime<Utc>, until: DateTime<Utc>) -> Usd {
    let nanos: i64 = stage
        .openrouter
        .generations()
        .iter()
        .filter(|g| g.created_at >= since && g.created_at <= until)
        .map(|g| g.cost_nanos)
        .sum();
    NanoUsd::from_nanos(nanos).to_usd_rounded_up()
}

/// The hash of `person`'s live gateway token, as the bot stores it.
pub async fn gateway_token_of(stage: &Stage, person: Person) -> Result<String, DemoError> {
    let store = stage
        .store()
        .ok_or_else(|| DemoError::story("the bot is not running"))?;
    let member = store
        .member_by_discord_id(DiscordId(person.id))
        .await?
        .ok_or_else(|| DemoError::story(format!("{} is not on the team", person.display_name)))?;
    store
        .keys_of_member(member.id)
        .await?
        .into_iter()
        .find(|k| k.is_gateway_token() && k.is_live())
        .map(|k| k.hash)
        .ok_or_else(|| DemoError::story(format!("{} has no gateway token", person.display_name)))
}

/// Waits until the gateway has settled every request made with the token `token_hash` since
/// `since` and written it to its ledger, so that the next request's budget and the next sync
/// count what it cost.
pub async fn gateway_settled(
    stage: &Stage,
    token_hash: &str,
    since: DateTime<Utc>,
) -> Result<(), DemoError> {
    let (Some(gateway), Some(store)) = (stage.bot().and_then(|b| b.gateway()), stage.store())
    else {
        return Err(DemoError::story("the bot's gateway is not running"));
    };
    let deadline = tokio::time::Instant::now() + SETTLE_WITHIN;
    loop {
        // Every request's row is queued before its answer is sent, so once the queue is written
        // each request has its row: held while it runs, settled once its cost is counted.
        gateway.shared().ledger().flush().await;
        let rows = store.ledger_of_key(token_hash, since).await?;
        if rows.iter().all(GatewayRequest::is_settled) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(DemoError::story(format!(
                "the gateway did not settle its requests within {} seconds",
                SETTLE_WITHIN.as_secs()
            )));
        }
        tokio::task::yield_now().await;
    }
}
