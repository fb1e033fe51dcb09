//! Compiles `proto/` with protox (pure Rust, no system `protoc`) and generates the
//! prost messages and tonic services, plus the descriptor set for gRPC reflection.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "nexus/common/v1/common.proto",
    "nexus/identity/v1/identity.proto",
    "nexus/upn/v1/upn.proto",
    "nexus/tenant_access/v1/tenant_access.proto",
    "nexus/events/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", root.display());

    let fds = protox::compile(PROTOS, [&root])?;
    std::fs::write(
        out_dir.join("nexus_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}
