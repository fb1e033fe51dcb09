//! The server's own limits against clients that are slow or many: headers
//! that never end, bodies that never end or are too large, and one address
//! calling too often.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::*;
use crate::test_support::{APP_TOKEN, config, token};
use crate::{AppState, router_with};

async fn start(limits: ServerLimits) -> SocketAddr {
    let config = config(1024);
    let router = router_with(AppState::new(&config).unwrap(), &config, &limits);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { serve_with(listener, router, Shutdown::new(), &limits).await });
    addr
}

fn bearer() -> String {
    token(&["roles:admin".to_owned()])
}

/// Sends `head` (and `body`) and reads until the server answers or closes.
async fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn grant(length: usize, chunked: bool) -> String {
    let framing = if chunked {
        "transfer-encoding: chunked".to_owned()
    } else {
        format!("content-length: {length}")
    };
    format!(
        "PUT /v1/users/u1/roles/r1 HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {}\r\napplicationtoken: {APP_TOKEN}\r\ncontent-type: application/json\r\n{framing}\r\n\r\n",
        bearer()
    )
}

#[tokio::test]
async fn headers_that_never_end_are_cut_at_the_header_timeout() {
    let addr = start(ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    })
    .await;
    let (_, took) = exchange(addr, "GET /healthz HTTP/1.1\r\nhost: t\r\n", b"").await;
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_at_the_request_timeout() {
    let addr = start(ServerLimits {
        request_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    })
    .await;
    let (answer, took) = exchange(addr, &grant(100, false), b"{\"exp").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn every_body_is_cut_at_the_configured_size() {
    let addr = start(ServerLimits::default()).await;
    let big = vec![b' '; 4096];
    let (answer, _) = exchange(addr, &grant(big.len(), false), &big).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "declared: {answer}");
    let mut chunked = format!("{:x}\r\n", big.len()).into_bytes();
    chunked.extend_from_slice(&big);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let (answer, _) = exchange(addr, &grant(0, true), &chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "chunked: {answer}");
}

#[tokio::test]
async fn one_address_over_its_rate_is_429_before_authentication() {
    let addr = start(ServerLimits {
        per_address_per_second: 0.5,
        per_address_burst: 2,
        ..ServerLimits::default()
    })
    .await;
    let head = "GET /v1/users HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n";
    for _ in 0..2 {
        let (answer, _) = exchange(addr, head, b"").await;
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    }
    let (answer, _) = exchange(addr, head, b"").await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after"),
        "{answer}"
    );
}
