//! openrouter-team-bot: a Discord bot that runs a team's OpenRouter API keys.
//!
//! Members ask for a personal key with `/mykey` and watch their spend with `/budget`; admins approve
//! requests with a button; the bot creates keys through OpenRouter's management API with each
//! member's budget and model rules, alerts on budget breaches and posts a weekly digest.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod discord;
pub mod domain;
pub mod gateway;
pub mod jobs;
pub mod logging;
pub mod money;
pub mod openrouter;
pub mod report;
pub mod reset;
pub mod secret;
#[cfg(feature = "demo")]
pub mod stage;
pub mod store;
pub mod team;
