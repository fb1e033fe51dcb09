//! The contract's JSON answers, converted from the services' messages: every
//! proto → JSON conversion of the gateway is here. Field names are the
//! contract's, hyphenated keys included; absent values are `null`, absent
//! lists `[]`, timestamps RFC 3339 UTC.

mod directory;
mod organization;
mod user;

use chrono::{DateTime, SecondsFormat, Utc};

pub use directory::{CustomUpnJson, IdpTenantJson, RoleDefinitionJson, RoleJson, TenantUserJson};
pub use organization::{MembershipJson, OrganizationJson};
pub use user::{AttributeJson, IdentityGroupJson, IdentityJson, UserJson};

/// RFC 3339 UTC, as every timestamp of the contract.
pub fn rfc3339(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let t = t?;
    let nanos = u32::try_from(t.nanos).ok()?;
    DateTime::<Utc>::from_timestamp(t.seconds, nanos)
        .map(|d| d.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}
