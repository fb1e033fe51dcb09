//! Use cases of the tenant-access service: one method per operation, talking
//! to ports only.

pub mod members;
pub mod projection;
mod provisioning;

pub use members::{MAX_PAGE, TenantUserPage, TenantUserService};
pub use projection::ProjectionService;
