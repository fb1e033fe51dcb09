//! Why a handler or a consumer did not apply an event, and which failures
//! are transient (retried without limit) or repeatable (counted toward the
//! dead-letter limit).

use sea_orm::DbErr;

use super::classify;

/// Why a handler did not apply an event. Its transaction is rolled back and
/// the event is delivered again: without limit when the failure is transient
/// ([`HandlerError::Unavailable`], or a database error that says so), up to
/// the consumer's `max_deliver` otherwise.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// Something the handler needs is unavailable for now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The event cannot be applied as it is (for example its version jumps
    /// implausibly past the copy's): dead-lettered at once, with this reason.
    #[error("refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

/// Why an event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error("invalid consumer name {0:?}: use letters, digits, '-' and '_'")]
    InvalidName(String),
    /// The message is not an `EventEnvelope`; retrying cannot help.
    #[error("undecodable event: {0}")]
    Undecodable(String),
    #[error("handler failed: {0}")]
    Handler(#[from] HandlerError),
    #[error("inbox database: {0}")]
    Db(#[from] DbErr),
    #[error("event bus: {0}")]
    Bus(String),
}

impl ConsumerError {
    /// Whether a redelivery cannot succeed: dead-letter it at once.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::Undecodable(_) | Self::Handler(HandlerError::Refused(_))
        )
    }

    /// Whether the failure is one of unavailability (database or bus down,
    /// lock or pool timeout): retried without limit, never dead-lettered.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Db(e) | Self::Handler(HandlerError::Db(e)) => classify::db_err_is_transient(e),
            Self::Handler(HandlerError::Unavailable(_)) | Self::Bus(_) => true,
            Self::Handler(HandlerError::Failed(text)) => classify::text_is_transient(text),
            Self::Handler(HandlerError::Refused(_))
            | Self::Undecodable(_)
            | Self::InvalidName(_) => false,
        }
    }
}
