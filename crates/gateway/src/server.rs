//! The REST server: accepts connections, bounds how long a client may take to
//! send its request headers (so that slow clients cannot hold connections
//! open for free), records each request's client address for the limits that
//! key on it, and finishes in-flight requests on shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use nexus_platform::Shutdown;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// Limits of the REST server and its routes that are not per credential.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// How long a client has to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long a request may take, body and answer included (408 after).
    pub request_timeout: Duration,
    /// Requests per second per client address before authentication (0: no
    /// limit), and the burst.
    pub per_address_per_second: f64,
    pub per_address_burst: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            per_address_per_second: 0.0,
            per_address_burst: 100,
        }
    }
}

/// Pause after a failed accept (such as too many open files) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown`, finishing in-flight
/// requests.
///
/// # Errors
/// None today; the signature leaves room for listener failures.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
    limits: &ServerLimits,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let stop = shutdown.wait();
    tokio::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a REST connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: http::Request<_>| {
            let mut request = request.map(Body::new);
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            router.clone().oneshot(request)
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "REST connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests;
