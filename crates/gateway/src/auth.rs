//! Authentication and authorization of REST calls: the accepted credentials,
//! the middleware that turns them into a principal, the bearer JWT
//! verification and key sets they use, the guard around Basic's password
//! checks, and the `/v1` scopes.

mod authenticator;
mod basic;
mod credentials;
mod error;
mod jwks;
pub mod jwt;
mod jwt_cache;
mod jwt_crypto;
pub mod scope;

pub use authenticator::{Authenticator, authenticate, authenticate_oauth, client_address};
pub use credentials::{APPLICATION_TOKEN_HEADER, ApplicationToken, BasicUser, Credentials};
pub use error::AuthError;
