//! Identifiers. User ids are opaque strings to callers; Nexus makes them from
//! UUIDv7 so that they sort by creation time.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ValidationError;

/// The longest user id accepted from a caller.
pub const MAX_USER_ID_LEN: usize = 64;

/// A user's id: opaque, 1..=64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Checks a user id received from a caller.
    ///
    /// # Errors
    /// A [`ValidationError`] on `userId` when it is empty, too long or has other
    /// characters than letters, digits, `-` and `_`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.is_empty() || raw.len() > MAX_USER_ID_LEN {
            return Err(ValidationError::new(
                "userId",
                format!("must be 1 to {MAX_USER_ID_LEN} characters"),
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ValidationError::new(
                "userId",
                "may contain only letters, digits, '-' and '_'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn from_uuid(id: Uuid) -> Self {
        Self(id.as_simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event's id: a UUIDv7, also the JetStream de-duplication id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub Uuid);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_accepts_generated_ids_and_rejects_others() {
        let generated = UserId::from_uuid(Uuid::now_v7());
        assert_eq!(UserId::parse(generated.as_str()), Ok(generated));
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a/b").is_err());
        assert!(UserId::parse(&"x".repeat(65)).is_err());
        assert_eq!(
            UserId::parse("auth0_abc-1").map(UserId::into_string),
            Ok("auth0_abc-1".into())
        );
    }
}
