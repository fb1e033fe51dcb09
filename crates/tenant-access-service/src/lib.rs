//! The tenant-access service owns which back-office users may administer which
//! tenant, with which role (`tenant_members`), and a projection of those users'
//! email, name, blocked flag and last login fed by identity events. It is
//! reached over gRPC (`nexus.tenant_access.v1`).

pub mod adapters;
pub mod domain;
pub mod ports;

pub use adapters::db::Migrator;
pub use adapters::grpc::grpc_service;

/// The name of this service in events and subjects.
pub const SERVICE_NAME: &str = "tenant-access";
