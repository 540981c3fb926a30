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

/// The PostgreSQL advisory lock key migrations hold (`"mainstay"` in ASCII).
const MIGRATION_LOCK: i64 = 0x6d61_696e_7374_6179;

/// Applies every pending migration. On PostgreSQL, processes started together
/// against one database take turns: each holds a transaction-scoped advisory
/// lock while it migrates (on a connection of its own, so the pool needs two),
/// and the next finds nothing left to do. SQLite serializes schema changes by
/// its write lock.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    let result = Migrator::up(db, None).await;
    lock.commit().await?;
    result
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

/// Deletes the rows of `table` matching `condition` (SQL with one parameter,
/// `$1`), at most `batch` per statement, until none is left; returns how
/// many. Each statement is short, so no long lock is held and concurrent
/// writers barely notice. `key` names the primary key (a column or a
/// parenthesized tuple).
pub async fn delete_in_batches(
    conn: &impl ConnectionTrait,
    table: &str,
    key: &str,
    condition: &str,
    value: impl Into<sea_orm::Value>,
    batch: u64,
) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let columns = key.trim_start_matches('(').trim_end_matches(')');
    let mut sql = format!(
        "DELETE FROM {table} WHERE {key} IN (SELECT {columns} FROM {table} WHERE {condition} LIMIT {batch})"
    );
    if backend != DatabaseBackend::Postgres {
        sql = sql.replace("$1", "?");
    }
    let value = value.into();
    let mut total = 0;
    loop {
        let stmt = sea_orm::Statement::from_sql_and_values(backend, &sql, [value.clone()]);
        let n = conn.execute_raw(stmt).await?.rows_affected();
        total += n;
        if n < batch {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
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
