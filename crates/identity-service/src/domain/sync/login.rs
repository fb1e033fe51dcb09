//! What a login changes, worked out in memory from the user as read, so the
//! storage can tell a login that only records its time (most of them) from
//! one that rewrites groups or attributes, and can build its answer from what
//! it read and wrote instead of reading again.

use chrono::{DateTime, Utc};
use nexus_domain::UserId;

use super::{Attribute, AttributeDiff, SyncFields, attribute_diff};
use crate::domain::identity::{GroupDiff, group_diff};
use crate::domain::{DirectoryError, Identity, IdentityGroup};

/// The changes one login makes to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginPlan {
    /// The identity on the login's connection.
    pub identity_id: i32,
    pub groups: GroupDiff,
    pub attributes: AttributeDiff,
    /// Names of the attributes to write, with their new values: the inserts
    /// and the updates of [`Self::attributes`], so a store can upsert them by
    /// name in one go.
    pub upserts: Vec<(String, Option<String>)>,
}

impl LoginPlan {
    /// # Errors
    /// [`DirectoryError::NotFound`] naming the connection when the user has
    /// no identity on it.
    pub fn new(
        user: &UserId,
        identities: &[Identity],
        attributes: &[Attribute],
        fields: &SyncFields,
    ) -> Result<Self, DirectoryError> {
        let identity = identities
            .iter()
            .find(|i| i.azo_connection_id == fields.connection_id)
            .ok_or_else(|| {
                DirectoryError::NotFound(format!(
                    "connection.connectionId: user {user} has no identity on connection {}",
                    fields.connection_id
                ))
            })?;
        let diff = attribute_diff(attributes, &fields.attributes);
        let mut upserts = diff.insert.clone();
        for (id, value) in &diff.update {
            if let Some(a) = attributes.iter().find(|a| a.id == *id) {
                upserts.push((a.name.clone(), value.clone()));
            }
        }
        Ok(Self {
            identity_id: identity.id,
            groups: group_diff(&identity.groups, &fields.groups),
            attributes: diff,
            upserts,
        })
    }

    /// Whether the login changes nothing but the login time.
    pub fn only_login_time(&self) -> bool {
        self.groups.is_empty() && self.attributes.is_empty()
    }
}

/// The login time after a login at `now`: it never goes backwards, so a
/// login that reaches the store late leaves a later one in place.
pub fn login_time(previous: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    previous.map_or(now, |p| p.max(now))
}

/// An identity's groups after removing `removed` and adding `added`, by id.
pub fn with_groups(
    mut groups: Vec<IdentityGroup>,
    removed: &[i32],
    added: Vec<IdentityGroup>,
) -> Vec<IdentityGroup> {
    groups.retain(|g| !removed.contains(&g.id));
    groups.extend(added);
    groups.sort_by_key(|g| g.id);
    groups
}

/// The attributes after `written` replaced those with the same id or joined
/// them, by id.
pub fn with_attributes(mut attributes: Vec<Attribute>, written: Vec<Attribute>) -> Vec<Attribute> {
    for w in written {
        match attributes.iter_mut().find(|a| a.id == w.id) {
            Some(a) => *a = w,
            None => attributes.push(w),
        }
    }
    attributes.sort_by_key(|a| a.id);
    attributes
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn identity(id: i32, connection: &str, groups: &[(i32, &str)]) -> Identity {
        Identity {
            id,
            user_id: "u".into(),
            idp_tenant_id: 1,
            strategy: "auth0".into(),
            azo_user_id: format!("auth0|{id}"),
            azo_connection_id: connection.into(),
            groups: groups
                .iter()
                .map(|(gid, name)| IdentityGroup {
                    id: *gid,
                    identity_id: id,
                    group_name: (*name).into(),
                    expires: None,
                })
                .collect(),
            idp_tenant_name: String::new(),
            azo_tenant_name: String::new(),
            idp_tenant_fqdn: String::new(),
            login_domain: String::new(),
        }
    }

    fn attribute(id: i32, name: &str, value: &str) -> Attribute {
        Attribute {
            id,
            user_id: "u".into(),
            name: name.into(),
            value: Some(value.into()),
            expires: None,
        }
    }

    fn fields(groups: &[&str], attributes: &[(&str, &str)]) -> SyncFields {
        SyncFields::new(
            "api",
            "con",
            groups.iter().map(|g| (*g).to_owned()).collect(),
            attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
                .collect(),
            None,
        )
        .unwrap()
    }

    #[test]
    fn a_login_with_what_is_stored_only_records_its_time() {
        let user = UserId::parse("u").unwrap();
        let plan = LoginPlan::new(
            &user,
            &[
                identity(1, "other", &[]),
                identity(2, "con", &[(7, "staff")]),
            ],
            &[attribute(3, "dept", "ops")],
            &fields(&["staff"], &[("dept", "ops")]),
        )
        .unwrap();
        assert_eq!(plan.identity_id, 2);
        assert!(plan.only_login_time());
        assert!(plan.upserts.is_empty());
    }

    #[test]
    fn a_changing_login_lists_its_upserts_by_name() {
        let user = UserId::parse("u").unwrap();
        let plan = LoginPlan::new(
            &user,
            &[identity(2, "con", &[(7, "staff"), (8, "old")])],
            &[attribute(3, "dept", "ops")],
            &fields(&["staff", "new"], &[("dept", "dev"), ("site", "x")]),
        )
        .unwrap();
        assert!(!plan.only_login_time());
        assert_eq!(plan.groups.remove, vec![8]);
        assert_eq!(plan.groups.add, vec!["new".to_owned()]);
        assert_eq!(
            plan.upserts,
            vec![
                ("site".to_owned(), Some("x".to_owned())),
                ("dept".to_owned(), Some("dev".to_owned()))
            ]
        );
    }

    #[test]
    fn a_login_on_an_unknown_connection_names_it() {
        let user = UserId::parse("u").unwrap();
        let err =
            LoginPlan::new(&user, &[identity(1, "x", &[])], &[], &fields(&[], &[])).unwrap_err();
        assert!(err.to_string().contains("connection con"), "{err}");
    }

    #[test]
    fn the_login_time_never_goes_backwards() {
        let early = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let late = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        assert_eq!(login_time(None, early), early);
        assert_eq!(login_time(Some(late), early), late);
        assert_eq!(login_time(Some(early), late), late);
    }

    #[test]
    fn written_rows_replace_or_join_what_was_read() {
        let groups = with_groups(
            identity(1, "c", &[(5, "a"), (6, "b")]).groups,
            &[5],
            identity(1, "c", &[(9, "z")]).groups,
        );
        let names: Vec<&str> = groups.iter().map(|g| g.group_name.as_str()).collect();
        assert_eq!(names, ["b", "z"]);
        let attributes = with_attributes(
            vec![attribute(1, "a", "1"), attribute(2, "b", "2")],
            vec![attribute(2, "b", "3"), attribute(4, "c", "4")],
        );
        let values: Vec<&str> = attributes
            .iter()
            .filter_map(|a| a.value.as_deref())
            .collect();
        assert_eq!(values, ["1", "3", "4"]);
    }
}
