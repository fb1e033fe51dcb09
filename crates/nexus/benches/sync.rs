//! Benchmark of the login path: `PUT /v1/users/{id}/$sync` through the whole
//! stack (HTTP, gateway, signed gRPC, identity service, PostgreSQL, outbox),
//! against pgbench running the SQL a login needs at the least, on the same
//! database server in the same run. Prints both rates and their ratio.
//!
//! `cargo bench -p nexus --bench sync` (PostgreSQL from NEXUS_TEST_DATABASE_URL).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use nexus_platform::Shutdown;
use nexus_platform::config::{Mode, Settings};
use sea_orm::{ConnectionTrait, Database};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const LOGINS: usize = 2000;
const CONCURRENCY: usize = 8;

#[tokio::main]
async fn main() {
    let admin_url = std::env::var("NEXUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b)
        .to_owned();
    let admin = Database::connect(admin_url.as_str())
        .await
        .expect("PostgreSQL");
    let stem = format!("nexus_bench_{}", uuid::Uuid::new_v4().simple());
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings::load(None, Mode::AllInOne).unwrap();
    settings.data_dir = data.path().to_path_buf();
    let any = "127.0.0.1:0".parse().unwrap();
    settings.gateway.listen = any;
    settings.identity.listen = any;
    settings.upn.listen = any;
    settings.tenant_access.listen = any;
    settings.telemetry.filter = "warn".into();
    let url = |suffix: &str| Some(SecretString::from(format!("{base}/{stem}_{suffix}")));
    for suffix in ["identity", "upn", "ta"] {
        admin
            .execute_unprepared(&format!("CREATE DATABASE {stem}_{suffix}"))
            .await
            .unwrap();
    }
    settings.identity.database_url = url("identity");
    settings.upn.database_url = url("upn");
    settings.tenant_access.database_url = url("ta");
    let running = nexus::start_all_in_one(&settings, Shutdown::new())
        .await
        .unwrap();
    let addr = running.gateway_addr.unwrap();
    let app_token = running
        .dev_application_token
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let bearer = nexus::dev::token(
        &settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: "bench".into(),
            scopes: vec![],
            tenants: vec![],
            ttl_secs: 3600,
        },
    )
    .unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let call = move |method: &'static str, path: String, body: Value| {
        let client = client.clone();
        let req = http::Request::builder()
            .method(method)
            .uri(format!("http://{addr}{path}"))
            .header("authorization", format!("Bearer {bearer}"))
            .header("applicationtoken", &app_token)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(&body).unwrap())))
            .unwrap();
        async move {
            let res = client.request(req).await.unwrap();
            let status = res.status().as_u16();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    let tenant = call("POST", "/v1/idp_tenants".into(), json!({"name": "bench", "azoName": "bench", "fqdn": "bench.auth0.com", "loginDomain": "login.bench.com"})).await.1;
    let tid = tenant["id"].as_i64().unwrap();
    let mut users = Vec::new();
    for i in 0..CONCURRENCY {
        let user = call("POST", "/v1/users".into(), json!({"emailAddress": format!("u{i}@bench.example"), "username": format!("u{i}"), "displayName": "Bench User"})).await.1;
        let id = user["id"].as_str().unwrap().to_owned();
        let link = call("PUT", format!("/v1/users/{id}/idp_tenants/{tid}"), json!({"strategy": "auth0", "azoUserId": format!("auth0|{i}"), "azoConnectionId": "con"})).await;
        assert_eq!(link.0, 200);
        users.push(id);
    }
    let sync_body = json!({"audience": "https://api.bench", "attributes": [{"key": "dept", "value": "ops"}], "connection": {"groups": ["staff", "admins"], "connectionId": "con"}});
    // Warm up, and leave every user in the synced state: the measured logins
    // change nothing but the login time, as most logins do.
    for id in &users {
        assert_eq!(
            call("PUT", format!("/v1/users/{id}/$sync"), sync_body.clone())
                .await
                .0,
            200
        );
    }
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(LOGINS);
    let per_worker = LOGINS / CONCURRENCY;
    let workers: Vec<_> = users
        .iter()
        .map(|id| {
            let path = format!("/v1/users/{id}/$sync");
            let body = sync_body.clone();
            let call = call.clone();
            tokio::spawn(async move {
                let mut mine = Vec::with_capacity(per_worker);
                for _ in 0..per_worker {
                    let t = Instant::now();
                    let (status, _) = call("PUT", path.clone(), body.clone()).await;
                    assert_eq!(status, 200);
                    mine.push(t.elapsed());
                }
                mine
            })
        })
        .collect();
    for w in workers {
        latencies.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let nexus_rate = latencies.len() as f64 / elapsed.as_secs_f64();
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];

    // pgbench: the least SQL a login needs — lock the user, read its
    // identity, groups and attributes, record the login, write the outbox row.
    let db_url = format!("{base}/{stem}_identity");
    let script = data.path().join("login.sql");
    std::fs::write(
        &script,
        format!(
            "BEGIN;\n\
             SELECT * FROM users WHERE id = '{u}' FOR UPDATE;\n\
             SELECT * FROM identities WHERE user_id = '{u}';\n\
             SELECT * FROM identity_groups WHERE identity_id IN (SELECT id FROM identities WHERE user_id = '{u}');\n\
             SELECT * FROM attributes WHERE user_id = '{u}';\n\
             UPDATE users SET last_login = now() WHERE id = '{u}';\n\
             INSERT INTO outbox (event_id, subject, event_type, source, occurred_at, payload) VALUES (gen_random_uuid()::text, 'nexus.identity.user.logged_in', 'user.logged_in', 'identity', now(), '\\x00');\n\
             COMMIT;\n",
            u = users[0]
        ),
    )
    .unwrap();
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-f"])
        .arg(&script)
        .args([
            "-c",
            &CONCURRENCY.to_string(),
            "-j",
            "2",
            "-T",
            "10",
            &db_url,
        ])
        .output()
        .expect("pgbench");
    let text = String::from_utf8_lossy(&out.stdout);
    let pg_rate: f64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("tps = ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or_else(|| {
            panic!(
                "pgbench output: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });

    println!(
        "logins: {} with {CONCURRENCY} concurrent clients in {:.2} s",
        latencies.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "nexus $sync: {nexus_rate:.0}/s  p50 {:?}  p99 {:?}",
        p(0.5),
        p(0.99)
    );
    println!("pgbench, same SQL floor, {CONCURRENCY} clients: {pg_rate:.0} tps");
    println!("ratio nexus/pgbench: {:.2}", nexus_rate / pg_rate);

    running.stop().await.unwrap();
    for suffix in ["identity", "upn", "ta"] {
        let _ = admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {stem}_{suffix} WITH (FORCE)"
            ))
            .await;
    }
}
