//! What tests that run `nexus` as child processes share: a REST client with
//! given credentials, the child killed when dropped, a free port, and the
//! probes (gRPC health, the gateway's HTTP ones).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::every_scope;

/// The tenant the tenant back-office calls of these tests act on.
pub const TENANT: &str = "acme";

/// A REST client of one gateway: a bearer with every `/v1` scope and an
/// ApplicationToken for `/v1`, a tenant bearer for `/api/{TENANT}`.
#[derive(Clone)]
pub struct Rest {
    addr: SocketAddr,
    bearer: String,
    tenant_bearer: String,
    app_token: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Rest {
    pub fn new(addr: SocketAddr, bearer: String, tenant_bearer: String, app_token: &str) -> Self {
        Self {
            addr,
            bearer,
            tenant_bearer,
            app_token: app_token.to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// A client of an all-in-one with development credentials in `data_dir`.
    pub fn dev(addr: SocketAddr, data_dir: &Path, app_token: &str) -> Self {
        let token = |scopes: Vec<String>, tenants: Vec<String>| {
            nexus::dev::token(
                data_dir,
                &nexus::dev::TokenRequest {
                    subject: "burst".to_owned(),
                    scopes,
                    tenants,
                    ttl_secs: 3600,
                },
            )
            .unwrap()
        };
        Self::new(
            addr,
            token(every_scope(), Vec::new()),
            token(tenant_scopes(), vec![TENANT.into()]),
            app_token,
        )
    }

    /// `None` when the process is gone.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let tenant = path.starts_with("/api/");
        let bearer = if tenant {
            &self.tenant_bearer
        } else {
            &self.bearer
        };
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("authorization", format!("Bearer {bearer}"));
        if !tenant {
            builder = builder.header("applicationtoken", &self.app_token);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Full::new(Bytes::from(serde_json::to_vec(&json).unwrap()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = self
            .client
            .request(builder.body(body).unwrap())
            .await
            .ok()?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.ok()?.to_bytes();
        Some((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }
}

/// The scopes of the tenant back-office.
pub fn tenant_scopes() -> Vec<String> {
    vec!["tenant.access:read".into(), "tenant.access:write".into()]
}

/// A `nexus` child process, killed (SIGKILL) when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `addr`; fails after `within`.
pub async fn wait_listening(addr: SocketAddr, within: Duration, what: &str) {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The gRPC health status of `service` (`""`: liveness); `None` when the
/// process does not answer.
pub async fn health(addr: SocketAddr, service: &str) -> Option<i32> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .ok()?
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .ok()?;
    let mut client = HealthClient::new(channel);
    let answer = client
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .ok()?;
    Some(answer.into_inner().status)
}

pub async fn wait_for_health(addr: SocketAddr, service: &str, wanted: ServingStatus) {
    let start = Instant::now();
    loop {
        let status = health(addr, service).await;
        if status == Some(wanted as i32) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "health of `{service}` stayed {status:?}, not {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The status line of `GET path`.
pub async fn http_status(addr: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: nexus\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}
