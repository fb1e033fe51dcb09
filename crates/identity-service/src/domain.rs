//! The identity aggregates and their rules. Pure: no I/O here.

pub mod events;
pub mod identity;
pub mod idp_tenant;
pub mod sync;
pub mod user;

pub use events::{ChangeContext, IdpTenantEvent, Recorded, UserEvent};
pub use identity::{Identity, IdentityGroup, LinkFields};
pub use idp_tenant::{IdpTenant, IdpTenantFields, IdpTenantPatch};
pub use sync::{Attribute, RoleGrant, SyncFields};
pub use user::{NewUser, NewUserInput, User, UserError, UserPatch};
