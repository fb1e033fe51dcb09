//! The identity aggregates and their rules. Pure: no I/O here.

pub mod user;

pub use user::{NewUser, NewUserInput, User, UserError, UserEvent};
