//! Database connection, migrations and transaction helpers.
//!
//! SQLite gets WAL (readers never wait for the writer), a busy timeout (writers
//! queue instead of failing), foreign keys, and a pool of several connections
//! so reads run concurrently. Writes go through [`begin_write`], which starts
//! SQLite transactions IMMEDIATE: the write lock is taken at `BEGIN`, so two
//! writers never deadlock upgrading read locks.

use std::{path::Path, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use super::config::{DatabaseSettings, redact_url};

/// Opens the pool described by `settings`, creating the SQLite file (and its
/// directory) when needed.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let url = sqlite_url_with_create(&settings.url)?;
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .connect_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        // A ping on every checkout costs a round trip per query; only a
        // connection idle long enough to have been dropped is checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Debug);
    let busy = Duration::from_millis(settings.busy_timeout_ms);
    opts.map_sqlx_sqlite_opts(move |o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy)
            .foreign_keys(true)
            .create_if_missing(true)
    });
    let db = Database::connect(opts).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to the database at {}: {e}",
            redact_url(&settings.url)
        )
    })?;
    Ok(db)
}

/// For a SQLite file URL, makes sure the directory exists (the file itself is
/// created by the driver). Other URLs pass through.
fn sqlite_url_with_create(url: &str) -> anyhow::Result<String> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(url.to_string());
    };
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" {
        anyhow::bail!(
            "an in-memory SQLite database cannot be shared by a connection pool; use a file path"
        );
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!("cannot create database directory {}: {e}", dir.display())
        })?;
    }
    Ok(url.to_string())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a write transaction: IMMEDIATE on SQLite, the default elsewhere.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DatabaseBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    db.begin_with_options(options).await
}

/// A cheap round trip, for readiness probes.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_sqlite_is_refused_with_a_reason() {
        let err = sqlite_url_with_create("sqlite::memory:").unwrap_err();
        assert!(err.to_string().contains("in-memory"));
    }

    #[test]
    fn postgres_urls_pass_through() {
        assert_eq!(
            sqlite_url_with_create("postgres://u@h/db").unwrap(),
            "postgres://u@h/db"
        );
    }
}
