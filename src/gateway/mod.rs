//! Shared-key mode's gateway: an OpenAI-compatible server in `run` that attributes each
//! member's requests on the team's one OpenRouter key, holds them to their budget and limits
//! them to their tier's models.

pub mod body;
pub mod fair_use;
pub mod models;
pub mod refusal;
pub mod usage;
