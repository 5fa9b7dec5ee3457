//! Conversions between database values and domain values.

use chrono::{DateTime, TimeZone, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::StoreError;
use crate::domain::DiscordId;

/// Unix seconds for the database.
pub fn secs(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// A time from unix seconds.
pub fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// Reads a column, naming it when it cannot be read.
pub fn get<'r, T>(row: &'r AnyRow, column: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

pub fn get_time(row: &AnyRow, column: &'static str) -> Result<DateTime<Utc>, StoreError> {
    get::<i64>(row, column).map(time)
}

pub fn get_opt_time(
    row: &AnyRow,
    column: &'static str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(time))
}

pub fn get_opt_id(row: &AnyRow, column: &'static str) -> Result<Option<DiscordId>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(DiscordId::from_db))
}

/// Reads a boolean stored as BOOLEAN (PostgreSQL) or as 0/1 (SQLite).
pub fn get_bool(row: &AnyRow, column: &'static str) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(_) => get::<i64>(row, column).map(|v| v != 0),
    }
}
