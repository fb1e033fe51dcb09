//! The string shapes of the contract as the OpenAPI document states them: the
//! regular expressions every free-text, DNS, email and id field follows, and
//! the string types used as list items.
//!
//! Annotations name a pattern (`pattern = "nexus:text"`) instead of repeating
//! the expression: utoipa only takes string literals there, so the names are
//! replaced by [`expand_patterns`] when the document is built.

use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Schema, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};

/// One DNS label, the building block of [`DNS`] and [`EMAIL`].
macro_rules! dns_name {
    () => {
        "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    };
}

/// Text without control characters, as every free-text field of the contract.
pub const TEXT: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// A DNS name.
pub const DNS: &str = concat!("^", dns_name!(), "$");
/// An email address: a local part without spaces or control characters, and
/// a DNS domain.
pub const EMAIL: &str = concat!("^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@", dns_name!(), "$");
/// The id of a user, and the cursors of the lists keyed by user ids.
pub const ID: &str = "^[A-Za-z0-9_-]{1,64}$";
/// A tenant of the back-office routes.
pub const TENANT_ID: &str = "^[A-Za-z0-9._-]{1,128}$";
/// A tenant role name.
pub const TENANT_ROLE: &str = "^[a-z0-9._-]{1,64}$";
/// The cursor of the lists keyed by integer ids.
pub const DIGITS: &str = "^[0-9]{1,9}$";

/// The names annotations use, and the expression each stands for.
const PATTERNS: &[(&str, &str)] = &[
    ("nexus:text", TEXT),
    ("nexus:dns", DNS),
    ("nexus:email", EMAIL),
    ("nexus:id", ID),
    ("nexus:tenant-id", TENANT_ID),
    ("nexus:tenant-role", TENANT_ROLE),
    ("nexus:digits", DIGITS),
];

/// Replaces every named pattern of `doc` by its expression.
pub fn expand_patterns(doc: &mut Value) {
    match doc {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "pattern"
                    && let Value::String(name) = value
                    && let Some((_, expression)) = PATTERNS.iter().find(|(n, _)| n == name)
                {
                    *value = Value::String((*expression).to_owned());
                } else {
                    expand_patterns(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(expand_patterns),
        _ => {}
    }
}

fn string_schema(min: Option<usize>, max: usize, pattern: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(min)
        .max_length(Some(max))
        .pattern(pattern)
        .into()
}

macro_rules! string_type {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $pattern:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_schema($min, $max, $pattern)
            }
        }

        impl ToSchema for $name {}
    };
}

string_type!(
    /// A group name brought by a login.
    GroupName, Some(1), 255, Some(TEXT)
);
string_type!(
    /// An organization alias.
    Alias, Some(1), 255, Some(TEXT)
);
string_type!(
    /// A DNS name.
    DomainName, None, 253, Some(DNS)
);
string_type!(
    /// A role definition's id.
    RoleId, Some(1), 64, None
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_patterns_are_expanded_everywhere_and_others_kept() {
        let mut doc = json!({
            "a": {"pattern": "nexus:text"},
            "b": [{"items": {"pattern": "nexus:email"}}],
            "c": {"pattern": "^x$"},
        });
        expand_patterns(&mut doc);
        assert_eq!(doc["a"]["pattern"], TEXT);
        assert_eq!(doc["b"][0]["items"]["pattern"], EMAIL);
        assert_eq!(doc["c"]["pattern"], "^x$");
        assert!(EMAIL.ends_with(&DNS[1..]));
    }
}
