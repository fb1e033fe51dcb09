//! The custom UPN service owns per-application user principal names
//! (`custom_upns`): an Auth0 client whose `app_upn_key` equals a UPN's client
//! key puts its value into the token's `upn` claim. It is reached over gRPC
//! (`nexus.upn.v1`), asks the identity service whether users exist, and
//! publishes every change through its transactional outbox.

pub mod adapters;
pub mod application;
pub mod domain;
pub mod ports;

pub use adapters::db::Migrator;
pub use adapters::grpc::grpc_service;
pub use adapters::user_events::{consumer as event_consumer, options as event_consumer_options};

/// The name of this service in events (`ce-source`) and subjects.
pub const SERVICE_NAME: &str = "upn";
