//! Composition of Nexus processes: the all-in-one (every service and the
//! gateway in one process, SQLite, in-process events) and each component alone
//! (`nexus serve …`, PostgreSQL and NATS JetStream). `main.rs` only parses the
//! command line and calls in here, so tests start the same processes in-process.

pub mod compose;
pub mod dev;

pub use compose::{
    Component, MigrateTarget, Running, check_config, migrate, mode_of, start_all_in_one,
    start_component,
};
