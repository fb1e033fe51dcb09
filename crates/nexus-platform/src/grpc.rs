//! gRPC serving shared by every service: the health service (tonic-health),
//! reflection over every Nexus proto, and serving until shutdown on a listener
//! bound beforehand (so port 0 works and the bound address is known).

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic_health::server::HealthReporter;

use crate::shutdown::Shutdown;

/// Binds `addr` (port 0 picks a free port).
///
/// # Errors
/// The address is taken or not local.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Health and reflection services, added to every server.
///
/// # Errors
/// The embedded descriptor set is unreadable (a build defect).
pub fn standard_routes() -> Result<(Routes, HealthReporter), tonic_reflection::server::Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(nexus_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let routes = Routes::new(health).add_service(reflection);
    Ok((routes, reporter))
}

/// Serves `routes` on `listener` until `shutdown`, then drains in-flight calls.
/// Accepted sockets have `TCP_NODELAY`: a unary answer is one small write, and
/// Nagle's algorithm would hold it until the client's delayed ACK.
///
/// # Errors
/// The transport failed.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    shutdown: Shutdown,
) -> Result<(), tonic::transport::Error> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, async move { shutdown.wait().await })
        .await
}
