//! Identities: the links between a Nexus user and its accounts in IdP
//! tenants, and the groups each account brings at login.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use nexus_domain::{BoundedText, ValidationError};

/// A group of an identity, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityGroup {
    pub id: i32,
    pub identity_id: i32,
    pub group_name: String,
    pub expires: Option<DateTime<Utc>>,
}

/// A link of a user to an IdP tenant, with the tenant's names filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: i32,
    pub user_id: String,
    pub idp_tenant_id: i32,
    pub strategy: String,
    pub azo_user_id: String,
    pub azo_connection_id: String,
    pub groups: Vec<IdentityGroup>,
    /// From the IdP tenant record.
    pub idp_tenant_name: String,
    pub azo_tenant_name: String,
    pub idp_tenant_fqdn: String,
    pub login_domain: String,
}

/// The contract's bounds of a link.
pub const MAX_STRATEGY_LEN: usize = 25;
pub const MAX_AZO_USER_ID_LEN: usize = 250;
pub const MAX_AZO_CONNECTION_ID_LEN: usize = 50;

/// A checked LinkUserToTenant body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFields {
    pub strategy: String,
    pub azo_user_id: String,
    pub azo_connection_id: String,
}

impl LinkFields {
    /// # Errors
    /// The first field outside its bounds: strategy 1..25, azoUserId 1..250,
    /// azoConnectionId 1..50.
    pub fn new(
        strategy: &str,
        azo_user_id: &str,
        azo_connection_id: &str,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            strategy: BoundedText::parse("strategy", strategy, 1, MAX_STRATEGY_LEN)?.into_string(),
            azo_user_id: BoundedText::parse("azoUserId", azo_user_id, 1, MAX_AZO_USER_ID_LEN)?
                .into_string(),
            azo_connection_id: BoundedText::parse(
                "azoConnectionId",
                azo_connection_id,
                1,
                MAX_AZO_CONNECTION_ID_LEN,
            )?
            .into_string(),
        })
    }
}

/// How an identity's groups must change to become exactly `wanted`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupDiff {
    pub add: Vec<String>,
    /// Ids of stored groups no longer wanted.
    pub remove: Vec<i32>,
}

impl GroupDiff {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// Groups in `wanted` that are stored are kept (with their ids); the others are
/// added; stored groups not in `wanted` are removed. Names compare exactly.
pub fn group_diff(current: &[IdentityGroup], wanted: &[String]) -> GroupDiff {
    let wanted: BTreeSet<&str> = wanted.iter().map(String::as_str).collect();
    let have: BTreeSet<&str> = current.iter().map(|g| g.group_name.as_str()).collect();
    GroupDiff {
        add: wanted.difference(&have).map(|s| (*s).to_owned()).collect(),
        remove: current
            .iter()
            .filter(|g| !wanted.contains(g.group_name.as_str()))
            .map(|g| g.id)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: i32, name: &str) -> IdentityGroup {
        IdentityGroup {
            id,
            identity_id: 1,
            group_name: name.into(),
            expires: None,
        }
    }

    #[test]
    fn groups_become_exactly_the_wanted_set() {
        let current = [group(1, "a"), group(2, "b"), group(3, "c")];
        let diff = group_diff(&current, &["b".into(), "d".into(), "d".into()]);
        assert_eq!(
            diff,
            GroupDiff {
                add: vec!["d".into()],
                remove: vec![1, 3]
            }
        );
        assert!(group_diff(&current, &["c".into(), "a".into(), "b".into()]).is_empty());
    }

    #[test]
    fn link_bounds_name_the_field() {
        assert!(LinkFields::new("auth0", "auth0|1", "con_1").is_ok());
        assert_eq!(
            LinkFields::new(&"s".repeat(26), "u", "c")
                .unwrap_err()
                .field,
            "strategy"
        );
        assert_eq!(
            LinkFields::new("s", "", "c").unwrap_err().field,
            "azoUserId"
        );
        assert_eq!(
            LinkFields::new("s", "u", &"c".repeat(51))
                .unwrap_err()
                .field,
            "azoConnectionId"
        );
    }
}
