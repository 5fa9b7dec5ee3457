//! Fakes of the bot's outside services, for its tests, benchmarks and `demo` command: local
//! servers that speak the real APIs' JSON, keep state, record what reached them and fail on
//! request; and [`stage`], which starts both for one bot and points its config at them.
//!
//! This crate knows nothing of the bot's code: the fake OpenRouter writes its answers from the
//! official spec with types of its own, so the bot's client and the fake agree only if both
//! follow the spec.

pub mod discord;
pub mod openrouter;
pub mod stage;
