//! What every route shares: problem+json errors, body and merge-patch
//! extraction, list queries and pages, the JSON answers and the string
//! shapes the OpenAPI document states.

pub mod body;
pub mod json;
pub mod page;
pub mod params;
pub mod patch;
pub mod problem;
pub mod respond;
pub mod schema;
