//! The identity aggregates and their rules. Pure: no I/O here.

pub mod custom_upn;
pub mod directory_group;
pub mod error;
pub mod events;
pub mod identity;
pub mod idp_tenant;
pub mod organization;
pub mod profile;
pub mod sync;
pub mod user;

pub use custom_upn::CustomUpn;
pub use directory_group::{DirectoryGroup, GroupChanges, GroupMember, GroupQuery, NewGroup};
pub use error::DirectoryError;
pub use events::{IdpTenantEvent, OrganizationEvent, RoleEvent, UserEvent};
pub use identity::{Identity, IdentityGroup, LinkFields};
pub use idp_tenant::{IdpTenant, IdpTenantFields, IdpTenantPatch};
pub use organization::{
    Membership, MembershipFields, Organization, OrganizationFields, OrganizationPatch,
};
pub use profile::{AttributeFields, RoleDefinition, RoleFields};
pub use sync::{Attribute, RoleGrant, SyncFields};
pub use user::{NewUser, NewUserInput, User, UserPatch};
