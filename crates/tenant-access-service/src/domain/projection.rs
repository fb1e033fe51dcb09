//! The local copy of identity users (`member_users`): what a tenant list shows
//! of each user, kept up to date from identity events without calling the
//! identity service per user.

use chrono::{DateTime, Utc};

/// An identity user as this service keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberUser {
    pub user_id: String,
    pub email: String,
    pub name: Option<String>,
    /// The identity user is not active.
    pub blocked: bool,
    pub last_login: Option<DateTime<Utc>>,
    /// The identity user's version this copy reflects.
    pub version: u64,
}

/// An identity event the projection applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityUserEvent {
    /// `user.created` or `user.updated`: the user after the change.
    Changed(MemberUser),
    /// `user.deleted`, with the version of the removal.
    Deleted { user_id: String, version: u64 },
    /// `user.logged_in`; logins do not change the user's version.
    LoggedIn { user_id: String, at: DateTime<Utc> },
}

impl MemberUser {
    /// Whether `incoming` should replace `self`: only a newer version does, so
    /// a redelivered or reordered older event changes nothing. The last login
    /// is kept when the newer copy lacks a later one.
    pub fn merged(&self, incoming: &Self) -> Option<Self> {
        if incoming.version <= self.version {
            return None;
        }
        let mut next = incoming.clone();
        next.last_login = latest(self.last_login, incoming.last_login);
        Some(next)
    }
}

/// The later of two optional times.
pub fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn user(version: u64, name: &str, login: Option<i64>) -> MemberUser {
        MemberUser {
            user_id: "u1".into(),
            email: "ann@example.com".into(),
            name: Some(name.into()),
            blocked: false,
            last_login: login.map(|s| Utc.timestamp_opt(s, 0).unwrap()),
            version,
        }
    }

    #[test]
    fn only_a_newer_version_replaces_the_copy() {
        let held = user(3, "Ann", None);
        assert_eq!(held.merged(&user(2, "Old", None)), None);
        assert_eq!(held.merged(&user(3, "Same", None)), None);
        assert_eq!(
            held.merged(&user(4, "New", None)).unwrap().name.as_deref(),
            Some("New")
        );
    }

    #[test]
    fn a_newer_copy_keeps_the_latest_login() {
        let held = user(1, "Ann", Some(200));
        let merged = held.merged(&user(2, "Ann", Some(100))).unwrap();
        assert_eq!(merged.last_login, held.last_login);
        assert_eq!(latest(None, held.last_login), held.last_login);
    }
}
