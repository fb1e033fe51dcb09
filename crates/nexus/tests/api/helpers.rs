//! Starts Nexus in-process on free ports with fresh databases, and calls it
//! over HTTP; creates the resources tests start from, and waits for what
//! events change asynchronously.
//!
//! PostgreSQL and NATS come from `NEXUS_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and `NEXUS_TEST_NATS_URL`
//! (default `nats://127.0.0.1:4222`). When one is unreachable its tests say so
//! and pass, unless `NEXUS_TEST_REQUIRE_SERVICES=1`, where they fail.

use std::fmt::Debug;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use nexus::Running;
use nexus_platform::Shutdown;
use nexus_platform::config::{EventBackend, Mode, Settings};
use sea_orm::{ConnectionTrait, Database};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

pub fn database_url() -> String {
    std::env::var("NEXUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn nats_url() -> String {
    std::env::var("NEXUS_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

fn services_required() -> bool {
    std::env::var("NEXUS_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Reports a missing service: a failure when services are required.
pub fn unavailable(what: &str, url: &str, error: &dyn std::fmt::Display) {
    assert!(
        !services_required(),
        "{what} is required (NEXUS_TEST_REQUIRE_SERVICES=1) but unreachable at {url}: {error}"
    );
    eprintln!(
        "SKIPPED: {what} unreachable at {url} ({error}); set NEXUS_TEST_REQUIRE_SERVICES=1 to fail instead"
    );
}

/// Which database the services of a test run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running Nexus and a client for its REST gateway.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The development ApplicationToken (empty when `[auth]` is configured).
    pub app_token: String,
    /// A development JWT with subject [`TEST_SUBJECT`] (empty when `[auth]`
    /// is configured).
    pub bearer: String,
    pub running: Option<Running>,
    pub settings: Settings,
    client: Client<HttpConnector, Full<Bytes>>,
    _data_dir: tempfile::TempDir,
    pg_databases: Vec<String>,
}

/// Every `/v1` scope and the tenant back-office read scope: what the tests'
/// development token holds.
pub fn every_scope() -> Vec<String> {
    let mut scopes = gateway::auth::scope::all_names();
    scopes.push("tenant.access:read".to_owned());
    scopes
}

/// The subject of the tests' development tokens: what createdBy records.
pub const TEST_SUBJECT: &str = "alice";

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Settings of a test instance: every port 0, data in a temporary directory.
pub fn test_settings(data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::load(None, Mode::AllInOne).expect("default settings");
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    settings.data_dir = data_dir.to_path_buf();
    settings.gateway.listen = any;
    settings.identity.listen = any;
    settings.upn.listen = any;
    settings.tenant_access.listen = any;
    settings.gateway.dev_application_token =
        Some(SecretString::from(format!("test-{}", uuid::Uuid::new_v4())));
    settings
}

/// Fresh, empty PostgreSQL databases, one per suffix, named
/// `nexus_t_<random>_<suffix>`: each name with its URL; `None` when
/// PostgreSQL is unreachable (and not required).
pub async fn fresh_pg_databases(suffixes: &[&str]) -> Option<Vec<(String, String)>> {
    let admin_url = database_url();
    let admin = match Database::connect(admin_url.as_str()).await {
        Ok(db) => db,
        Err(e) => {
            unavailable("PostgreSQL", &admin_url, &e);
            return None;
        }
    };
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let stem = format!("nexus_t_{}", uuid::Uuid::new_v4().simple());
    let mut databases = Vec::new();
    for suffix in suffixes {
        let name = format!("{stem}_{suffix}");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        databases.push((name.clone(), format!("{base}/{name}")));
    }
    Some(databases)
}

/// Drops PostgreSQL databases, closing their connections first.
pub async fn drop_pg_databases(names: &[String]) {
    let admin = Database::connect(database_url().as_str())
        .await
        .expect("admin");
    for name in names {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("drop test database");
    }
}

/// Fresh PostgreSQL databases, one per service; `None` when PostgreSQL is
/// unreachable (and not required).
async fn create_pg_databases(settings: &mut Settings) -> Option<Vec<String>> {
    let databases = fresh_pg_databases(&["identity", "upn", "tenant_access"]).await?;
    let mut names = Vec::new();
    for (i, (name, url)) in databases.into_iter().enumerate() {
        let url = Some(SecretString::from(url));
        match i {
            0 => settings.identity.database_url = url,
            1 => settings.upn.database_url = url,
            _ => settings.tenant_access.database_url = url,
        }
        names.push(name);
    }
    Some(names)
}

impl TestApp {
    /// Starts an all-in-one on `backend`, with `adjust` applied to its settings.
    /// `None` when the backend's server is unreachable and not required.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<Self> {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = test_settings(data_dir.path());
        let pg_databases = match backend {
            Backend::Sqlite => Vec::new(),
            Backend::Postgres => create_pg_databases(&mut settings).await?,
        };
        adjust(&mut settings);
        let running = nexus::start_all_in_one(&settings, Shutdown::new())
            .await
            .expect("start nexus");
        let addr = running.gateway_addr.expect("gateway address");
        let app_token = running
            .dev_application_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .unwrap_or_default();
        let bearer = if app_token.is_empty() {
            String::new()
        } else {
            nexus::dev::token(
                &settings.data_dir,
                &nexus::dev::TokenRequest {
                    subject: TEST_SUBJECT.to_owned(),
                    scopes: every_scope(),
                    tenants: Vec::new(),
                    ttl_secs: 600,
                },
            )
            .expect("development token")
        };
        Some(Self {
            addr,
            app_token,
            bearer,
            running: Some(running),
            settings,
            client: Client::builder(TokioExecutor::new()).build_http(),
            _data_dir: data_dir,
            pg_databases,
        })
    }

    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Sends a request; `auth` adds the development credentials.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, auth: bool) -> Answer {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if auth {
            builder = builder
                .header("authorization", format!("Bearer {}", self.bearer))
                .header("applicationtoken", &self.app_token);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Full::new(Bytes::from(serde_json::to_vec(&json).unwrap()))
            }
            None => Full::new(Bytes::new()),
        };
        self.send(builder.body(body).unwrap()).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: http::Request<Full<Bytes>>) -> Answer {
        let response = self.client.request(request).await.expect("HTTP call");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn authed(&self, method: &str, path: &str) -> http::request::Builder {
        http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("authorization", format!("Bearer {}", self.bearer))
            .header("applicationtoken", &self.app_token)
    }

    /// Stops Nexus and drops its PostgreSQL databases.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
        if !self.pg_databases.is_empty() {
            drop_pg_databases(&self.pg_databases).await;
        }
    }
}

/// A user body the contract accepts.
pub fn new_user(email: &str) -> Value {
    serde_json::json!({
        "emailAddress": email,
        "username": email.split('@').next().unwrap_or("user"),
        "givenName": "Ann",
        "familyName": "Lee",
        "displayName": "Ann Lee",
    })
}

/// Sets the event backend to NATS with an isolated stream and subject prefix.
pub fn use_nats(settings: &mut Settings, tag: &str) {
    settings.events.backend = Some(EventBackend::Nats);
    settings.events.nats_url = nats_url();
    settings.events.stream = format!("NEXUS_TEST_{tag}");
    settings.events.subject_prefix = format!("test{tag}");
    settings.events.stream_max_age_secs = 600;
}

/// Runs each listed `async fn(&TestApp)` as two tests, `sqlite::<name>` and
/// `postgres::<name>`, each on a freshly started Nexus.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        crate::helpers::on_both_backends!(@on sqlite, Sqlite, $($name),*);
        crate::helpers::on_both_backends!(@on postgres, Postgres, $($name),*);
    };
    (@on $module:ident, $backend:ident, $($name:ident),*) => {
        mod $module {
            $(#[tokio::test]
            async fn $name() {
                if let Some(app) = crate::helpers::TestApp::spawn(crate::helpers::Backend::$backend).await {
                    super::$name(&app).await;
                    app.stop().await;
                }
            })*
        }
    };
}
pub(crate) use on_both_backends;

/// Polls `probe` until `check` holds of its answer, and returns that answer;
/// fails after 5 seconds, naming `what` it waited for and the last answer.
/// Events reach other services' copies asynchronously.
pub async fn eventually<T: Debug, F: Future<Output = T>>(
    what: &str,
    mut probe: impl FnMut() -> F,
    check: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let answer = probe().await;
        if check(&answer) {
            return answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not reached within 5 s: {what}; last seen: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a user; answers its id.
pub async fn create_user(app: &TestApp, email: &str) -> String {
    let answer = app
        .call("POST", "/v1/users", Some(new_user(email)), true)
        .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body["id"].as_str().unwrap().to_owned()
}

/// Creates an IdP tenant named `name`.
pub async fn create_tenant(app: &TestApp, name: &str) -> Value {
    let answer = app
        .call(
            "POST",
            "/v1/idp_tenants",
            Some(json!({"name": name, "azoName": format!("{name}-azo"), "fqdn": format!("{name}.eu.auth0.com"), "loginDomain": format!("login.{name}.example")})),
            true,
        )
        .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body
}

/// The body that links a user to an IdP tenant as `azo_user`.
pub fn link_body(azo_user: &str, connection: &str) -> Value {
    json!({"strategy": "auth0", "azoUserId": azo_user, "azoConnectionId": connection})
}

/// Creates an organization named `name`.
pub async fn create_org(app: &TestApp, name: &str) -> Value {
    let answer = app
        .call("POST", "/v1/organizations", Some(json!({"name": name, "displayName": format!("{name} Inc."), "isMfaRequired": true, "domains": [format!("{name}.example")]})), true)
        .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body
}

/// Creates a role of `audience`.
pub async fn create_role(app: &TestApp, audience: &str, name: &str) -> Value {
    let answer = app
        .call("POST", "/v1/roles", Some(json!({"audience": audience, "name": name, "description": format!("{name} of {audience}")})), true)
        .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body
}

/// Where a user's custom UPNs are.
pub fn upns_path(user: &str) -> String {
    format!("/v1/users/{user}/custom-upns")
}

pub fn upn_body(key: &str, value: &str) -> Value {
    json!({"clientUpnKey": key, "customUpnValue": value})
}

/// Creates a custom UPN of `user` for the client key `key`.
pub async fn create_upn(app: &TestApp, user: &str, key: &str, value: &str) -> Answer {
    let answer = app
        .call("POST", &upns_path(user), Some(upn_body(key, value)), true)
        .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer
}
