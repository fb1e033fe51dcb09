//! The identity service owns users, identity-provider tenants, the identities
//! linking them, groups, attributes, roles, organizations and memberships, and
//! the login-time sync. It is reached over gRPC (`nexus.identity.v1`) and
//! publishes every change through its transactional outbox.

pub mod adapters;
pub mod application;
pub mod domain;
pub mod ports;

pub use adapters::db::Migrator;
pub use adapters::grpc::grpc_service;
pub use adapters::upn_events::{consumer as event_consumer, options as event_consumer_options};

/// The name of this service in events (`ce-source`) and subjects.
pub const SERVICE_NAME: &str = "identity";
