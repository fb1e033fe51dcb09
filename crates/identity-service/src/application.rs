//! Use cases of the identity service: one method per operation, talking to
//! ports only.

pub mod idp_tenants;
pub mod links;
pub mod organizations;
pub mod profile;
pub mod users;

pub use idp_tenants::IdpTenantService;
pub use links::{IdentityLinkService, SyncOutcome};
pub use organizations::OrganizationService;
pub use profile::ProfileService;
pub use users::UserService;
