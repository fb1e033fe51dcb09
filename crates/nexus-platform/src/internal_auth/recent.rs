//! Signed principals recently made or checked. A component calls another
//! for the same principal and method many times a second; signing each call
//! (JSON, base64, HMAC) and checking each signature again cost more than
//! the rest of the call's metadata. The signer reuses a signature for a few
//! seconds of its validity ([`REUSE_SECS`]); the verifier remembers, until it
//! expires, a header pair it has checked: the same bytes under the same keys
//! verify the same way, and the expiry is still checked on every call.

use std::sync::Mutex;

/// How long a signed principal is reused after signing. What a reused one
/// has left of its validity stays well above clock skew between hosts.
pub const REUSE_SECS: i64 = 5;

/// How many entries a cache keeps; beyond, the oldest slot is replaced.
const CAPACITY: usize = 64;

/// A small cache of values valid until a time (Unix seconds); keys are
/// compared by the caller, so they need no hashing.
pub struct Recent<K, V> {
    ring: Mutex<Ring<K, V>>,
}

struct Ring<K, V> {
    items: Vec<(K, V, i64)>,
    next: usize,
}

impl<K, V: Clone> Recent<K, V> {
    pub fn new() -> Self {
        Self {
            ring: Mutex::new(Ring {
                items: Vec::new(),
                next: 0,
            }),
        }
    }

    /// The value of the first key `matches` accepts, while `now` is before
    /// its end of validity.
    pub fn get(&self, now: i64, matches: impl Fn(&K) -> bool) -> Option<V> {
        let ring = self.ring.lock().ok()?;
        ring.items
            .iter()
            .find(|(k, _, until)| now < *until && matches(k))
            .map(|(_, v, _)| v.clone())
    }

    /// Keeps `value` for `key` until `until`, in an expired slot when there
    /// is one, else in the oldest.
    pub fn put(&self, now: i64, key: K, value: V, until: i64) {
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        if let Some(slot) = ring.items.iter_mut().find(|(_, _, u)| *u <= now) {
            *slot = (key, value, until);
        } else if ring.items.len() < CAPACITY {
            ring.items.push((key, value, until));
        } else {
            let i = ring.next % CAPACITY;
            ring.items[i] = (key, value, until);
            ring.next = i + 1;
        }
    }
}

impl<K, V: Clone> Default for Recent<K, V> {
    fn default() -> Self {
        Self::new()
    }
}
