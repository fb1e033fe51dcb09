//! `nexus` processes started by a test, with configured credentials, their
//! standard error kept; and a REST client for them.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::PasswordHasher as _;
use argon2::password_hash::SaltString;
use base64::Engine as _;
use bytes::Bytes;
use gateway::jwt::Algorithm;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub const ISSUER: &str = "https://issuer.example/";
pub const APP_TOKEN: &str = "telemetry-application-token-d41d8cd98f00";
pub const BASIC_USER: &str = "ops";
pub const PASSWORD: &str = "basic-password-5f4dcc3b5aa765d61d83";
pub const INTERNAL_SECRET: &str = "internal-secret-0123456789abcdef0123456789";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gateway/tests/fixtures")
        .join(name)
}

/// The `[auth]` section: a JWKS file, one ApplicationToken and one Basic
/// user, both allowed every `/v1` scope.
fn auth_section() -> String {
    let scopes = serde_json::to_string(&gateway::auth::scope::all_names()).unwrap();
    let salt = SaltString::encode_b64(b"telemetry-salt").unwrap();
    let hash = argon2::Argon2::default()
        .hash_password(PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string();
    format!(
        "[auth.jwt]\njwks_file = {jwks:?}\nissuer = \"{ISSUER}\"\naudience = \"nexus\"\n\n\
         [[auth.application_tokens]]\nname = \"console\"\nsha256 = \"{digest}\"\nscopes = {scopes}\n\n\
         [[auth.basic_users]]\nusername = \"{BASIC_USER}\"\nhash = \"{hash}\"\nscopes = {scopes}\n",
        jwks = fixture("jwks.json"),
        digest = hex::encode(Sha256::digest(APP_TOKEN)),
    )
}

/// A configuration file for every process of a test: data under `dir`,
/// every port free, the given `[telemetry]` lines, configured credentials,
/// then `extra`.
pub fn config_file(dir: &Path, telemetry: &str, extra: &str) -> PathBuf {
    let file = dir.join("nexus.toml");
    let text = format!(
        "data_dir = {data:?}\n\
         [gateway]\nlisten = \"127.0.0.1:0\"\n\
         [identity]\nlisten = \"127.0.0.1:0\"\n\
         [upn]\nlisten = \"127.0.0.1:0\"\n\
         [tenant_access]\nlisten = \"127.0.0.1:0\"\n\
         [internal_auth]\nsecret = \"{INTERNAL_SECRET}\"\n\
         [telemetry]\n{telemetry}\n\
         {auth}\n{extra}",
        data = dir.join("data"),
        auth = auth_section(),
    );
    std::fs::write(&file, text).unwrap();
    file
}

/// A bearer JWT for the configured issuer, with every `/v1` scope.
pub fn jwt(subject: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "sub": subject, "iss": ISSUER, "aud": "nexus", "exp": now + 300, "azp": "console",
        "scope": gateway::auth::scope::all_names().join(" "),
    });
    let der = std::fs::read(fixture("rsa-private.der")).unwrap();
    gateway::jwt::sign_der(Algorithm::RS256, &der, Some("rsa-1"), &claims).unwrap()
}

/// The `Authorization` value of the configured Basic user.
pub fn basic() -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{BASIC_USER}:{PASSWORD}"));
    format!("Basic {encoded}")
}

/// A running `nexus` process.
pub struct Nexus {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Nexus {
    /// Starts `nexus --config <config> <args>` with `env` added.
    pub fn start(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_nexus"));
        command
            .env_remove("RUST_LOG")
            .env_remove("NEXUS_CONFIG")
            // Spans leave for the collector soon after they end.
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .arg("--config")
            .arg(config)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            lines,
            reader: Some(reader),
        }
    }

    /// The standard error so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// The `addr` of the first JSON log line whose message is `message`
    /// (waiting up to 60 s for it).
    pub async fn address(&mut self, message: &str) -> SocketAddr {
        for _ in 0..600 {
            let found = self.lines.lock().unwrap().iter().find_map(|line| {
                let json: Value = serde_json::from_str(line).ok()?;
                (json["fields"]["message"] == message)
                    .then(|| json["fields"]["addr"].as_str()?.parse().ok())
                    .flatten()
            });
            if let Some(addr) = found {
                return addr;
            }
            self.assert_running();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no `{message}` line:\n{}", self.log());
    }

    /// Fails the test when the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("nexus exited ({status}):\n{}", self.log());
        }
    }

    /// Stops the process with SIGTERM (so that it flushes its spans) and
    /// answers its whole standard error.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.log()
    }
}

impl Drop for Nexus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status, `X-Request-Id` and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub request_id: String,
    pub body: Value,
}

/// A REST client of one gateway.
pub struct Rest {
    addr: SocketAddr,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl Rest {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends `method path` with the given headers and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Answer {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Full::new(Bytes::from(serde_json::to_vec(json).unwrap()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = self
            .client
            .request(builder.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            request_id,
            body,
        }
    }
}
