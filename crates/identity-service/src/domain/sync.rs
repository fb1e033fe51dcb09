//! The login-time sync: what a login brings (groups of the connection, IdP
//! attributes), how it changes the user, and the claims it answers with.

use chrono::{DateTime, Utc};
use nexus_domain::{BoundedText, ValidationError};

use super::User;

pub mod login;

/// Longest audience, attribute key, group name and client UPN key.
pub const MAX_AUDIENCE_LEN: usize = 1024;
pub const MAX_KEY_LEN: usize = 255;
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 4096;
pub const MAX_GROUP_LEN: usize = 255;
/// At most this many groups and attributes per sync.
pub const MAX_ITEMS: usize = 1000;

/// A user attribute, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub id: i32,
    pub user_id: String,
    pub name: String,
    pub value: Option<String>,
    pub expires: Option<DateTime<Utc>>,
}

/// A role granted to a user, with its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub role_id: String,
    pub name: String,
    pub description: Option<String>,
    pub audience: String,
    pub expires: Option<DateTime<Utc>>,
}

/// A checked SyncUserIdentity body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFields {
    pub audience: String,
    pub connection_id: String,
    pub groups: Vec<String>,
    /// Last value wins when a key repeats.
    pub attributes: Vec<(String, Option<String>)>,
    pub client_upn_key: Option<String>,
}

impl SyncFields {
    /// # Errors
    /// The first broken bound, naming the field by its JSON path.
    pub fn new(
        audience: &str,
        connection_id: &str,
        groups: Vec<String>,
        attributes: Vec<(String, Option<String>)>,
        client_upn_key: Option<String>,
    ) -> Result<Self, ValidationError> {
        BoundedText::parse("audience", audience, 1, MAX_AUDIENCE_LEN)?;
        BoundedText::parse("connection.connectionId", connection_id, 1, 50)?;
        if groups.len() > MAX_ITEMS {
            return Err(ValidationError::new(
                "connection.groups",
                format!("at most {MAX_ITEMS} groups"),
            ));
        }
        for (i, g) in groups.iter().enumerate() {
            BoundedText::parse(&format!("connection.groups[{i}]"), g, 1, MAX_GROUP_LEN)?;
        }
        if attributes.len() > MAX_ITEMS {
            return Err(ValidationError::new(
                "attributes",
                format!("at most {MAX_ITEMS} attributes"),
            ));
        }
        let mut deduped: Vec<(String, Option<String>)> = Vec::with_capacity(attributes.len());
        for (i, (key, value)) in attributes.into_iter().enumerate() {
            BoundedText::parse(&format!("attributes[{i}].key"), &key, 1, MAX_KEY_LEN)?;
            if let Some(v) = &value {
                BoundedText::parse(
                    &format!("attributes[{i}].value"),
                    v,
                    0,
                    MAX_ATTRIBUTE_VALUE_LEN,
                )?;
            }
            match deduped.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => deduped.push((key, value)),
            }
        }
        if let Some(k) = &client_upn_key {
            BoundedText::parse("clientUpnKey", k, 0, MAX_KEY_LEN)?;
        }
        Ok(Self {
            audience: audience.to_owned(),
            connection_id: connection_id.to_owned(),
            groups,
            attributes: deduped,
            client_upn_key,
        })
    }
}

/// How the stored attributes change: upserts by name; others stay.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeDiff {
    pub insert: Vec<(String, Option<String>)>,
    /// (stored id, new value)
    pub update: Vec<(i32, Option<String>)>,
}

impl AttributeDiff {
    pub fn is_empty(&self) -> bool {
        self.insert.is_empty() && self.update.is_empty()
    }
}

pub fn attribute_diff(
    current: &[Attribute],
    incoming: &[(String, Option<String>)],
) -> AttributeDiff {
    let mut diff = AttributeDiff::default();
    for (key, value) in incoming {
        match current.iter().find(|a| a.name == *key) {
            Some(a) if a.value == *value => {}
            Some(a) => diff.update.push((a.id, value.clone())),
            None => diff.insert.push((key.clone(), value.clone())),
        }
    }
    diff
}

/// The name claims of a sync answer, never empty:
/// - `displayName`: the stored one, else "givenName familyName", else the
///   username, else the email address;
/// - `givenName`: the stored one, else the first word of the display name;
/// - `familyName`: the stored one, else the last word of the display name when
///   it has several words, else the display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameClaims {
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
}

pub fn name_claims(user: &User) -> NameClaims {
    let non_empty = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_owned())
    };
    let display_name = non_empty(&user.display_name)
        .or_else(|| {
            non_empty(&format!(
                "{} {}",
                user.given_name.trim(),
                user.family_name.trim()
            ))
        })
        .or_else(|| non_empty(&user.username))
        .unwrap_or_else(|| user.email_address.to_string());
    let words: Vec<&str> = display_name.split_whitespace().collect();
    let given_name = non_empty(&user.given_name)
        .or_else(|| words.first().map(|w| (*w).to_owned()))
        .unwrap_or_else(|| display_name.clone());
    let family_name = non_empty(&user.family_name)
        .or_else(|| {
            (words.len() > 1)
                .then(|| words.last().map(|w| (*w).to_owned()))
                .flatten()
        })
        .unwrap_or_else(|| display_name.clone());
    NameClaims {
        given_name,
        family_name,
        display_name,
    }
}

/// The unexpired grants for `audience`.
pub fn roles_for(grants: &[RoleGrant], audience: &str, now: DateTime<Utc>) -> Vec<RoleGrant> {
    grants
        .iter()
        .filter(|g| g.audience == audience && g.expires.is_none_or(|e| e > now))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{NewUser, NewUserInput};
    use nexus_domain::UserId;

    fn user(given: &str, family: &str, display: &str) -> User {
        let input = NewUserInput {
            email_address: "ann@example.com".into(),
            username: "ann.lee".into(),
            given_name: given.into(),
            family_name: family.into(),
            display_name: display.into(),
            ..NewUserInput::default()
        };
        User::create(
            NewUser::new(&input).unwrap(),
            UserId::parse("u").unwrap(),
            Utc::now(),
            "a",
        )
    }

    #[test]
    fn name_claims_fall_back_and_are_never_empty() {
        let c = name_claims(&user("", "", ""));
        assert_eq!(
            (
                c.given_name.as_str(),
                c.family_name.as_str(),
                c.display_name.as_str()
            ),
            ("ann.lee", "ann.lee", "ann.lee")
        );
        let c = name_claims(&user("", "", "Ann Maria Lee"));
        assert_eq!(
            (c.given_name.as_str(), c.family_name.as_str()),
            ("Ann", "Lee")
        );
        let c = name_claims(&user("Ann", "Lee", ""));
        assert_eq!(c.display_name, "Ann Lee");
    }

    #[test]
    fn attributes_are_upserted_by_key() {
        let stored = vec![
            Attribute {
                id: 1,
                user_id: "u".into(),
                name: "a".into(),
                value: Some("1".into()),
                expires: None,
            },
            Attribute {
                id: 2,
                user_id: "u".into(),
                name: "b".into(),
                value: Some("2".into()),
                expires: None,
            },
        ];
        let diff = attribute_diff(
            &stored,
            &[
                ("a".into(), Some("1".into())),
                ("b".into(), Some("3".into())),
                ("c".into(), None),
            ],
        );
        assert_eq!(diff.update, vec![(2, Some("3".into()))]);
        assert_eq!(diff.insert, vec![("c".into(), None)]);
    }

    #[test]
    fn only_unexpired_grants_of_the_audience_count() {
        let now = Utc::now();
        let g = |name: &str, aud: &str, exp: Option<DateTime<Utc>>| RoleGrant {
            role_id: name.into(),
            name: name.into(),
            description: None,
            audience: aud.into(),
            expires: exp,
        };
        let grants = [
            g("a", "api", None),
            g("b", "api", Some(now - chrono::Duration::seconds(1))),
            g("c", "api", Some(now + chrono::Duration::hours(1))),
            g("d", "other", None),
        ];
        let names: Vec<String> = roles_for(&grants, "api", now)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn sync_bounds_name_the_field() {
        let ok = SyncFields::new(
            "api",
            "con",
            vec!["g".into()],
            vec![("k".into(), Some("v".into()))],
            None,
        );
        assert!(ok.is_ok());
        assert_eq!(
            SyncFields::new("", "con", vec![], vec![], None)
                .unwrap_err()
                .field,
            "audience"
        );
        assert_eq!(
            SyncFields::new("a", "con", vec![], vec![], Some("k".repeat(256)))
                .unwrap_err()
                .field,
            "clientUpnKey"
        );
        assert_eq!(
            SyncFields::new("a", "con", vec!["".into()], vec![], None)
                .unwrap_err()
                .field,
            "connection.groups[0]"
        );
        let dup = SyncFields::new(
            "a",
            "c",
            vec![],
            vec![
                ("k".into(), Some("1".into())),
                ("k".into(), Some("2".into())),
            ],
            None,
        )
        .unwrap();
        assert_eq!(dup.attributes, vec![("k".to_owned(), Some("2".to_owned()))]);
    }
}
