//! Fault tests of the event pipeline (outbox → relay → JetStream → consumer →
//! inbox) on real PostgreSQL and a nats-server each test starts for itself,
//! plus the same consumer reading the outbox table directly, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod batches;
mod faults;
mod outbox_feed;
mod parking;
mod support;
mod transient;
