//! The custom UPN service owns per-application user principal names
//! (`custom_upns`). It is reached over gRPC (`nexus.upn.v1`).

pub mod adapters;
pub mod domain;
pub mod ports;

pub use adapters::db::Migrator;
pub use adapters::grpc::grpc_service;

/// The name of this service in events and subjects.
pub const SERVICE_NAME: &str = "upn";
