//! Users as a login finds them: created through REST, a linked identity,
//! and a first (changing) `$sync` that writes their groups and attributes.
//! The first hundred own the others, so pages of users embed owners.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::load::Http;

/// Owners among the seeded users.
const OWNERS: usize = 100;
const WORKERS: usize = 32;

/// The `$sync` body with attribute `dept` set to one of two values.
pub fn sync_body(changed: bool) -> Bytes {
    let dept = if changed { "sales" } else { "ops" };
    Bytes::from(
        json!({
            "audience": "https://api.bench.example",
            "attributes": [{"key": "dept", "value": dept}, {"key": "site", "value": "hq"}],
            "connection": {"groups": ["staff", "admins", "vpn"], "connectionId": "con"}
        })
        .to_string(),
    )
}

async fn json_call(
    http: &Http,
    method: Method,
    path: &str,
    body: &Value,
    expected: u16,
) -> anyhow::Result<Value> {
    let (status, bytes) = http
        .call(method, path, Some(Bytes::from(body.to_string())))
        .await?;
    if status != expected {
        bail!("{path}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn one_user(
    http: &Http,
    tenant: i64,
    n: usize,
    owner: Option<&str>,
) -> anyhow::Result<String> {
    let mut body = json!({
        "emailAddress": format!("bench{n}@bench.example"),
        "username": format!("bench{n}"),
        "displayName": format!("Bench User {n}"),
    });
    if let Some(owner) = owner {
        body["ownerId"] = json!(owner);
    }
    let user = json_call(http, Method::POST, "/v1/users", &body, 201).await?;
    let id = user["id"].as_str().context("a user without id")?.to_owned();
    let link = json!({"strategy": "auth0", "azoUserId": format!("auth0|bench{n}"), "azoConnectionId": "con"});
    json_call(
        http,
        Method::PUT,
        &format!("/v1/users/{id}/idp_tenants/{tenant}"),
        &link,
        200,
    )
    .await?;
    let (status, bytes) = http
        .call(
            Method::PUT,
            &format!("/v1/users/{id}/$sync"),
            Some(sync_body(false)),
        )
        .await?;
    if status != 200 {
        bail!("first $sync: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(id)
}

async fn users(
    http: &Http,
    tenant: i64,
    range: std::ops::Range<usize>,
    owners: Arc<Vec<String>>,
) -> anyhow::Result<Vec<String>> {
    let next = Arc::new(AtomicUsize::new(range.start));
    let mut set = JoinSet::new();
    for _ in 0..WORKERS {
        let (http, next, owners, end) = (http.clone(), next.clone(), owners.clone(), range.end);
        set.spawn(async move {
            let mut made = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= end {
                    return Ok::<_, anyhow::Error>(made);
                }
                let owner = (!owners.is_empty()).then(|| owners[n % owners.len()].as_str());
                made.push(one_user(&http, tenant, n, owner).await?);
            }
        });
    }
    let mut ids = Vec::new();
    while let Some(done) = set.join_next().await {
        ids.extend(done??);
    }
    Ok(ids)
}

/// Seeds `count` users; their ids, sorted.
///
/// # Errors
/// A call that did not answer as expected.
pub async fn seed(http: &Http, count: usize) -> anyhow::Result<Vec<String>> {
    let tenant = json_call(
        http,
        Method::POST,
        "/v1/idp_tenants",
        &json!({"name": "bench", "azoName": "bench", "fqdn": "bench.auth0.com", "loginDomain": "login.bench.example"}),
        201,
    )
    .await?;
    let tenant = tenant["id"].as_i64().context("a tenant without id")?;
    let owners = users(http, tenant, 0..OWNERS.min(count), Arc::new(Vec::new())).await?;
    let mut ids = users(
        http,
        tenant,
        OWNERS.min(count)..count,
        Arc::new(owners.clone()),
    )
    .await?;
    ids.extend(owners);
    ids.sort();
    Ok(ids)
}
