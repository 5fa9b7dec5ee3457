//! One fresh database per test: an SQLite file in a temporary folder, or, when
//! `TEST_DATABASE_URL` is set (and not empty), a new PostgreSQL database created on that server and dropped after.

use std::sync::atomic::{AtomicU32, Ordering};

use openrouter_team_bot::store::Store;

/// A migrated, empty database that cleans up after itself.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

/// A fresh SQLite database.
pub async fn sqlite() -> TestDb {
    let db = empty_sqlite().await;
    db.store.migrate().await.expect("SQLite migrates");
    db
}

/// A fresh SQLite database without the bot's schema.
pub async fn empty_sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let store = Store::connect(&url, 4).await.expect("SQLite opens");
    TestDb {
        store,
        url,
        _dir: Some(dir),
        postgres: None,
    }
}

/// A fresh PostgreSQL database, or `None` (with a note) when `TEST_DATABASE_URL` is not set.
pub async fn postgres() -> Option<TestDb> {
    let db = empty_postgres().await?;
    db.store.migrate().await.expect("PostgreSQL migrates");
    Some(db)
}

/// A fresh PostgreSQL database without the bot's schema, or `None` (with a note) when
/// `TEST_DATABASE_URL` is not set.
pub async fn empty_postgres() -> Option<TestDb> {
    // Set but empty (`TEST_DATABASE_URL= cargo test`) is not set either.
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        eprintln!("skipping the PostgreSQL run: TEST_DATABASE_URL is not set");
        return None;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "bot_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..)
    );
    admin_statement(&admin_url, &format!("CREATE DATABASE {name}"))
        .await
        .expect("TEST_DATABASE_URL connects and a test database can be created");
    let url = replace_database(&admin_url, &name);
    let store = Store::connect(&url, 4)
        .await
        .expect("the test database opens");
    Some(TestDb {
        store,
        url,
        _dir: None,
        postgres: Some((admin_url, name)),
    })
}

/// Runs one statement on the server that `TEST_DATABASE_URL` names.
async fn admin_statement(admin_url: &str, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&mut conn)
        .await?;
    conn.close().await
}

/// `postgres://user@host:port/db?x` with `db` replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Dropping needs async I/O; a thread with its own runtime keeps this usable from
        // inside a test's runtime.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = admin_statement(&admin_url, &drop).await;
            });
        })
        .join();
    }
}

/// Runs the same test body on SQLite and on PostgreSQL: `on_each_database!(name, |db| async move { ... })`
/// defines `name::sqlite` and `name::postgres`. `on_each_database!(empty name, |db| ...)` does the
/// same with databases that have no schema yet.
#[macro_export]
macro_rules! on_each_database {
    (empty $name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $db = $crate::support::db::empty_sqlite().await;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($db) = $crate::support::db::empty_postgres().await else {
                    return;
                };
                $body.await;
            }
        }
    };
    ($name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $db = $crate::support::db::sqlite().await;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($db) = $crate::support::db::postgres().await else {
                    return;
                };
                $body.await;
            }
        }
    };
}

/// Whether `needle` appears anywhere in the database: in the SQLite files on disk (main file and
/// write-ahead log), or in any text column of any table on PostgreSQL.
pub async fn contains_text(db: &TestDb, needle: &str) -> bool {
    if let Some(dir) = &db._dir {
        return std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                std::fs::read(entry.path())
                    .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                    .unwrap_or(false)
            });
    }
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.url)
        .await
        .expect("the test database opens");
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND data_type = 'text'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("the catalog can be read");
    assert!(!columns.is_empty(), "the schema has text columns");
    for (table, column) in columns {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE $1");
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(format!("%{needle}%"))
            .fetch_one(&mut conn)
            .await
            .expect("a text column can be searched");
        if count > 0 {
            return true;
        }
    }
    false
}
