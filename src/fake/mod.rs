//! Fakes of the outside services, for the tests and the `demo` command: local servers that speak
//! the real APIs' JSON, keep state, record what reached them and fail on request.

pub mod discord;
pub mod openrouter;
pub mod usage;
