//! Rate limiting on keyed GCRA (`governor`): per authenticated principal
//! after authentication, and per client address before it, so that a flood of
//! bad credentials is cut before it costs a signature or password check. Over
//! the rate a call gets 429 problem+json with `Retry-After`. Each is off when
//! its rate is 0 (the defaults).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use nexus_domain::Principal;

use crate::api::problem::ApiError;
use crate::auth::client_address;

/// Past this many keys, the state of keys whose bucket is full again is
/// dropped: memory stays bounded under a spray of addresses or names.
const SWEEP_ABOVE: usize = 10_000;

/// A GCRA limiter per key.
pub struct RateLimiter<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// `per_second` 0 (or not a positive number) disables limiting; `burst`
    /// is how many calls may come at once (at least 1).
    pub fn new(per_second: f64, burst: u32) -> Arc<Self> {
        let quota = (per_second.is_finite() && per_second > 0.0)
            .then(|| Duration::try_from_secs_f64(1.0 / per_second).ok())
            .flatten()
            .and_then(Quota::with_period)
            .map(|q| q.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)));
        Arc::new(Self {
            limiter: quota.map(DefaultKeyedRateLimiter::dashmap),
            clock: DefaultClock::default(),
        })
    }

    /// Takes a cell for `key`; `Err` holds how long until one is free.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > SWEEP_ABOVE {
            limiter.retain_recent();
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

fn too_many(wait: Duration, whose: &str) -> Response {
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many requests from this {whose}; retry later"),
    );
    let secs = wait.as_secs_f64().ceil().max(1.0);
    if let Ok(v) = HeaderValue::from_str(&format!("{secs:.0}")) {
        error.headers.push((header::RETRY_AFTER, v));
    }
    error.into_response()
}

/// The per-principal middleware: runs after authentication.
pub async fn limit(
    State(limiter): State<Arc<RateLimiter<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let who = request
        .extensions()
        .get::<Principal>()
        .map(|p| p.subject.clone())
        .unwrap_or_default();
    match limiter.check(&who) {
        Ok(()) => next.run(request).await,
        Err(wait) => too_many(wait, "principal"),
    }
}

/// The per-address middleware: runs before authentication.
pub async fn limit_address(
    State(limiter): State<Arc<RateLimiter<IpAddr>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(address) = client_address(&request) else {
        return next.run(request).await;
    };
    match limiter.check(&address) {
        Ok(()) => next.run(request).await,
        Err(wait) => too_many(wait, "address"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds_per_key() {
        let limiter = RateLimiter::new(2.0, 3);
        for _ in 0..3 {
            assert!(limiter.check(&"a".to_owned()).is_ok());
        }
        let wait = limiter.check(&"a".to_owned()).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(limiter.check(&"b".to_owned()).is_ok(), "per key");
    }

    #[test]
    fn a_zero_rate_never_limits() {
        let limiter = RateLimiter::<IpAddr>::new(0.0, 1);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..100 {
            assert!(limiter.check(&ip).is_ok());
        }
    }
}
