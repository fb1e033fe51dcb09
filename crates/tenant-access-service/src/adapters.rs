//! Adapters: gRPC inbound, sea-orm storage, the identity service's gRPC
//! client, Auth0's Management API, event encoding and decoding.

pub mod auth0;
pub mod db;
pub mod events;
pub mod grpc;
pub mod identity;
pub mod projection;
