//! Key sets as issuers publish them: keys Nexus cannot use beside good ones,
//! keys replaced at the source, and key servers that stall.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use crate::jwt::{Algorithm, JwtConfig, JwtError, JwtVerifier, sign_der};

const ISSUER: &str = "https://issuer.example/";
const AUDIENCE: &str = "nexus-api";

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn set() -> Value {
    serde_json::from_slice(&std::fs::read(fixture("jwks.json")).unwrap()).unwrap()
}

fn rs256() -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300});
    let der = std::fs::read(fixture("rsa-private.der")).unwrap();
    sign_der(Algorithm::RS256, &der, Some("rsa-1"), &claims).unwrap()
}

fn config(url: Option<String>) -> JwtConfig {
    JwtConfig {
        jwks_url: url,
        issuer: Some(ISSUER.to_owned()),
        audience: Some(AUDIENCE.to_owned()),
        tenants_claim: "tenants".to_owned(),
        ..JwtConfig::default()
    }
}

#[tokio::test]
async fn encryption_keys_and_unknown_algorithms_are_skipped_not_fatal() {
    let mut set = set();
    let rsa = set["keys"][0].clone();
    let keys = set["keys"].as_array_mut().unwrap();
    let mut enc = rsa.clone();
    enc["kid"] = json!("enc-1");
    enc["use"] = json!("enc");
    enc["alg"] = json!("RSA-OAEP");
    let mut oaep = rsa.clone();
    oaep["kid"] = json!("oaep-1");
    oaep.as_object_mut().unwrap().remove("use");
    oaep["alg"] = json!("RSA-OAEP-256");
    let odd_type = json!({"kty": "XYZ", "kid": "odd-1"});
    keys.insert(0, enc);
    keys.insert(0, oaep);
    keys.insert(0, odd_type);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&set).unwrap()).unwrap();
    let verifier = JwtVerifier::new(JwtConfig {
        jwks_file: Some(file.path().to_path_buf()),
        ..config(None)
    })
    .unwrap();
    assert_eq!(verifier.verify(&rs256()).await.unwrap().subject, "alice");
}

#[tokio::test]
async fn jwks_urls_must_be_https_unless_on_loopback() {
    let e = JwtVerifier::new(config(Some("http://keys.example/jwks".to_owned())))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("jwt.jwks_url"), "{e}");
    assert!(JwtVerifier::new(config(Some("http://127.0.0.1:9/jwks".to_owned()))).is_ok());
}

/// A key server answering each request with what `answer` gives for the
/// request's number (from 0); counts requests.
async fn key_server(
    answer: impl Fn(usize) -> Option<Value> + Send + Sync + 'static,
    stall_body: bool,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let body = answer(n).map(|v| v.to_string()).unwrap_or_default();
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                if stall_body {
                    // Headers sent, body never: the fetch must still end.
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                let _ = stream.write_all(body.as_bytes()).await;
            });
        }
    });
    (addr, hits)
}

#[tokio::test]
async fn keys_older_than_the_maximum_age_are_fetched_again() {
    // The first fetch has the RSA key; later ones no longer do (revoked).
    let (addr, hits) = key_server(
        |n| {
            let mut set = set();
            if n > 0 {
                set["keys"].as_array_mut().unwrap().remove(0);
            }
            Some(set)
        },
        false,
    )
    .await;
    let verifier = JwtVerifier::new(JwtConfig {
        jwks_max_age: Duration::from_millis(300),
        ..config(Some(format!("http://{addr}/jwks")))
    })
    .unwrap();
    let token = rs256();
    assert!(verifier.verify(&token).await.is_ok());
    assert!(verifier.verify(&token).await.is_ok(), "fresh keys are kept");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        JwtError::UnknownKey
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_stalled_body_is_bounded_by_the_fetch_timeout() {
    let (addr, _) = key_server(|_| Some(set()), true).await;
    let verifier = JwtVerifier::new(JwtConfig {
        jwks_timeout: Duration::from_millis(300),
        ..config(Some(format!("http://{addr}/jwks")))
    })
    .unwrap();
    let started = Instant::now();
    assert_eq!(
        verifier.verify(&rs256()).await.unwrap_err(),
        JwtError::UnknownKey
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
