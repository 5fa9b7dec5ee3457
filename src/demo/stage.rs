//! The demo's stage: the simulated Discord and OpenRouter set up with the demo's server and
//! account, its config written to the output folder, and the bot started on them the way the
//! tests start it ([`crate::stage`]).

use std::path::Path;

use chrono::{DateTime, Utc};
use fakes::openrouter::{self as fake, Credits};
use fakes::stage::Fakes;

use super::DemoError;
use super::{cast, settings};
use crate::money::Usd;
use crate::openrouter::{ActivityRow, Usage};
use crate::stage::Stage;

/// The account's credits at the start (the team's spend is counted against them).
const CREDITS: fake::Usd = fake::Usd::from_dollars(500);

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
