//! Use cases of the identity service: one method per operation, talking to
//! ports only.

pub mod groups;
pub mod idp_tenants;
pub mod links;
pub mod organizations;
pub mod profile;
pub mod provisioning;
pub mod users;

pub use idp_tenants::IdpTenantService;
pub use links::{IdentityLinkService, SyncOutcome};
pub use organizations::OrganizationService;
pub use profile::ProfileService;
pub use users::UserService;

use nexus_domain::ValidationError;

/// A page of a list and the cursor of the next one (`None` on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The page size to use: `limit`, or `default` for 0.
///
/// # Errors
/// A limit above `max`.
pub(crate) fn page_size(limit: u64, default: u64, max: u64) -> Result<u64, ValidationError> {
    match limit {
        0 => Ok(default),
        l if l <= max => Ok(l),
        _ => Err(ValidationError::new("limit", format!("must be 1 to {max}"))),
    }
}

/// A page from items fetched with `size + 1`: the extra one only says that
/// another page follows; the cursor is the key of the page's last item.
pub(crate) fn page<T>(mut items: Vec<T>, size: u64, key: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() as u64 > size;
    items.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let next_cursor = if more { items.last().map(key) } else { None };
    Page { items, next_cursor }
}

/// An integer cursor (the last id of the previous page).
///
/// # Errors
/// A cursor this list did not make.
pub(crate) fn int_cursor(cursor: &str) -> Result<Option<i32>, ValidationError> {
    if cursor.is_empty() {
        return Ok(None);
    }
    let bad = || ValidationError::new("cursor", "is not a cursor of this list");
    if cursor.len() > 9 || !cursor.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    cursor.parse::<i32>().map(Some).map_err(|_| bad())
}
