//! The weekly digest rendered for people and programs: a PNG chart, Markdown and JSON (the CLI's
//! `report`), and CSV (the full member table, attached to the Discord post). Discord's own
//! messages are built in `discord::digest` from the same pieces.

mod canvas;
pub mod chart;
pub mod csv;
pub mod json;
pub mod markdown;
mod prepare;
pub mod text;

pub use chart::{
    ChartDrawing, ChartError, ChartOptions, ChartRow, DigestChart, LegendEntry, OthersLine,
    PixelRect, render_chart,
};
pub use prepare::prepare_digest;
