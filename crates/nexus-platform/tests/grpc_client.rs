//! The balanced gRPC client channel: what it routes to, host names resolved
//! in the background, and the deadline every call carries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use nexus_platform::Shutdown;
use nexus_platform::grpc::{self, BalancedChannel, ClientOptions};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

fn options(call_timeout: Duration) -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(1),
        call_timeout,
        resolve_interval: Duration::from_millis(100),
        tls: nexus_platform::grpc::ClientTls::default(),
    }
}

/// A gRPC server with the standard health service, on a free port.
async fn health_server(shutdown: &Shutdown) -> u16 {
    let listener = grpc::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (routes, _reporter) = grpc::standard_routes().unwrap();
    tokio::spawn(grpc::serve(
        listener,
        routes,
        shutdown.clone(),
        nexus_platform::Metrics::new().grpc().layer(),
    ));
    port
}

async fn serving(channel: &BalancedChannel) -> Result<(), tonic::Status> {
    HealthClient::new(channel.channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(drop)
}

#[tokio::test]
async fn a_comma_separated_list_routes_to_every_address_at_once() {
    let shutdown = Shutdown::new();
    let (a, b) = (
        health_server(&shutdown).await,
        health_server(&shutdown).await,
    );
    let urls = format!("http://127.0.0.1:{a}, http://127.0.0.1:{b}");

    let channel = BalancedChannel::new(&urls, options(Duration::from_secs(5))).unwrap();

    assert_eq!(channel.routed(), 2);
    for _ in 0..10 {
        serving(&channel).await.unwrap();
    }
    shutdown.trigger();
}

#[tokio::test]
async fn a_host_name_is_resolved_in_the_background() {
    let shutdown = Shutdown::new();
    let port = health_server(&shutdown).await;

    let channel = BalancedChannel::new(
        &format!("http://localhost:{port}"),
        options(Duration::from_secs(5)),
    )
    .unwrap();

    let start = Instant::now();
    while channel.routed() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "localhost never resolved"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // localhost may also resolve to ::1, where nothing listens: a call
    // retried lands on 127.0.0.1.
    let mut answered = false;
    for _ in 0..10 {
        answered |= serving(&channel).await.is_ok();
    }
    assert!(answered);
    shutdown.trigger();
}

#[tokio::test]
async fn a_call_nobody_answers_fails_at_its_deadline() {
    // Accepts connections and never speaks HTTP/2.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let channel = BalancedChannel::new(
        &format!("http://127.0.0.1:{port}"),
        options(Duration::from_millis(300)),
    )
    .unwrap();

    let start = Instant::now();
    let answer = serving(&channel).await;

    assert!(answer.is_err());
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_url_without_a_host_is_refused() {
    for bad in [
        "",
        "identity:50051",
        "ftp://identity:50051",
        "http://a:1,,nope",
    ] {
        assert!(
            BalancedChannel::new(bad, options(Duration::from_secs(1))).is_err(),
            "{bad}"
        );
    }
}
