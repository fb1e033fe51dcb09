//! Use cases of the identity service: one method per operation, talking to
//! ports only.

pub mod users;

pub use users::UserService;
