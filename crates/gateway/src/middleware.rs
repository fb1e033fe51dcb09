//! The layers around every route: request ids, problem+json for every error
//! whichever layer produced it, and the per-principal rate limit.

pub mod problem;
pub mod rate_limit;
pub mod request_id;
