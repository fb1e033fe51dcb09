//! The all-in-one's copies converge: a burst of changes through REST, the
//! process killed (SIGKILL) at a random point, a restart, and every copy
//! equals its source: identity's copy of custom UPNs equals the upn
//! service's UPNs, no UPN outlives its user, and tenant members carry their
//! user's email and name (deleted users gone). A consumer's database locked
//! for a while only delays its copy: nothing is dead-lettered.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::cli::nexus;
use crate::helpers::{TestApp, every_scope, new_user};

const TENANT: &str = "acme";

/// A REST client of one Nexus with the development credentials.
#[derive(Clone)]
pub struct Rest {
    addr: SocketAddr,
    bearer: String,
    tenant_bearer: String,
    app_token: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Rest {
    fn new(addr: SocketAddr, data_dir: &Path, app_token: &str) -> Self {
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
        Self {
            addr,
            bearer: token(every_scope(), Vec::new()),
            tenant_bearer: token(
                vec!["tenant.access:read".into(), "tenant.access:write".into()],
                vec![TENANT.into()],
            ),
            app_token: app_token.to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
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

/// The `nexus` all-in-one as a child process on `data_dir`.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const APP_TOKEN: &str = "burst-application-token-0123456789";

async fn start(data_dir: &Path) -> (Process, Rest) {
    start_with(data_dir, &[]).await
}

/// [`start`] with more environment variables.
pub async fn start_with(data_dir: &Path, env: &[(&str, String)]) -> (Process, Rest) {
    let port = free_port();
    let child = nexus()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("NEXUS__DATA_DIR", data_dir)
        .env("NEXUS__GATEWAY__LISTEN", format!("127.0.0.1:{port}"))
        .env("NEXUS__GATEWAY__DEV_APPLICATION_TOKEN", APP_TOKEN)
        .env("NEXUS__IDENTITY__LISTEN", "127.0.0.1:0")
        .env("NEXUS__UPN__LISTEN", "127.0.0.1:0")
        .env("NEXUS__TENANT_ACCESS__LISTEN", "127.0.0.1:0")
        .env("NEXUS__EVENTS__RELAY_POLL_INTERVAL_MS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let process = Process(child);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nexus did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (process, Rest::new(addr, data_dir, APP_TOKEN))
}

/// What one worker does with its user: create it, give it a custom UPN,
/// attach it to the tenant, rename it, and delete every third.
async fn unit(rest: &Rest, n: usize, answered: &AtomicUsize) -> Option<()> {
    let email = format!("burst{n}@example.com");
    let (status, user) = rest
        .call("POST", "/v1/users", Some(new_user(&email)))
        .await?;
    assert_eq!(status, 201, "{user}");
    answered.fetch_add(1, Ordering::Relaxed);
    let id = user["id"].as_str().unwrap().to_owned();
    let upn = json!({"clientUpnKey": "crm", "customUpnValue": format!("b{n}@crm.example.com")});
    let (status, body) = rest
        .call("POST", &format!("/v1/users/{id}/custom-upns"), Some(upn))
        .await?;
    assert_eq!(status, 201, "{body}");
    answered.fetch_add(1, Ordering::Relaxed);
    let attach = json!({"email": email, "name": "Burst", "role": "member"});
    let (status, body) = rest
        .call("POST", &format!("/api/{TENANT}/admin/users"), Some(attach))
        .await?;
    assert!(status == 201 || status == 200, "{status} {body}");
    answered.fetch_add(1, Ordering::Relaxed);
    let rename = json!({"displayName": format!("Renamed {n}")});
    let (status, body) = rest
        .call("PATCH", &format!("/v1/users/{id}"), Some(rename))
        .await?;
    assert_eq!(status, 200, "{body}");
    answered.fetch_add(1, Ordering::Relaxed);
    if n.is_multiple_of(3) {
        let (status, body) = rest
            .call("DELETE", &format!("/v1/users/{id}"), None)
            .await?;
        assert_eq!(status, 204, "{body}");
        answered.fetch_add(1, Ordering::Relaxed);
    }
    Some(())
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (0..)
                .map_while(|i| {
                    r.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .map(Option::unwrap_or_default)
                        .or_else(|| r.try_get_by_index::<i64>(i).ok().map(|v| v.to_string()))
                })
                .collect()
        })
        .collect()
}

/// How far the copies are from their sources: (mismatches, report line).
async fn divergence(data_dir: &Path) -> (usize, String) {
    let open = |name: &str| {
        let url = format!("sqlite://{}?mode=ro", data_dir.join(name).display());
        async move { Database::connect(url.as_str()).await.unwrap() }
    };
    let (identity, upn, tenant) = (
        open("identity.db").await,
        open("upn.db").await,
        open("tenant-access.db").await,
    );
    let users: BTreeMap<String, (String, String)> = rows(
        &identity,
        "SELECT id, email_address, display_name FROM users",
    )
    .await
    .into_iter()
    .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
    .collect();
    let source_upns: BTreeSet<Vec<String>> = rows(
        &upn,
        "SELECT id, user_id, custom_upn_value, CAST(version AS TEXT) FROM custom_upns",
    )
    .await
    .into_iter()
    .collect();
    let copied_upns: BTreeSet<Vec<String>> = rows(
        &identity,
        "SELECT id, user_id, custom_upn_value, CAST(version AS TEXT) FROM custom_upns WHERE deleted = 0",
    )
    .await
    .into_iter()
    .collect();
    let orphan_upns = source_upns
        .iter()
        .filter(|u| !users.contains_key(&u[1]))
        .count();
    let members = rows(
        &tenant,
        "SELECT m.user_id, u.email, u.name FROM tenant_members m LEFT JOIN member_users u ON u.user_id = m.user_id",
    )
    .await;
    let wrong_members = members
        .iter()
        .filter(|m| users.get(&m[0]) != Some(&(m[1].clone(), m[2].clone())))
        .count();
    let upn_mismatches = source_upns.symmetric_difference(&copied_upns).count();
    let mut applied = Vec::new();
    let mut doubled = 0;
    for (db, consumer) in [
        (&identity, "identity-custom-upns"),
        (&upn, "upn-users"),
        (&tenant, "tenant-access-users"),
    ] {
        let r = rows(db, &format!("SELECT CAST(COUNT(*) AS TEXT), CAST(COUNT(DISTINCT event_id) AS TEXT) FROM processed_events WHERE consumer = '{consumer}'")).await;
        let (all, distinct): (usize, usize) = (r[0][0].parse().unwrap(), r[0][1].parse().unwrap());
        doubled += all - distinct;
        applied.push(format!("{consumer} {all}"));
    }
    let lost = upn_mismatches + orphan_upns + wrong_members;
    let line = format!(
        "users {}, upns {}, members {}, applied [{}], lost {lost} (upn copy {upn_mismatches}, orphan upns {orphan_upns}, members {wrong_members}), doubled {doubled}",
        users.len(),
        source_upns.len(),
        members.len(),
        applied.join(", ")
    );
    (lost + doubled, line)
}

async fn converged(data_dir: &Path) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (off, line) = divergence(data_dir).await;
        if off == 0 {
            return line;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "copies did not converge: {line}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn random_below(n: u64) -> u64 {
    u64::from_le_bytes(uuid::Uuid::new_v4().as_bytes()[..8].try_into().unwrap()) % n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_equal_their_sources_after_a_sigkill_during_a_burst_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut process, rest) = start(dir.path()).await;
    let answered = Arc::new(AtomicUsize::new(0));
    const UNITS: usize = 600;
    const WORKERS: usize = 8;
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (rest, answered, next) = (rest.clone(), answered.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= UNITS || unit(&rest, n, &answered).await.is_none() {
                    return;
                }
            }
        }));
    }
    // Killed once a random share of the burst's writes is answered.
    let kill_after = 200 + random_below(2_000) as usize;
    while answered.load(Ordering::Relaxed) < kill_after && next.load(Ordering::Relaxed) < UNITS {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.0.kill().unwrap(); // SIGKILL
    process.0.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let sent = answered.load(Ordering::Relaxed);

    let (_process, _rest) = start(dir.path()).await;
    let line = converged(dir.path()).await;
    println!("SIGKILL after {sent} answered writes (target {kill_after}); after restart: {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_consumer_database_only_delays_its_copy() {
    let Some(app) = TestApp::spawn(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let rest = Rest::new(app.addr, &app.settings.data_dir, &app.app_token);
    let answered = AtomicUsize::new(0);
    let mut ids = Vec::new();
    for n in 0..20 {
        let email = format!("locked{n}@example.com");
        let (_, user) = rest
            .call("POST", "/v1/users", Some(new_user(&email)))
            .await
            .unwrap();
        let attach = json!({"email": email, "name": "Before", "role": "member"});
        let (status, _) = rest
            .call("POST", &format!("/api/{TENANT}/admin/users"), Some(attach))
            .await
            .unwrap();
        assert_eq!(status, 201);
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    converged(&app.settings.data_dir).await;

    // Another process holds tenant-access's database for 10 s.
    let url = format!(
        "sqlite://{}",
        app.settings.data_dir.join("tenant-access.db").display()
    );
    let locker = Database::connect(url.as_str()).await.unwrap();
    locker.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
    locker
        .execute_unprepared("UPDATE event_cursors SET seq = seq WHERE consumer = 'none'")
        .await
        .unwrap();
    for (n, id) in ids.iter().enumerate() {
        let rename = json!({"displayName": format!("During lock {n}")});
        let (status, _) = rest
            .call("PATCH", &format!("/v1/users/{id}"), Some(rename))
            .await
            .unwrap();
        assert_eq!(status, 200);
        answered.fetch_add(1, Ordering::Relaxed);
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (behind, during) = divergence(&app.settings.data_dir).await;
    assert!(behind > 0, "the copy cannot follow while locked: {during}");
    locker.execute_unprepared("ROLLBACK").await.unwrap();

    let line = converged(&app.settings.data_dir).await;
    let tenant = Database::connect(url.as_str()).await.unwrap();
    let dead = rows(&tenant, "SELECT CAST(COUNT(*) AS TEXT) FROM dead_letters").await;
    assert_eq!(dead[0][0], "0", "nothing dead-lettered");
    println!(
        "locked 10 s, {} renames answered; after: {line}; dead letters 0",
        answered.load(Ordering::Relaxed)
    );
    app.stop().await;
}
