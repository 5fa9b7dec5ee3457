//! Many rows in one statement: the rows travel as a single JSON array parameter and SQL reads
//! them back as a table. Binding thousands of parameters costs more than the statement itself
//! (SQLite finds each one by a linear search of the statement's names); one text parameter costs
//! the same at any size, on both databases.

use serde::Serialize;

use super::{Backend, Doing, StoreError};

/// How a JSON value becomes a column.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sql {
    Text,
    BigInt,
    Bool,
}

/// Rows per statement: large enough that statements are few, small enough that the JSON text of
/// one batch stays well under a megabyte.
pub(super) const ROWS_PER_STATEMENT: usize = 2_000;

/// `SELECT <columns> FROM <the rows of $param>`: each row is a JSON array whose items are the
/// `columns` in order, named as given. It ends in `WHERE true`, which SQLite needs before an
/// `ON CONFLICT` clause of an `INSERT ... SELECT`.
pub(super) fn rows_of(backend: Backend, param: usize, columns: &[(&str, Sql)]) -> String {
    let items: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(index, (name, sql))| match (backend, sql) {
            (Backend::Sqlite, _) | (Backend::Postgres, Sql::Text) => {
                format!("j.value ->> {index} AS {name}")
            }
            (Backend::Postgres, Sql::BigInt) => format!("(j.value ->> {index})::bigint AS {name}"),
            (Backend::Postgres, Sql::Bool) => format!("(j.value ->> {index})::boolean AS {name}"),
        })
        .collect();
    let source = match backend {
        Backend::Sqlite => format!("json_each(${param}) AS j"),
        Backend::Postgres => format!("jsonb_array_elements(${param}::jsonb) AS j(value)"),
    };
    format!("SELECT {} FROM {source} WHERE true", items.join(", "))
}

/// `SELECT value FROM <the strings of $param>`, for `IN (...)`.
pub(super) fn strings_of(backend: Backend, param: usize) -> String {
    match backend {
        Backend::Sqlite => format!("SELECT value FROM json_each(${param})"),
        Backend::Postgres => format!("SELECT jsonb_array_elements_text(${param}::jsonb)"),
    }
}

/// The JSON text of `rows`, to bind as the parameter of [`rows_of`] or [`strings_of`].
pub(super) fn json<T: Serialize>(rows: &[T]) -> Result<String, StoreError> {
    serde_json::to_string(rows)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))
        .doing("encoding a batch of rows")
}
