//! A user's custom UPNs as identity shows them (owned by the upn service), and
//! which of them a login for a given client sees.

use chrono::{DateTime, Utc};

/// A per-application login name of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomUpn {
    pub id: String,
    pub user_id: String,
    pub client_upn_key: Option<String>,
    pub custom_upn_value: Option<String>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub created_by: String,
    pub modified_by: String,
    /// The upn service's version of it, which is its REST ETag.
    pub version: u64,
}

/// The UPNs a sync answers in `user.customUpns`: with a `clientUpnKey`, only
/// the UPN for that key (at most one: a user has one UPN per key), so the
/// login's `upn` claim is unambiguous; without one, all of the user's UPNs.
/// Keys compare exactly, as Auth0 client metadata does.
pub fn for_client(upns: &mut Vec<CustomUpn>, client_upn_key: Option<&str>) {
    if let Some(key) = client_upn_key {
        upns.retain(|u| u.client_upn_key.as_deref() == Some(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upn(id: &str, key: Option<&str>) -> CustomUpn {
        let now = Utc::now();
        CustomUpn {
            id: id.into(),
            user_id: "u".into(),
            client_upn_key: key.map(Into::into),
            custom_upn_value: Some(format!("{id}@example.com")),
            created: now,
            modified: now,
            created_by: "a".into(),
            modified_by: "a".into(),
            version: 1,
        }
    }

    #[test]
    fn a_client_key_selects_its_upn_only() {
        let all = vec![upn("a", Some("crm")), upn("b", Some("erp")), upn("c", None)];
        let mut crm = all.clone();
        for_client(&mut crm, Some("crm"));
        assert_eq!(crm.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["a"]);
        let mut none = all.clone();
        for_client(&mut none, Some("CRM"));
        assert!(none.is_empty());
        let mut every = all.clone();
        for_client(&mut every, None);
        assert_eq!(every, all);
    }
}
