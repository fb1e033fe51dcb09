//! Database connection and migrations for `sqlite:` and `postgres://` URLs.
//! SQLite runs in WAL mode with one connection: a single writer never sees
//! "database is locked", and the all-in-one needs no more.

use std::path::Path;
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};
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
        opts.max_connections(settings.max_connections);
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
    M::up(&db, None).await.map_err(DbError::Migrate)?;
    Ok(db)
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
