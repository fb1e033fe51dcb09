//! Traces and logs of running `nexus` processes, through their public
//! interfaces: REST calls in, OTLP spans out to a collector started by the
//! test, and the log lines on standard error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod collector;
mod config;
mod process;
mod secrets;
mod traces;
