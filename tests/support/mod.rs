//! Helpers shared by the integration tests. Each test binary uses a different part of them.
#![allow(dead_code)]

pub mod bot;
pub mod chart;
pub mod db;
pub mod discord;
pub mod gateway;
pub mod logs;
pub mod openapi;
pub mod openrouter;
pub mod picture;
pub mod runtimes;
pub mod usage;
