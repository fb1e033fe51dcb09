//! Adapters: gRPC inbound, sea-orm storage, the event encoding and the
//! identity service's gRPC client outbound.

pub mod db;
pub mod events;
pub mod grpc;
pub mod identity;
pub mod user_events;
