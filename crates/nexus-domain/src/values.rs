//! Validated values shared by the services.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// An email address: one `@`, a non-empty local part, a domain with a dot-free
/// or dotted name of letters, digits and hyphens; no spaces or control characters.
/// Uniqueness is decided on [`EmailAddress::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// # Errors
    /// A [`ValidationError`] on `field` naming the broken rule.
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        if raw.is_empty() || raw.len() > MAX_EMAIL_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be 1 to {MAX_EMAIL_LEN} characters"),
            ));
        }
        let Some((local, domain)) = raw.split_once('@') else {
            return Err(ValidationError::new(field, "must contain '@'"));
        };
        if local.is_empty() || domain.contains('@') {
            return Err(ValidationError::new(
                field,
                "must have the form local@domain with exactly one '@'",
            ));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new(
                field,
                "must not contain spaces or control characters",
            ));
        }
        if !is_dns_name(domain) {
            return Err(ValidationError::new(
                field,
                "domain part must be a valid DNS name",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness: lower case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS name: labels of 1..=63 letters, digits or hyphens (not at either end),
/// at most 253 characters in all.
pub fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A text field with length bounds, counted in characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoundedText(String);

impl BoundedText {
    /// # Errors
    /// A [`ValidationError`] on `field` when the length is outside `min..=max`.
    pub fn parse(field: &str, raw: &str, min: usize, max: usize) -> Result<Self, ValidationError> {
        let len = raw.chars().count();
        if len < min || len > max {
            let rule = if min == 0 {
                format!("must be at most {max} characters")
            } else {
                format!("must be {min} to {max} characters")
            };
            return Err(ValidationError::new(field, rule));
        }
        if raw.chars().any(char::is_control) {
            return Err(ValidationError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        assert!(EmailAddress::parse("emailAddress", "Ann@Example.com").is_ok());
        assert_eq!(
            EmailAddress::parse("emailAddress", "Ann@Example.com").map(|e| e.normalized()),
            Ok("ann@example.com".to_owned())
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "a@b@c.com",
            "a b@c.com",
            "a@-c.com",
            "a@c..com",
        ] {
            let err = EmailAddress::parse("emailAddress", bad).expect_err(bad);
            assert_eq!(err.field, "emailAddress");
        }
    }

    #[test]
    fn bounded_text_counts_characters() {
        assert!(BoundedText::parse("name", "é", 1, 1).is_ok());
        assert_eq!(
            BoundedText::parse("name", "", 1, 5).unwrap_err().message,
            "must be 1 to 5 characters"
        );
        assert!(BoundedText::parse("name", "abcdef", 0, 5).is_err());
        assert!(BoundedText::parse("name", "a\u{0}", 0, 5).is_err());
    }
}
