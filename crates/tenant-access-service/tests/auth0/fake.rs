//! A stand-in for Auth0's Management API v2, its token endpoint and the
//! Authentication API's `dbconnections/change_password` (which records the
//! emails it was asked to send), an axum server on a loopback port that
//! keeps users in memory. Tests inject 429s
//! (with `Retry-After` or `X-RateLimit-Reset`), 5xx answers, slow answers
//! (a time-out when slower than the client waits), a 409 on create for an
//! account that does exist, and revoked tokens, and read back every request.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use nexus_platform::config::Auth0Settings;
use secrecy::SecretString;
use serde_json::{Value, json};

/// The connection the settings name.
pub const CONNECTION: &str = "Username-Password-Authentication";
/// The client id the settings name.
pub const CLIENT_ID: &str = "fake-client";
/// What the identity links record as `azoConnectionId`.
pub const CONNECTION_ID: &str = "con_fake";

/// A fault the next matching request meets.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with these headers (seconds to wait; seconds from now to reset).
    TooMany {
        retry_after: Option<u64>,
        reset_in: Option<u64>,
    },
    /// This status, with an Auth0-shaped error body.
    Status(u16),
    /// Answers normally after this long.
    Slow(Duration),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    users: Vec<Value>,
    /// Addresses a change-password email was sent to, in order.
    emails: Vec<String>,
    /// (method or "*", path prefix, fault).
    faults: VecDeque<(String, String, Fault)>,
    down: bool,
    conflict_on_create: bool,
    token_ttl: u64,
    tokens: Vec<String>,
    token_requests: u32,
    seen: Vec<Seen>,
    next_id: u32,
}

/// A running fake; stops when dropped.
pub struct FakeAuth0 {
    pub url: String,
    state: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAuth0 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAuth0 {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(Inner {
            token_ttl: 86_400,
            ..Inner::default()
        }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, state, task }
    }

    /// Settings that point at this fake, with short time-outs and backoff so
    /// that retries are quick; provisioned users are linked to IdP tenant 1.
    pub fn settings(&self) -> Auth0Settings {
        Auth0Settings {
            domain: self.url.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from("fake-secret"),
            audience: None,
            connection: CONNECTION.to_owned(),
            connection_id: Some(CONNECTION_ID.to_owned()),
            idp_tenant_id: 1,
            timeout_ms: 500,
            max_attempts: 4,
            backoff_ms: 20,
            max_retry_wait_ms: 3_000,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// The next request (of any kind) meets `fault`.
    pub fn inject(&self, fault: Fault) {
        self.inject_on("*", "", fault);
    }

    /// The next `method` request whose path starts with `prefix` meets `fault`.
    pub fn inject_on(&self, method: &str, prefix: &str, fault: Fault) {
        self.with(|s| {
            s.faults
                .push_back((method.to_owned(), prefix.to_owned(), fault));
        });
    }

    /// While down, every request is answered 503.
    pub fn set_down(&self, down: bool) {
        self.with(|s| s.down = down);
    }

    /// The next create makes the user and answers 409, as when the answer of
    /// a successful create was lost.
    pub fn conflict_on_next_create(&self) {
        self.with(|s| s.conflict_on_create = true);
    }

    /// Lifetime of the tokens issued from now on.
    pub fn set_token_ttl(&self, secs: u64) {
        self.with(|s| s.token_ttl = secs);
    }

    /// Every token issued so far stops being accepted.
    pub fn revoke_tokens(&self) {
        self.with(|s| s.tokens.clear());
    }

    pub fn token_requests(&self) -> u32 {
        self.with(|s| s.token_requests)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.with(|s| s.seen.clone())
    }

    /// Requests by `method` whose path starts with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.with(|s| {
            s.seen
                .iter()
                .filter(|r| r.method == method && r.path.starts_with(prefix))
                .count()
        })
    }

    pub fn users(&self) -> Vec<Value> {
        self.with(|s| s.users.clone())
    }

    pub fn user_by_email(&self, email: &str) -> Option<Value> {
        self.with(|s| {
            s.users
                .iter()
                .find(|u| u["email"].as_str() == Some(email))
                .cloned()
        })
    }

    /// Every address a change-password email was sent to, in order.
    pub fn emails(&self) -> Vec<String> {
        self.with(|s| s.emails.clone())
    }

    /// How many change-password emails were sent to `email`.
    pub fn emails_to(&self, email: &str) -> usize {
        self.with(|s| s.emails.iter().filter(|e| *e == email).count())
    }

    /// Adds a user as if made in Auth0 by other means; answers its id.
    pub fn add_user(&self, email: &str, connection: &str) -> String {
        self.with(|s| new_user(s, email, None, connection, &json!({})))
    }
}

fn new_user(
    s: &mut Inner,
    email: &str,
    name: Option<&str>,
    connection: &str,
    app_metadata: &Value,
) -> String {
    s.next_id += 1;
    let id = format!("auth0|fake{}", s.next_id);
    s.users.push(json!({
        "user_id": id,
        "email": email,
        "name": name.unwrap_or(email),
        "identities": [{"connection": connection, "provider": "auth0", "user_id": format!("fake{}", s.next_id)}],
        "app_metadata": app_metadata,
        "logins_count": 0,
    }));
    id
}

fn error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    let body = json!({"statusCode": status.as_u16(), "error": status.canonical_reason(), "message": message});
    (status, axum::Json(body)).into_response()
}

fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The fault the request meets, if any (taking it from the queue).
fn fault_for(s: &mut Inner, method: &Method, path: &str) -> Option<Fault> {
    let at = s.faults.iter().position(|(m, prefix, _)| {
        (m == "*" || m == method.as_str()) && path.starts_with(prefix.as_str())
    })?;
    s.faults.remove(at).map(|(_, _, f)| f)
}

async fn handle(
    State(state): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let fault = {
        let mut s = state.lock().unwrap();
        s.seen.push(Seen {
            method: method.to_string(),
            path: path.clone(),
            at: Instant::now(),
        });
        if s.down {
            return error(503, "service unavailable");
        }
        fault_for(&mut s, &method, &path)
    };
    match fault {
        Some(Fault::TooMany {
            retry_after,
            reset_in,
        }) => {
            let mut response = error(429, "Too Many Requests");
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", secs.to_string().parse().unwrap());
            }
            if let Some(secs) = reset_in {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                response.headers_mut().insert(
                    "x-ratelimit-reset",
                    (now + secs).to_string().parse().unwrap(),
                );
            }
            return response;
        }
        Some(Fault::Status(status)) => return error(status, "injected failure"),
        Some(Fault::Slow(pause)) => tokio::time::sleep(pause).await,
        None => {}
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut s = state.lock().unwrap();
    if path == "/oauth/token" {
        return token(&mut s, &body);
    }
    if path == "/dbconnections/change_password" {
        return if method == Method::POST {
            change_password(&mut s, &body)
        } else {
            error(404, "not found")
        };
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !s.tokens.iter().any(|t| t == bearer) {
        return error(401, "Invalid token");
    }
    let Some(rest) = path.strip_prefix("/api/v2/") else {
        return error(404, "not found");
    };
    match (method.as_str(), rest) {
        ("GET", "users-by-email") => {
            let email = uri
                .query()
                .unwrap_or_default()
                .split('&')
                .find_map(|kv| kv.strip_prefix("email="))
                .map(decode)
                .unwrap_or_default();
            let found: Vec<Value> = s
                .users
                .iter()
                .filter(|u| u["email"].as_str() == Some(email.as_str()))
                .cloned()
                .collect();
            axum::Json(Value::Array(found)).into_response()
        }
        ("POST", "users") => create(&mut s, &body),
        ("PATCH", user) if user.starts_with("users/") => {
            let id = decode(&user["users/".len()..]);
            patch(&mut s, &id, &body)
        }
        _ => error(404, "not found"),
    }
}

fn token(s: &mut Inner, body: &Value) -> Response {
    if body["grant_type"] != "client_credentials" || body["client_secret"] != "fake-secret" {
        return error(401, "access_denied");
    }
    s.token_requests += 1;
    let token = format!("token-{}", s.token_requests);
    s.tokens.push(token.clone());
    axum::Json(json!({"access_token": token, "expires_in": s.token_ttl, "token_type": "Bearer"}))
        .into_response()
}

/// The Authentication API's answer: no token; a client or connection it
/// does not know is 400; any address is 200 with a sentence in plain text
/// (Auth0 does not tell whether the address has an account).
fn change_password(s: &mut Inner, body: &Value) -> Response {
    let refuse = |description: &str| {
        let body = json!({"error": "bad.request", "error_description": description});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    };
    if body["client_id"] != CLIENT_ID {
        return refuse("Unknown client");
    }
    if body["connection"] != CONNECTION {
        return refuse("connection not found");
    }
    let Some(email) = body["email"].as_str().filter(|e| e.contains('@')) else {
        return refuse("email is required");
    };
    s.emails.push(email.to_owned());
    (
        StatusCode::OK,
        [("content-type", "text/html; charset=utf-8")],
        "We've just sent you an email to reset your password.",
    )
        .into_response()
}

fn create(s: &mut Inner, body: &Value) -> Response {
    let email = body["email"].as_str().unwrap_or_default().to_lowercase();
    let connection = body["connection"].as_str().unwrap_or_default();
    if body["password"].as_str().is_none_or(|p| p.len() < 16) {
        return error(400, "PasswordStrengthError: Password is too weak");
    }
    let exists = s.users.iter().any(|u| {
        u["email"].as_str() == Some(email.as_str())
            && u["identities"][0]["connection"].as_str() == Some(connection)
    });
    if exists {
        return error(409, "The user already exists.");
    }
    let id = new_user(
        s,
        &email,
        body["name"].as_str(),
        connection,
        &body["app_metadata"],
    );
    if std::mem::take(&mut s.conflict_on_create) {
        return error(409, "The user already exists.");
    }
    let user = s
        .users
        .iter()
        .find(|u| u["user_id"] == id.as_str())
        .cloned();
    (StatusCode::CREATED, axum::Json(user)).into_response()
}

fn patch(s: &mut Inner, id: &str, body: &Value) -> Response {
    let Some(user) = s.users.iter_mut().find(|u| u["user_id"] == id) else {
        return error(404, "The user does not exist.");
    };
    if let Some(name) = body.get("name") {
        user["name"] = name.clone();
    }
    if let Some(Value::Object(meta)) = body.get("app_metadata") {
        if !user["app_metadata"].is_object() {
            user["app_metadata"] = json!({});
        }
        for (k, v) in meta {
            user["app_metadata"][k] = v.clone();
        }
    }
    axum::Json(user.clone()).into_response()
}
