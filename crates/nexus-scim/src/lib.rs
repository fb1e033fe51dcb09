//! The SCIM 2.0 core (RFC 7643 / RFC 7644) that Nexus serves at `/scim/v2`: a pure library with
//! no I/O, so the gateway and identity share one implementation of the protocol's rules.
//!
//! - [`filter`]: the filter grammar (lexer, recursive-descent parser), an evaluator over JSON
//!   resources, and the translation of simple filters into a database lookup key;
//! - [`patch`]: PATCH operations applied to a resource document, with the quirks of the large
//!   provisioning clients (Entra ID, Okta);
//! - [`schema`]: the User, enterprise User and Group schemas as data;
//! - [`discovery`]: `ServiceProviderConfig`, `ResourceTypes` and `Schemas` documents;
//! - [`projection`]: `attributes` / `excludedAttributes` and `sortBy` / `sortOrder`;
//! - [`resource`]: normalising POST/PUT bodies against the schemas;
//! - [`response`]: list and error response bodies, paging and ETags;
//! - [`mapping`]: SCIM User ↔ Nexus user;
//! - [`group`]: SCIM Group ↔ Nexus directory group.

pub mod discovery;
mod error;
pub mod filter;
pub mod group;
mod json;
pub mod mapping;
pub mod patch;
pub mod projection;
pub mod resource;
pub mod response;
pub mod schema;

pub use error::{ScimError, ScimType};
