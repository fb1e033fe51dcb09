//! Authentication of REST calls: the accepted credentials and the middleware
//! that turns them into a principal, and the bearer JWT verification they use.

mod credentials;
mod error;
pub mod jwt;
mod jwt_crypto;

pub use credentials::{
    APPLICATION_TOKEN_HEADER, ApplicationToken, BasicUser, Credentials, authenticate,
    authenticate_oauth,
};
pub use error::AuthError;
