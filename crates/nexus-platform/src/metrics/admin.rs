//! The admin listener of a component: `GET /metrics` (Prometheus text) and
//! `GET /healthz` (200 while the process serves), on an address of its own
//! (`<component>.admin_listen`) that the public REST listener never shares,
//! so that metrics are reachable by the cluster's Prometheus and not by API
//! callers. Readiness stays on the component's own probes (the gateway's
//! `/readyz`, the services' gRPC health), which know what ready means.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::metrics::{CONTENT_TYPE, Metrics};
use crate::shutdown::Shutdown;

/// The admin routes over `metrics`.
pub fn router(metrics: Metrics) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(metrics)
}

async fn scrape(State(metrics): State<Metrics>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        metrics.render().await,
    )
}

/// Binds `addr` (port 0: any free port).
///
/// # Errors
/// The address is taken or not local.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves the admin routes on `listener` until `shutdown`.
///
/// # Errors
/// The listener failed.
pub async fn serve(
    listener: TcpListener,
    metrics: Metrics,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    axum::serve(listener, router(metrics))
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}
