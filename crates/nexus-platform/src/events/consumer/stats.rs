//! The counters of a consumer.

use std::sync::atomic::{AtomicU64, Ordering};

use super::Outcome;
use crate::metrics::counters::Latency;

/// Counters of one consumer since its process started.
#[derive(Debug, Default)]
pub struct ConsumerStats {
    applied: AtomicU64,
    duplicates: AtomicU64,
    ignored: AtomicU64,
    failed_attempts: AtomicU64,
    dead_lettered: AtomicU64,
    pub(crate) latency: Latency,
}

/// A snapshot of [`ConsumerStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumerCounts {
    pub applied: u64,
    pub duplicates: u64,
    pub ignored: u64,
    pub failed_attempts: u64,
    pub dead_lettered: u64,
}

impl ConsumerStats {
    pub fn snapshot(&self) -> ConsumerCounts {
        ConsumerCounts {
            applied: self.applied.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            ignored: self.ignored.load(Ordering::Relaxed),
            failed_attempts: self.failed_attempts.load(Ordering::Relaxed),
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
        }
    }

    /// How long applying an event took, each attempt.
    pub fn latency(&self) -> &Latency {
        &self.latency
    }

    pub(crate) fn count(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Applied => &self.applied,
            Outcome::Duplicate => &self.duplicates,
            Outcome::Ignored => &self.ignored,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failed_attempts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dead_lettered(&self) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
    }
}
