//! Database access for both backends: connecting, migrating, and (in the submodules) all SQL.
//!
//! Queries go through sqlx's `Any` driver with `$1` placeholders, which SQLite and Postgres
//! both accept, so one statement serves both; the few that must differ branch on [`Backend`].

pub mod audit;
pub mod blobs;
pub mod cmi5;
pub mod courses;
mod multirow;
pub mod org;
pub mod roster;
pub mod scorm;
pub mod sequencing;
pub mod progress;
pub mod progress_log;
pub mod progress_pending;
pub mod progress_pg;
pub mod progress_read;
pub mod renditions;
pub mod sessions;
pub mod state;
pub mod stats_demo;
pub mod stats_read;
pub mod stats_totals;
pub mod stats_write;
pub mod users;
pub mod versions;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names. With [`Backend::of_connection`] the only place the
    /// backend is decided: everything else matches on the value.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    /// The backend behind a connection of the `Any` driver, for statements that take a
    /// connection rather than the pool (the writer's transactions).
    pub(crate) fn of_connection(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name() == "SQLite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool and the backend it talks to. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The SQLite database file (`None` on Postgres and for an in-memory database): the
    /// progress writer flushes its write-ahead log itself.
    pub sqlite_file: Option<std::path::PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// From the progress writer's own SQLite connection (`progress_log`).
    #[error("{0}")]
    Native(String),
}

pub type DbResult<T> = Result<T, DbError>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A transaction on either backend; `&mut *tx` is the connection the `..._in` functions take.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Db {
    /// Begins a transaction: a use case that makes several writes that belong together
    /// passes it to the `..._in` functions and commits once.
    pub async fn begin(&self) -> DbResult<Tx> {
        Ok(self.pool.begin().await?)
    }

    /// Connects to `url`; a SQLite file is created if missing and put in WAL mode.
    pub async fn connect(url: &str) -> DbResult<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url);
        let err = |source| DbError::Connect {
            url: redact(url),
            source,
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(err)?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed during a write; busy_timeout makes concurrent
                        // writers wait for each other instead of failing at once.
                        sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                        // Statement journals (an upsert that may have to undo itself) in
                        // memory, not in a temporary file written at every statement.
                        sqlx::query("PRAGMA temp_store = MEMORY").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(err)?;
        Ok(Db { pool, backend, sqlite_file: sqlite_file(&url) })
    }

    pub async fn migrate(&self) -> DbResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// The file of a `sqlite:` URL (`sqlite://path?mode=rwc`, `sqlite:path`), unless in memory.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.strip_prefix("//").unwrap_or(rest);
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:" && !url.contains("mode=memory")).then(|| path.into())
}

/// Hides a password in a database URL before it is printed or logged.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Commits a transaction begun with `Db::begin`.
pub async fn commit(tx: Tx) -> DbResult<()> {
    Ok(tx.commit().await?)
}

/// Current time as unix milliseconds, the timestamp format of every table.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_file_is_the_path_of_the_url() {
        use super::sqlite_file;
        assert_eq!(sqlite_file("sqlite:///tmp/a b/c.db?mode=rwc"), Some("/tmp/a b/c.db".into()));
        assert_eq!(sqlite_file("sqlite://data/c.db"), Some("data/c.db".into()));
        assert_eq!(sqlite_file("sqlite:c.db"), Some("c.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://c.db?mode=memory"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }

    #[test]
    fn redact_hides_password_only() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
