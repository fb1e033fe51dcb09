//! Database connection and migrations for `sqlite:` and `postgres://` URLs.
//! SQLite runs in WAL mode with one connection: a single writer never sees
//! "database is locked", and the all-in-one needs no more.
//!
//! Migrating is a step of its own (`nexus migrate`), which several starters
//! may take at once (a Job retried while another still runs, or replicas
//! with `migrate_on_start`): on PostgreSQL each migration holds a
//! transaction-level advisory lock, so the second waits and then finds
//! nothing left to do. A process that does not migrate checks that nothing
//! is pending before it serves.

use std::path::Path;
use std::time::Duration;

use std::collections::HashSet;

use sea_orm::{
    ConnectOptions, ConnectionTrait as _, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait as _,
};
use sea_orm_migration::MigratorTrait;

use crate::config::DatabaseSettings;

/// Why a database could not be opened or migrated. Never holds the URL (it may
/// carry a password).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(sea_orm::DbErr),
    #[error("database migration failed: {0}")]
    Migrate(sea_orm::DbErr),
    #[error(
        "the database schema is not migrated ({pending} migration(s) pending, first `{first}`)"
    )]
    NotMigrated { pending: usize, first: String },
    #[error("cannot read the database's migration state: {0}")]
    MigrationState(sea_orm::DbErr),
}

/// Opens `url` (creating a SQLite file and its directory when missing).
///
/// # Errors
/// A [`DbError`] when the directory, connection or pragma fails.
pub async fn connect(
    url: &str,
    settings: &DatabaseSettings,
) -> Result<DatabaseConnection, DbError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.connect_timeout_secs));
    if url.starts_with("sqlite:") {
        if let Some(dir) = sqlite_file(url)
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        opts.max_connections(1).min_connections(1);
        opts.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        // sqlx pings a connection when it returns to the pool (a broken one
        // is dropped there); a second ping when it is taken would add a
        // round trip before every statement outside a transaction. A
        // connection that died while idle (the server restarted) fails the
        // one statement given it, and is dropped on return.
        opts.max_connections(settings.max_connections)
            .test_before_acquire(false);
    }
    let db = Database::connect(opts).await.map_err(DbError::Connect)?;
    Ok(db)
}

/// Opens `url` and brings its schema up to date with `M`.
///
/// # Errors
/// As [`connect`], or a failed migration.
pub async fn connect_and_migrate<M: MigratorTrait>(
    url: &str,
    settings: &DatabaseSettings,
) -> Result<DatabaseConnection, DbError> {
    let db = connect(url, settings).await?;
    migrate::<M>(&db).await?;
    Ok(db)
}

/// Brings the schema of `db` up to date with `M`. On PostgreSQL the work
/// happens in one transaction holding the advisory lock [`lock_key`] of `M`,
/// so concurrent callers run one after the other.
///
/// # Errors
/// A failed migration, or the lock not obtained.
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbError> {
    if db.get_database_backend() != DbBackend::Postgres {
        // SQLite has one writer: concurrent migrations are serialized anyway.
        return M::up(db, None).await.map_err(DbError::Migrate);
    }
    let txn = db.begin().await.map_err(DbError::Migrate)?;
    txn.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [lock_key::<M>().into()],
    ))
    .await
    .map_err(DbError::Migrate)?;
    M::up(&txn, None).await.map_err(DbError::Migrate)?;
    txn.commit().await.map_err(DbError::Migrate)
}

/// Refuses a database on which a migration of `M` is pending. Migrations
/// the database has and `M` does not (a newer release migrated it while
/// this one still runs) are no reason to refuse.
///
/// # Errors
/// [`DbError::NotMigrated`], or the migration table unreadable (never
/// migrated).
pub async fn ensure_migrated<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbError> {
    let applied: HashSet<String> = M::get_migration_models(db)
        .await
        .map_err(|e| {
            if is_missing_table(&e) {
                DbError::NotMigrated {
                    pending: M::migrations().len(),
                    first: first_name::<M>(),
                }
            } else {
                DbError::MigrationState(e)
            }
        })?
        .into_iter()
        .map(|m| m.version)
        .collect();
    let pending: Vec<String> = M::get_migration_files()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|name| !applied.contains(name))
        .collect();
    match pending.first() {
        None => Ok(()),
        Some(first) => Err(DbError::NotMigrated {
            pending: pending.len(),
            first: first.clone(),
        }),
    }
}

/// The advisory lock of `M`'s migrations: a constant per migrator, hence per
/// service (FNV-1a of its type name, stable across builds and releases), so
/// that services sharing one PostgreSQL database do not wait for each other.
pub fn lock_key<M: MigratorTrait>() -> i64 {
    let hash = std::any::type_name::<M>()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

fn first_name<M: MigratorTrait>() -> String {
    M::migrations()
        .first()
        .map(|m| m.name().to_owned())
        .unwrap_or_default()
}

/// Whether `e` says the migration table does not exist (PostgreSQL
/// `undefined_table`, or SQLite's "no such table").
fn is_missing_table(e: &sea_orm::DbErr) -> bool {
    let text = e.to_string();
    text.contains("42P01") || text.contains("does not exist") || text.contains("no such table")
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

fn sqlite_file(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || path.starts_with(":memory:") {
        None
    } else {
        Some(Path::new(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_paths() {
        assert_eq!(
            sqlite_file("sqlite://./data/x.db?mode=rwc"),
            Some(Path::new("./data/x.db"))
        );
        assert_eq!(sqlite_file("sqlite:x.db"), Some(Path::new("x.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
