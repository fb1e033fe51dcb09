//! Which failures are transient (retried without limit) rather than
//! repeatable (counted toward the dead-letter limit).

use sea_orm::{DbErr, RuntimeErr, sqlx};

/// What database and driver messages say when the database is unavailable
/// for now rather than refusing the statement.
const TRANSIENT: [&str; 16] = [
    "database is locked",
    "database table is locked",
    "sqlite_busy",
    "pool timed out",
    "timed out",
    "timeout",
    "connection refused",
    "connection reset",
    "connection closed",
    "broken pipe",
    "deadlock detected",
    "could not serialize",
    "the database system is",
    "terminating connection",
    "server closed the connection",
    "no connection",
];

/// Whether `e` is a database being unavailable for now: by the error's kind
/// and the database's code; by its text only for errors that carry no more
/// (a handler's own `DbErr::Custom`, a driver's internal error).
pub(super) fn db_err_is_transient(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(e) | DbErr::Query(e) => runtime_err_is_transient(e),
        DbErr::Custom(text) => text_is_transient(text),
        _ => false,
    }
}

fn runtime_err_is_transient(e: &RuntimeErr) -> bool {
    match e {
        RuntimeErr::SqlxError(e) => sqlx_err_is_transient(e),
        RuntimeErr::Internal(text) => text_is_transient(text),
    }
}

fn sqlx_err_is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                sqlstate_is_transient(pg.code())
            } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                db.code()
                    .and_then(|c| c.parse::<u32>().ok())
                    .is_some_and(sqlite_code_is_transient)
            } else {
                false
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs of unavailability: classes 08 (connection), 40
/// (serialization failure, deadlock), 53 (insufficient resources), 57
/// (shutdown, cancelled statement), and 55P03 (lock not available: a lock
/// timeout).
fn sqlstate_is_transient(code: &str) -> bool {
    matches!(code.get(..2), Some("08" | "40" | "53" | "57")) || code == "55P03"
}

/// SQLite result codes of unavailability: `SQLITE_BUSY` (5) and
/// `SQLITE_LOCKED` (6), with their extended codes (the low byte).
fn sqlite_code_is_transient(code: u32) -> bool {
    matches!(code & 0xff, 5 | 6)
}

/// Whether an error's text says the database was unavailable for now.
pub(super) fn text_is_transient(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    TRANSIENT.iter().any(|t| text.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_and_timeouts_are_transient_and_refusals_are_not() {
        assert!(text_is_transient(
            "Execution Error: error returned from database: (code: 5) database is locked"
        ));
        assert!(text_is_transient("Connection pool timed out"));
        assert!(text_is_transient("canceling statement due to lock timeout"));
        assert!(!text_is_transient("invalid user id \"x\""));
        assert!(!text_is_transient("UNIQUE constraint failed: users.email"));
        assert!(db_err_is_transient(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
        assert!(!db_err_is_transient(&DbErr::RecordNotFound("x".into())));
    }

    #[test]
    fn database_codes_say_which_failures_are_transient() {
        for code in [
            "08006", "40001", "40P01", "53300", "57P01", "57014", "55P03",
        ] {
            assert!(sqlstate_is_transient(code), "{code}");
        }
        for code in ["23505", "22P02", "42P01", "55000"] {
            assert!(!sqlstate_is_transient(code), "{code}");
        }
        assert!(sqlite_code_is_transient(5));
        assert!(sqlite_code_is_transient(517)); // SQLITE_BUSY_SNAPSHOT
        assert!(sqlite_code_is_transient(262)); // SQLITE_LOCKED_SHAREDCACHE
        assert!(!sqlite_code_is_transient(2067)); // SQLITE_CONSTRAINT_UNIQUE
        assert!(db_err_is_transient(&DbErr::Exec(RuntimeErr::SqlxError(
            sqlx::Error::PoolTimedOut
        ))));
        assert!(!db_err_is_transient(&DbErr::Exec(RuntimeErr::SqlxError(
            sqlx::Error::RowNotFound
        ))));
    }
}
