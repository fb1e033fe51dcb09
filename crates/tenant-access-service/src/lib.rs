//! The tenant-access service owns which back-office users may administer which
//! tenant, with which role (`tenant_members`), and a projection of those users'
//! email, name, blocked flag and last login fed by identity events. It is
//! reached over gRPC (`nexus.tenant_access.v1`), calls the identity service to
//! find, create and rename users, and publishes every membership change through
//! its transactional outbox.

pub mod adapters;
pub mod application;
pub mod domain;
pub mod ports;

pub use adapters::db::Migrator;
pub use adapters::grpc::{TenantAccessConfig, TenantAccessConfigError, grpc_service};
pub use adapters::projection::{consumer as event_consumer, options as event_consumer_options};
pub use domain::Roles;

/// The name of this service in events and subjects.
pub const SERVICE_NAME: &str = "tenant-access";
