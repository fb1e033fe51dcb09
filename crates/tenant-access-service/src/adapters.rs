//! Adapters: gRPC inbound, sea-orm storage, the identity service's gRPC
//! client, event encoding and decoding.

pub mod db;
pub mod events;
pub mod grpc;
pub mod identity;
pub mod projection;
