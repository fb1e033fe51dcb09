//! The custom UPN: a per-application login name of a user, and the rules its
//! fields obey. A wrong value locks the user out of the application, so the
//! format is checked strictly.

use chrono::{DateTime, Utc};
use nexus_domain::values::is_dns_name;
use nexus_domain::{UserId, ValidationError};

/// Longest `clientUpnKey`, in characters.
pub const MAX_CLIENT_UPN_KEY_LEN: usize = 255;
/// Longest `customUpnValue`, in characters.
pub const MAX_CUSTOM_UPN_VALUE_LEN: usize = 1024;

/// A per-application login name of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomUpn {
    pub id: String,
    pub user_id: UserId,
    pub client_upn_key: Option<String>,
    pub custom_upn_value: Option<String>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub created_by: String,
    pub modified_by: String,
    /// 1 at creation, incremented by every change.
    pub version: u64,
}

impl CustomUpn {
    /// The value as compared for uniqueness: lower-cased.
    pub fn normalized_value(&self) -> Option<String> {
        self.custom_upn_value.as_deref().map(normalize)
    }

    /// Applies `patch`; `Ok(false)` when nothing changes (no new version).
    ///
    /// # Errors
    /// A field that breaks its rule; the UPN is then unchanged.
    pub fn apply(
        &mut self,
        patch: &UpnPatch,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<bool, ValidationError> {
        let key = match &patch.client_upn_key {
            Some(Some(k)) => Some(Some(check_client_upn_key(k)?)),
            other => other.clone(),
        };
        let value = match &patch.custom_upn_value {
            Some(Some(v)) => Some(Some(check_custom_upn_value(v)?)),
            other => other.clone(),
        };
        let mut changed = false;
        if let Some(key) = key
            && key != self.client_upn_key
        {
            self.client_upn_key = key;
            changed = true;
        }
        if let Some(value) = value
            && value != self.custom_upn_value
        {
            self.custom_upn_value = value;
            changed = true;
        }
        if changed {
            self.modified = now;
            self.modified_by = actor.to_owned();
            self.version += 1;
        }
        Ok(changed)
    }
}

/// The lower-cased form used for case-insensitive uniqueness.
pub fn normalize(value: &str) -> String {
    value.to_lowercase()
}

/// A checked create request: both fields are required, since a UPN without a
/// client key or a value changes no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomUpn {
    pub client_upn_key: String,
    pub custom_upn_value: String,
}

impl NewCustomUpn {
    /// # Errors
    /// A missing field, or one that breaks its rule, named.
    pub fn new(
        client_upn_key: Option<&str>,
        custom_upn_value: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let key =
            client_upn_key.ok_or_else(|| ValidationError::new("clientUpnKey", "is required"))?;
        let value = custom_upn_value
            .ok_or_else(|| ValidationError::new("customUpnValue", "is required"))?;
        Ok(Self {
            client_upn_key: check_client_upn_key(key)?,
            custom_upn_value: check_custom_upn_value(value)?,
        })
    }
}

/// A partial update: `None` leaves a field unchanged, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpnPatch {
    pub client_upn_key: Option<Option<String>>,
    pub custom_upn_value: Option<Option<String>>,
}

/// A client key: 1 to 255 characters, no control characters.
///
/// # Errors
/// Names `clientUpnKey` and the rule.
pub fn check_client_upn_key(raw: &str) -> Result<String, ValidationError> {
    let field = "clientUpnKey";
    if raw.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if raw.chars().count() > MAX_CLIENT_UPN_KEY_LEN {
        return Err(ValidationError::new(
            field,
            format!("must be at most {MAX_CLIENT_UPN_KEY_LEN} characters"),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(raw.to_owned())
}

/// A UPN value: `user_part@domain_part` with exactly one `@`, a non-empty
/// user part without spaces or control characters, a domain part that is a
/// DNS name, at most 1024 characters.
///
/// # Errors
/// Names `customUpnValue` and the rule.
pub fn check_custom_upn_value(raw: &str) -> Result<String, ValidationError> {
    let invalid = |message: &str| ValidationError::new("customUpnValue", message);
    if raw.chars().count() > MAX_CUSTOM_UPN_VALUE_LEN {
        return Err(invalid(&format!(
            "must be at most {MAX_CUSTOM_UPN_VALUE_LEN} characters"
        )));
    }
    let Some((user_part, domain_part)) = raw.split_once('@') else {
        return Err(invalid("must take the form user_part@domain_part (no '@')"));
    };
    if domain_part.contains('@') {
        return Err(invalid(
            "must take the form user_part@domain_part (exactly one '@')",
        ));
    }
    if user_part.is_empty() {
        return Err(invalid("the user part before '@' must not be empty"));
    }
    if user_part
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            "the user part before '@' must not contain spaces or control characters",
        ));
    }
    if !is_dns_name(domain_part) {
        return Err(invalid(
            "the domain part after '@' must be a DNS name (labels of letters, digits and '-', separated by '.')",
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn rejects(value: &str, rule: &str) {
        let e = check_custom_upn_value(value).unwrap_err();
        assert_eq!(e.field, "customUpnValue");
        assert!(e.message.contains(rule), "{value}: {}", e.message);
    }

    #[test]
    fn a_value_is_one_user_part_at_one_dns_domain() {
        assert_eq!(
            check_custom_upn_value("Ann.Lee+app@Sub.Example-1.com").unwrap(),
            "Ann.Lee+app@Sub.Example-1.com"
        );
        assert!(check_custom_upn_value("a@localhost").is_ok());
    }

    #[test]
    fn malformed_values_are_refused_naming_the_rule() {
        rejects("ann.example.com", "no '@'");
        rejects("ann@x@example.com", "exactly one '@'");
        rejects("@example.com", "must not be empty");
        rejects("ann lee@example.com", "spaces");
        rejects("ann\tlee@example.com", "spaces");
        rejects("ann\u{7}@example.com", "control");
        rejects("ann@", "DNS name");
        rejects("ann@exa mple.com", "DNS name");
        rejects("ann@-example.com", "DNS name");
        rejects("ann@example..com", "DNS name");
        rejects("ann@example_com", "DNS name");
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        let domain = "example.com";
        let at_limit = format!("{}@{domain}", "é".repeat(1024 - 1 - domain.len()));
        assert!(check_custom_upn_value(&at_limit).is_ok());
        let over = format!("é{at_limit}");
        rejects(&over, "at most 1024");
        assert!(check_client_upn_key(&"k".repeat(255)).is_ok());
        let e = check_client_upn_key(&"k".repeat(256)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "clientUpnKey: must be at most 255 characters"
        );
        assert!(check_client_upn_key("").is_err());
        assert!(check_client_upn_key("a\nb").is_err());
    }

    #[test]
    fn create_requires_both_fields() {
        assert_eq!(
            NewCustomUpn::new(None, Some("a@b.c")).unwrap_err().field,
            "clientUpnKey"
        );
        assert_eq!(
            NewCustomUpn::new(Some("app"), None).unwrap_err().field,
            "customUpnValue"
        );
    }

    fn upn() -> CustomUpn {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        CustomUpn {
            id: "u1".into(),
            user_id: UserId::parse("user1").unwrap(),
            client_upn_key: Some("app".into()),
            custom_upn_value: Some("ann@example.com".into()),
            created: t,
            modified: t,
            created_by: "alice".into(),
            modified_by: "alice".into(),
            version: 1,
        }
    }

    #[test]
    fn a_patch_changes_present_fields_clears_nulls_and_bumps_the_version() {
        let mut u = upn();
        let later = u.created + chrono::Duration::seconds(1);
        let patch = UpnPatch {
            client_upn_key: Some(None),
            custom_upn_value: None,
        };
        assert!(u.apply(&patch, later, "bob").unwrap());
        assert_eq!(u.client_upn_key, None);
        assert_eq!(u.custom_upn_value.as_deref(), Some("ann@example.com"));
        assert_eq!(
            (u.version, u.modified, u.modified_by.as_str()),
            (2, later, "bob")
        );
    }

    #[test]
    fn a_patch_that_changes_nothing_keeps_the_version() {
        let mut u = upn();
        let same = UpnPatch {
            client_upn_key: Some(Some("app".into())),
            custom_upn_value: None,
        };
        assert!(!u.apply(&same, u.created, "bob").unwrap());
        assert_eq!(u, upn());
    }

    #[test]
    fn a_bad_patch_changes_nothing() {
        let mut u = upn();
        let bad = UpnPatch {
            client_upn_key: Some(Some("other".into())),
            custom_upn_value: Some(Some("no-at".into())),
        };
        assert_eq!(
            u.apply(&bad, u.created, "bob").unwrap_err().field,
            "customUpnValue"
        );
        assert_eq!(u, upn());
    }
}
