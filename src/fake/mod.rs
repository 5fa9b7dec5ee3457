//! Fakes of the outside services, for tests and the demo.

pub mod discord;
