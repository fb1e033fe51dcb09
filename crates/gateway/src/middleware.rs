//! The layers around every route: request ids and the request's trace span,
//! problem+json for every error whichever layer produced it, body size and
//! request time limits, the rate limits per principal and per client address,
//! and request metrics.

pub mod limits;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod trace;
