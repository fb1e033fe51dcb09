//! Per-principal rate limiting: a token bucket per authenticated subject;
//! over the rate a call gets 429 problem+json with `Retry-After`. Off when
//! the rate is 0 (the all-in-one's default).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;

use crate::api::problem::ApiError;

/// Buckets idle this long are forgotten (they would be full again anyway).
const IDLE: Duration = Duration::from_secs(300);
/// Past this many principals, idle buckets are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every principal.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `per_second` 0 disables limiting; `burst` is the bucket size (at least 1).
    pub fn new(per_second: f64, burst: u32) -> Arc<Self> {
        Arc::new(Self {
            per_second,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    pub fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// Takes a token for `who` at `now`; `Err` holds how long until one is free.
    pub fn take(&self, who: &str, now: Instant) -> Result<(), Duration> {
        if !self.enabled() {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock only means another request panicked: let calls through.
            return Ok(());
        };
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, b| now.duration_since(b.at) < IDLE);
        }
        let bucket = buckets.entry(who.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

/// The middleware: runs after authentication, keyed by the principal.
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let who = request
        .extensions()
        .get::<Principal>()
        .map(|p| p.subject.clone())
        .unwrap_or_default();
    match limiter.take(&who, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests from this principal; retry later",
            );
            let secs = wait.as_secs_f64().ceil().max(1.0);
            if let Ok(v) = HeaderValue::from_str(&format!("{secs:.0}")) {
                error.headers.push((header::RETRY_AFTER, v));
            }
            error.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(2.0, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let wait = limiter.take("a", t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(limiter.take("b", t0).is_ok(), "buckets are per principal");
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn a_zero_rate_never_limits() {
        let limiter = RateLimiter::new(0.0, 1);
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(limiter.take("a", t0).is_ok());
        }
    }
}
