//! What keeps HTTP Basic from being a denial-of-service lever: argon2 is
//! deliberately slow and memory-hungry (19 MiB a check), so checks run behind
//! a small semaphore and a caller waits a bounded time for a turn (503 after);
//! credentials verified once are remembered for a few minutes by a keyed hash
//! (HMAC with a key made at start, so the cache holds nothing a memory dump
//! could turn back into a password); and failed attempts are counted per
//! username and per client address, which are refused with 429 and
//! `Retry-After` past a limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use ring::hmac;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api::problem::ApiError;

/// argon2 checks running at once.
const PERMITS: usize = 2;
/// How long a request waits for a turn before 503.
const WAIT: Duration = Duration::from_secs(2);
/// How long verified credentials are remembered.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Failed attempts allowed per window, per username and per client address.
const FAILURES_PER_USER: u32 = 10;
const FAILURES_PER_ADDRESS: u32 = 50;
const WINDOW: Duration = Duration::from_secs(60);
/// Past this many entries a map is swept of expired ones, and new keys are
/// not tracked until it shrinks: memory stays bounded under a spray of names.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    since: Instant,
}

/// The shared state of every Basic check in the process.
pub struct BasicGuard {
    permits: Arc<Semaphore>,
    key: hmac::Key,
    verified: Mutex<HashMap<[u8; 32], (String, Instant)>>,
    by_user: Mutex<HashMap<String, Window>>,
    by_address: Mutex<HashMap<IpAddr, Window>>,
}

impl Default for BasicGuard {
    fn default() -> Self {
        Self::new()
    }
}

fn sweep<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, expired: impl Fn(&V) -> bool) {
    if map.len() > MAX_ENTRIES {
        map.retain(|_, v| !expired(v));
    }
}

fn too_many(retry: Duration) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too many failed sign-ins; retry later",
    );
    let secs = retry.as_secs().max(1);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        e.headers.push((header::RETRY_AFTER, v));
    }
    e
}

impl BasicGuard {
    pub fn new() -> Self {
        // A random key per process: the cache's tags mean nothing elsewhere.
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .unwrap_or_else(|_| hmac::Key::new(hmac::HMAC_SHA256, &random_fallback()));
        Self {
            permits: Arc::new(Semaphore::new(PERMITS)),
            key,
            verified: Mutex::new(HashMap::new()),
            by_user: Mutex::new(HashMap::new()),
            by_address: Mutex::new(HashMap::new()),
        }
    }

    /// The keyed tag of a username and password; the length prefix keeps
    /// `ab`+`c` apart from `a`+`bc`.
    fn tag(&self, user: &str, password: &str) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(&(user.len() as u64).to_be_bytes());
        ctx.update(user.as_bytes());
        ctx.update(password.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    /// The username these credentials were verified as, if that was recent.
    pub fn cached(&self, user: &str, password: &str) -> Option<String> {
        let tag = self.tag(user, password);
        let verified = self.verified.lock().ok()?;
        verified
            .get(&tag)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(name, _)| name.clone())
    }

    pub fn remember(&self, user: &str, password: &str) {
        let tag = self.tag(user, password);
        if let Ok(mut verified) = self.verified.lock() {
            sweep(&mut verified, |(_, at)| at.elapsed() >= CACHE_TTL);
            if verified.len() < MAX_ENTRIES {
                verified.insert(tag, (user.to_owned(), Instant::now()));
            }
        }
        if let Ok(mut by_user) = self.by_user.lock() {
            by_user.remove(user);
        }
    }

    /// 429 while `user` or `address` is over its failure limit.
    ///
    /// # Errors
    /// 429 with `Retry-After`.
    pub fn admit(&self, user: &str, address: Option<IpAddr>) -> Result<(), ApiError> {
        let over = |w: Option<&Window>, limit: u32| {
            w.filter(|w| w.failures >= limit && w.since.elapsed() < WINDOW)
                .map(|w| WINDOW.saturating_sub(w.since.elapsed()))
        };
        if let Ok(by_user) = self.by_user.lock()
            && let Some(retry) = over(by_user.get(user), FAILURES_PER_USER)
        {
            return Err(too_many(retry));
        }
        if let (Some(ip), Ok(by_address)) = (address, self.by_address.lock())
            && let Some(retry) = over(by_address.get(&ip), FAILURES_PER_ADDRESS)
        {
            return Err(too_many(retry));
        }
        Ok(())
    }

    /// Counts a failed attempt of `user` (when known) from `address`.
    pub fn failed(&self, user: Option<&str>, address: Option<IpAddr>) {
        fn count<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, Window>>, key: K) {
            let Ok(mut map) = map.lock() else { return };
            sweep(&mut map, |w| w.since.elapsed() >= WINDOW);
            if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
                return;
            }
            let now = Instant::now();
            let w = map.entry(key).or_insert(Window {
                failures: 0,
                since: now,
            });
            if w.since.elapsed() >= WINDOW {
                *w = Window {
                    failures: 0,
                    since: now,
                };
            }
            w.failures = w.failures.saturating_add(1);
        }
        if let Some(user) = user {
            count(&self.by_user, user.to_owned());
        }
        if let Some(ip) = address {
            count(&self.by_address, ip);
        }
    }

    /// A turn to run argon2, waiting at most [`WAIT`].
    ///
    /// # Errors
    /// 503 with `Retry-After` when no turn came in time.
    pub async fn turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(WAIT, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many password checks in progress; retry later",
                );
                e.headers
                    .push((header::RETRY_AFTER, HeaderValue::from_static("1")));
                Err(e)
            }
        }
    }
}

/// A key from the clock and the address of a stack value, for the unlikely
/// case the system has no randomness: still unknown outside the process.
fn random_fallback() -> [u8; 32] {
    let marker = 0u8;
    let seed = format!(
        "{:?}{:p}",
        std::time::SystemTime::now(),
        std::ptr::addr_of!(marker)
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_limit_are_429_per_user_and_per_address() {
        let guard = BasicGuard::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..FAILURES_PER_USER {
            assert!(guard.admit("ops", Some(ip)).is_ok());
            guard.failed(Some("ops"), Some(ip));
        }
        let e = guard.admit("ops", None).unwrap_err();
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(e.headers.iter().any(|(n, _)| n == header::RETRY_AFTER));
        assert!(guard.admit("other", None).is_ok(), "per user");
        for _ in 0..FAILURES_PER_ADDRESS {
            guard.failed(None, Some(ip));
        }
        assert!(guard.admit("other", Some(ip)).is_err(), "per address");
    }

    #[test]
    fn verified_credentials_are_remembered_by_a_keyed_tag() {
        let guard = BasicGuard::new();
        assert_eq!(guard.cached("ops", "pw"), None);
        guard.remember("ops", "pw");
        assert_eq!(guard.cached("ops", "pw").as_deref(), Some("ops"));
        assert_eq!(guard.cached("ops", "pw2"), None);
        assert_eq!(guard.cached("opsp", "w"), None);
        assert_ne!(BasicGuard::new().tag("ops", "pw"), guard.tag("ops", "pw"));
    }
}
