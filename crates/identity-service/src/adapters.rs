//! Adapters: gRPC inbound, sea-orm storage and the event encoding outbound.

pub mod db;
pub mod events;
pub mod grpc;
pub mod upn_events;
