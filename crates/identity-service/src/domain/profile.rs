//! Attributes set by name and roles granted to users: the rules for both.
//! Expired attributes and grants count as absent everywhere.

use chrono::{DateTime, Utc};
use nexus_domain::{BoundedText, ValidationError};

use super::sync::{MAX_ATTRIBUTE_VALUE_LEN, MAX_AUDIENCE_LEN, MAX_KEY_LEN};

/// A checked attribute write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeFields {
    pub name: String,
    pub value: Option<String>,
    pub expires: Option<DateTime<Utc>>,
}

impl AttributeFields {
    /// An expiry may lie in the past: the attribute is then stored but counts
    /// as absent, as one that expired later would.
    ///
    /// # Errors
    /// A name outside 1..=255 or a value over 4096 characters.
    pub fn new(
        name: &str,
        value: Option<&str>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            name: BoundedText::parse("name", name, 1, MAX_KEY_LEN)?.into_string(),
            value: value
                .map(|v| {
                    BoundedText::parse("value", v, 0, MAX_ATTRIBUTE_VALUE_LEN)
                        .map(BoundedText::into_string)
                })
                .transpose()?,
            expires,
        })
    }
}

/// A role definition: a name within an audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDefinition {
    pub id: String,
    pub audience: String,
    pub name: String,
    pub description: Option<String>,
}

/// Longest role name and description.
pub const MAX_ROLE_NAME_LEN: usize = 255;
pub const MAX_ROLE_DESCRIPTION_LEN: usize = 1024;

/// A checked role definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFields {
    pub audience: String,
    pub name: String,
    pub description: Option<String>,
}

impl RoleFields {
    /// # Errors
    /// A field outside its bounds.
    pub fn new(
        audience: &str,
        name: &str,
        description: Option<&str>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            audience: BoundedText::parse("audience", audience, 1, MAX_AUDIENCE_LEN)?.into_string(),
            name: BoundedText::parse("name", name, 1, MAX_ROLE_NAME_LEN)?.into_string(),
            description: description
                .map(|d| {
                    BoundedText::parse("description", d, 0, MAX_ROLE_DESCRIPTION_LEN)
                        .map(BoundedText::into_string)
                })
                .transpose()?,
        })
    }
}

/// Whether something with this expiry still counts at `now`.
pub fn unexpired(expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires.is_none_or(|e| e > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_rules() {
        let now = Utc::now();
        assert!(AttributeFields::new("dept", Some("ops"), Some(now)).is_ok());
        assert_eq!(
            AttributeFields::new("", None, None).unwrap_err().field,
            "name"
        );
        assert_eq!(
            AttributeFields::new("a", Some(&"v".repeat(4097)), None)
                .unwrap_err()
                .field,
            "value"
        );
    }

    #[test]
    fn role_rules_and_expiry() {
        let now = Utc::now();
        assert!(RoleFields::new("api", "admin", None).is_ok());
        assert_eq!(
            RoleFields::new("", "admin", None).unwrap_err().field,
            "audience"
        );
        assert_eq!(RoleFields::new("api", "", None).unwrap_err().field, "name");
        assert!(unexpired(None, now));
        assert!(!unexpired(Some(now), now));
        assert!(unexpired(Some(now + chrono::Duration::seconds(1)), now));
    }
}
