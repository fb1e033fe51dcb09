//! Fault tests of the event pipeline (outbox → relay → JetStream → consumer →
//! inbox) on real PostgreSQL and a nats-server each test starts for itself,
//! plus the same consumer on the in-process bus and SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod faults;
mod in_process;
mod parking;
mod support;
