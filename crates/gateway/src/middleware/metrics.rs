//! Counts every REST answer by route template, method and status, and times
//! it. It wraps each route (so the matched template is known) from outside
//! the limits and authentication, so a 401, 408, 413 or 429 is counted under
//! its route like any other answer; paths no route matches share one
//! `unmatched` series.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use nexus_platform::Metrics;
use nexus_platform::metrics::http::UNMATCHED_ROUTE;

pub async fn record(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics.http().record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
