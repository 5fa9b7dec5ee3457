//! `demo`: plays the whole bot against a simulated Discord and OpenRouter; needs no config file
//! and no credentials.

use std::path::PathBuf;

use crate::app::AppError;
use crate::demo::{self, DemoOptions, Speed};

/// `demo [--out DIR] [--speed N]`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Where to write the transcript, the digest's chart and CSV, the database and the config
    /// (default: a new temporary folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How fast to play: 1 takes a few seconds, 2 is twice as fast, 0.5 half as fast, 0 does
    /// not pause at all.
    #[arg(long, value_name = "N", default_value_t = Speed::NORMAL)]
    pub speed: Speed,
}

/// Plays the demo on stdout. Fails if the simulated Discord refused anything the bot sent, or
/// if the weekly digest was not posted.
pub async fn run_demo(args: &DemoArgs) -> Result<(), AppError> {
    let options = DemoOptions {
        out: args.out.clone(),
        speed: args.speed,
    };
    let mut stdout = std::io::stdout();
    let outcome = demo::run(&options, &mut stdout)
        .await
        .map_err(|e| AppError::Failed(format!("the demo stopped: {e}")))?;
    if !outcome.violations.is_empty() {
        let refused: Vec<String> = outcome
            .violations
            .iter()
            .map(|v| format!("{} {}: {} ({})", v.method, v.path, v.message, v.detail))
            .collect();
        return Err(AppError::Failed(format!(
            "the simulated Discord refused {} request(s) as Discord would have: {}",
            refused.len(),
            refused.join("; ")
        )));
    }
    if !outcome.digest_posted {
        return Err(AppError::Failed(
            "the weekly digest was not posted at the end of the week".into(),
        ));
    }
    Ok(())
}
