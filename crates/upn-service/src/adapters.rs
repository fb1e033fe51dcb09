//! Adapters: gRPC inbound, sea-orm storage.

pub mod db;
pub mod grpc;
