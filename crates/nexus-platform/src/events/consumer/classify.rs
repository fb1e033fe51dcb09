//! Which failures are transient (retried without limit) rather than
//! repeatable (counted toward the dead-letter limit).

use sea_orm::DbErr;

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

/// Whether `e` is a database being unavailable for now.
pub(super) fn db_err_is_transient(e: &DbErr) -> bool {
    matches!(e, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) || text_is_transient(&e.to_string())
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
}
