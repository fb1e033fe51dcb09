//! Integration tests through the public REST interface of a started Nexus, on
//! SQLite and on PostgreSQL, with events on NATS JetStream.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod cli;
mod events;
mod helpers;
mod identities;
mod sync;
mod upns;
mod users;
