//! Generated protobuf messages and gRPC services of Nexus (from `proto/`).
//!
//! Nothing is written by hand here: conversions between these types and domain
//! types live in each service's gRPC adapter and in the gateway's client module.

#![allow(clippy::all, clippy::pedantic)]

/// Serialized `FileDescriptorSet` of every Nexus proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/nexus_descriptor.bin"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("nexus.common.v1");
    }
}

pub mod identity {
    pub mod v1 {
        tonic::include_proto!("nexus.identity.v1");
    }
}

pub mod upn {
    pub mod v1 {
        tonic::include_proto!("nexus.upn.v1");
    }
}

pub mod tenant_access {
    pub mod v1 {
        tonic::include_proto!("nexus.tenant_access.v1");
    }
}

pub mod events {
    pub mod v1 {
        tonic::include_proto!("nexus.events.v1");
    }
}
