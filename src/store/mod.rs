//! The database: the only place with SQL. One code path over sqlx's `Any` driver serves SQLite
//! (the default) and PostgreSQL; every statement uses `$n` placeholders, which both accept.

mod audit;
mod bulk;
mod digest;
mod guardrails;
mod keys;
mod ledger;
mod members;
mod once;
mod requests;
mod rows;
mod topups;
mod usage;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use crate::domain::{DiscordId, MemberName};

/// How long connecting to the database, or waiting for a free connection, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::domain::{DaySpend, SnapshotRow};
pub use ledger::{Lease, LedgerActivity, LedgerSpend};
pub use once::{AlertClaim, AlertsSent};
pub use usage::SyncSummary;

/// What [`Store::migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// Migrations the database had already.
    pub earlier: i64,
    /// Migrations applied now.
    pub applied: i64,
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database failure, with what the bot was doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A statement failed.
    #[error("database error while {doing}: {source}")]
    Database {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// Bringing the schema up to date failed.
    #[error("could not migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A uniqueness rule refused the write.
    #[error("duplicate record: {0}")]
    Duplicate(Clash),
    /// A stored value cannot be read back (which column, and why).
    #[error("the database holds a value the bot cannot read: {0}")]
    Corrupt(String),
}

/// A write that a uniqueness rule refused, and the record already there. The words for the
/// person who asked are chosen by the caller, which knows what they were doing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Clash {
    /// The roster has a member with this name, or one linked to this Discord account.
    #[error(
        "a member named {name}{} exists",
        user.map(|u| format!(" or linked to Discord account {u}")).unwrap_or_default()
    )]
    Member {
        name: MemberName,
        user: Option<DiscordId>,
    },
    /// The Discord account is linked to a member other than `member_id` already.
    #[error("Discord account {user} is linked to a member other than #{member_id}")]
    LinkedAccount { member_id: i64, user: DiscordId },
    /// The user has a key request in flight (pending, approved or provisioning).
    #[error("Discord account {requester} has a key request in flight")]
    OpenRequest { requester: DiscordId },
}

impl StoreError {
    /// Whether a uniqueness rule refused the write.
    pub fn is_duplicate(&self) -> bool {
        match self {
            StoreError::Duplicate(_) => true,
            StoreError::Database { source, .. } => is_unique_violation(source),
            _ => false,
        }
    }
}

/// Adds what the bot was doing to a sqlx error.
pub(crate) trait Doing<T> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError>;
}

impl<T> Doing<T> for Result<T, sqlx::Error> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Database { doing, source })
    }
}

/// Whether an error is a unique-constraint violation (a duplicate), on either backend.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// The bot's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// Bumped by every change to a key or a member, so caches of them (the gateway's tokens)
    /// know to read again.
    changes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    backend: Backend,
    /// The SQLite file, and whether connecting created it.
    file: Option<(std::path::PathBuf, bool)>,
}

/// The file a `sqlite:` URL names (none for an in-memory database).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

impl Store {
    /// Connects to `url` (`sqlite://...`, created if missing, or `postgres://...`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let file = match backend {
            Backend::Sqlite => sqlite_file(url).map(|path| {
                let existed = path.exists();
                (path, !existed)
            }),
            Backend::Postgres => None,
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url).doing("reading the database URL")?;
        // One plain connection first: the pool retries a refused connection until its acquire
        // timeout and then reports only that it timed out, never why.
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
            .await
            .unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                )))
            })
            .doing("connecting to the database")?;
        probe
            .close()
            .await
            .doing("closing the first database connection")?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(CONNECT_TIMEOUT)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets the bot read while a sync writes; the busy timeout makes
                        // concurrent writers wait instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .doing("connecting to the database")?;
        Ok(Store {
            pool,
            changes: Default::default(),
            backend,
            file,
        })
    }

    /// The SQLite file this store created when it connected (none existed), if it did.
    pub fn created_file(&self) -> Option<&std::path::Path> {
        self.file
            .as_ref()
            .filter(|(_, created)| *created)
            .map(|(path, _)| path.as_path())
    }

    /// The SQLite file, if it was deleted or moved since the store connected: writes still
    /// succeed, into a file nothing will open again.
    pub fn vanished_file(&self) -> Option<&std::path::Path> {
        self.file
            .as_ref()
            .map(|(path, _)| path.as_path())
            .filter(|path| !path.exists())
    }

    /// Brings the schema up to date and says what that took.
    pub async fn migrate(&self) -> Result<Migrated, StoreError> {
        let earlier = self.applied_migrations().await?;
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        let now = self.applied_migrations().await?;
        Ok(Migrated {
            earlier,
            applied: now - earlier,
        })
    }

    /// How many migrations the database has had; 0 before the first.
    async fn applied_migrations(&self) -> Result<i64, StoreError> {
        let table_exists = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM pg_tables WHERE tablename = '_sqlx_migrations' \
                 AND schemaname = current_schema()"
            }
        };
        let tables: i64 = sqlx::query_scalar(table_exists)
            .fetch_one(&self.pool)
            .await
            .doing("looking for the migrations table")?;
        if tables == 0 {
            return Ok(0);
        }
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .doing("counting applied migrations")
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database server's own description of itself, such as `PostgreSQL 15.19 ...`.
    pub async fn server_version(&self) -> Result<String, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT 'SQLite ' || sqlite_version()",
            Backend::Postgres => "SELECT version()",
        };
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .doing("asking the database for its version")
    }

    /// A quick round trip, for `check`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .doing("pinging the database")?;
        Ok(())
    }

    /// Closes every connection (SQLite then checkpoints its write-ahead log).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// How many changes to keys and members this store has made; a cache of them read at one
    /// count is stale at another.
    pub fn changes(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::Acquire)
    }

    fn note_change(&self) {
        self.changes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}
