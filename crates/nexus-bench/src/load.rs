//! Closed and open loops of requests, with latencies in HDR histograms.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::{HeaderValue, Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinSet;

/// The most requests an open loop keeps in flight before counting the next
/// ones as errors.
const MAX_IN_FLIGHT: usize = 4096;

/// Latencies are kept in microseconds, up to a minute.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| unreachable!("constant bounds are valid"))
}

/// What a loop measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A quantile of the successful requests' latency, in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// `clients` clients each sending its next request when the previous one is
/// answered, for `duration`; `call(client, iteration)` says whether the
/// request succeeded.
pub async fn closed_loop<F, Fut>(clients: usize, duration: Duration, call: F) -> Outcome
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut set = JoinSet::new();
    for client in 0..clients {
        let call = call.clone();
        set.spawn(async move {
            let mut latency = histogram();
            let (mut requests, mut errors) = (0u64, 0u64);
            let mut i = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = call(client, i).await;
                requests += 1;
                if ok {
                    let _ = latency.record(micros(t.elapsed()));
                } else {
                    errors += 1;
                }
                i += 1;
            }
            (requests, errors, latency)
        });
    }
    collect(set, started).await
}

/// As [`closed_loop`], but a client stops early when `call` has no more
/// work for it (`None`); the loop lasts until the last client stops.
pub async fn closed_loop_until<F, Fut>(clients: usize, duration: Duration, call: F) -> Outcome
where
    F: Fn(usize, u64) -> Option<Fut> + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut set = JoinSet::new();
    for client in 0..clients {
        let call = call.clone();
        set.spawn(async move {
            let mut latency = histogram();
            let (mut requests, mut errors) = (0u64, 0u64);
            let mut i = 0u64;
            while Instant::now() < deadline {
                let Some(request) = call(client, i) else {
                    break;
                };
                let t = Instant::now();
                let ok = request.await;
                requests += 1;
                if ok {
                    let _ = latency.record(micros(t.elapsed()));
                } else {
                    errors += 1;
                }
                i += 1;
            }
            (requests, errors, latency)
        });
    }
    collect(set, started).await
}

/// The clients' counts and latencies, merged.
async fn collect(mut set: JoinSet<(u64, u64, Histogram<u64>)>, started: Instant) -> Outcome {
    let mut outcome = Outcome {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latency: histogram(),
    };
    while let Some(done) = set.join_next().await {
        match done {
            Ok((r, e, h)) => {
                outcome.requests += r;
                outcome.errors += e;
                let _ = outcome.latency.add(&h);
            }
            Err(_) => outcome.errors += 1,
        }
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// Requests started at a fixed `rate` for `duration` whatever the answers'
/// pace; a latency counts from when the request was due, so a stall is
/// measured rather than hidden.
pub async fn open_loop<F, Fut>(rate: f64, duration: Duration, call: F) -> Outcome
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let mut set: JoinSet<Option<Duration>> = JoinSet::new();
    let mut outcome = Outcome {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latency: histogram(),
    };
    let record =
        |done: Result<Option<Duration>, tokio::task::JoinError>, o: &mut Outcome| match done {
            Ok(Some(latency)) => {
                let _ = o.latency.record(micros(latency));
            }
            _ => o.errors += 1,
        };
    let mut k = 0u64;
    loop {
        let due = started + interval.mul_f64(k as f64);
        if due >= started + duration {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        while let Some(done) = set.try_join_next() {
            record(done, &mut outcome);
        }
        outcome.requests += 1;
        if set.len() >= MAX_IN_FLIGHT {
            outcome.errors += 1;
        } else {
            let call = call.clone();
            set.spawn(async move { call(k).await.then(|| due.elapsed()) });
        }
        k += 1;
    }
    while let Some(done) = set.join_next().await {
        record(done, &mut outcome);
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// A keep-alive HTTP/1.1 client of the gateway with the bench's credentials.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: Arc<str>,
    bearer: HeaderValue,
    application_token: HeaderValue,
}

impl Http {
    /// # Errors
    /// Credentials that are not header values.
    pub fn new(base: &str, token: &str, application_token: &str) -> anyhow::Result<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Ok(Self {
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(1024)
                .build(connector),
            base: base.into(),
            bearer: HeaderValue::from_str(&format!("Bearer {token}"))?,
            application_token: HeaderValue::from_str(application_token)?,
        })
    }

    /// The status and body of one call.
    ///
    /// # Errors
    /// The request could not be sent or its answer read.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(http::header::AUTHORIZATION, self.bearer.clone())
            .header("applicationtoken", self.application_token.clone());
        if body.is_some() {
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(body.unwrap_or_default()))?;
        let response = self.client.request(request).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// Whether the call answered `expected`. The first few failures of a
    /// run are printed with their answers, so that an error in a line can
    /// be told from the others.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Bytes>, expected: u16) -> bool {
        static PRINTED: AtomicU64 = AtomicU64::new(0);
        let answer = self.call(method.clone(), path, body).await;
        if matches!(&answer, Ok((s, _)) if *s == expected) {
            return true;
        }
        if PRINTED.fetch_add(1, Ordering::Relaxed) < 10 {
            match answer {
                Ok((status, bytes)) => eprintln!(
                    "nexus-bench: {method} {path}: {status} {}",
                    String::from_utf8_lossy(&bytes)
                ),
                Err(e) => eprintln!("nexus-bench: {method} {path}: {e:#}"),
            }
        }
        false
    }
}
