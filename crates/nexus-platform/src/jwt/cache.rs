//! Principals of verified bearer tokens, kept by the token's SHA-256 so a
//! client sending the same token again is not verified again. An entry
//! lives until the token's `exp` or [`MAX_AGE`] after verification,
//! whichever comes first; the cache holds at most its capacity, dropping
//! lapsed entries first. The token itself is never kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use nexus_domain::Principal;
use sha2::{Digest, Sha256};

/// The longest an entry is served after its token was verified, in seconds.
pub const MAX_AGE: u64 = 60;

/// How many tokens are kept by default.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// The key of a token: its SHA-256.
pub type TokenHash = [u8; 32];

/// The hash a token is kept under.
pub fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Seconds since the Unix epoch, the unit of `exp`.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct Entry {
    principal: Principal,
    /// Served while the clock is before this (Unix seconds).
    until: u64,
}

/// Verified principals by token hash, bounded.
pub struct PrincipalCache {
    entries: Mutex<HashMap<TokenHash, Entry>>,
    capacity: usize,
}

impl PrincipalCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The principal of `token` at `now` (Unix seconds), when it was
    /// verified and has not lapsed; a lapsed entry is dropped.
    pub fn get(&self, token: &TokenHash, now: u64) -> Option<Principal> {
        let mut entries = self.lock();
        match entries.get(token) {
            Some(e) if now < e.until => Some(e.principal.clone()),
            Some(_) => {
                entries.remove(token);
                None
            }
            None => None,
        }
    }

    /// Keeps the principal of a token verified at `now` whose `exp` is
    /// `expires` (Unix seconds; `None` when absent, then it is not kept).
    pub fn put(&self, token: TokenHash, principal: &Principal, expires: Option<u64>, now: u64) {
        let Some(expires) = expires else { return };
        let until = expires.min(now.saturating_add(MAX_AGE));
        if until <= now || self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&token) {
            entries.retain(|_, e| now < e.until);
            if entries.len() >= self.capacity
                && let Some(victim) = entries.keys().next().copied()
            {
                entries.remove(&victim);
            }
        }
        entries.insert(
            token,
            Entry {
                principal: principal.clone(),
                until,
            },
        );
    }

    /// Forgets every token (the key set changed).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many tokens are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn principal(subject: &str) -> Principal {
        Principal {
            subject: subject.into(),
            ..Principal::default()
        }
    }

    const T0: u64 = 1_900_000_000;

    #[test]
    fn an_entry_is_not_served_at_or_after_the_tokens_exp() {
        let cache = PrincipalCache::new(10);
        let token = hash("a.b.c");
        cache.put(token, &principal("ann"), Some(T0 + 10), T0);
        assert_eq!(cache.get(&token, T0 + 9).unwrap().subject, "ann");
        assert!(cache.get(&token, T0 + 10).is_none());
        assert_eq!(cache.len(), 0, "a lapsed entry is dropped");
    }

    #[test]
    fn an_entry_lives_at_most_sixty_seconds_whatever_its_exp() {
        let cache = PrincipalCache::new(10);
        let token = hash("a.b.c");
        cache.put(token, &principal("ann"), Some(T0 + 3600), T0);
        assert!(cache.get(&token, T0 + MAX_AGE - 1).is_some());
        assert!(cache.get(&token, T0 + MAX_AGE).is_none());
    }

    #[test]
    fn expired_tokens_and_tokens_without_exp_are_not_kept() {
        let cache = PrincipalCache::new(10);
        cache.put(hash("old"), &principal("ann"), Some(T0), T0);
        cache.put(hash("none"), &principal("ann"), None, T0);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn tokens_differ_by_hash_and_the_cache_is_bounded() {
        let cache = PrincipalCache::new(100);
        for n in 0..1000 {
            let token = format!("token-{n}");
            cache.put(
                hash(&token),
                &principal(&format!("user-{n}")),
                Some(T0 + 30),
                T0,
            );
            assert!(cache.len() <= 100);
        }
        assert_eq!(cache.len(), 100);
        assert_eq!(
            cache.get(&hash("token-999"), T0).unwrap().subject,
            "user-999"
        );
        assert!(cache.get(&hash("token-99x"), T0).is_none());
        // Lapsed entries make room before live ones are dropped.
        let later = T0 + 31;
        cache.put(hash("fresh"), &principal("fresh"), Some(later + 30), later);
        assert_eq!(cache.len(), 1);
        cache.clear();
        assert_eq!(cache.len(), 0);
    }

    #[tokio::test]
    async fn the_verifier_keeps_valid_tokens_and_refuses_expired_ones() {
        use crate::jwt::{JwtConfig, JwtError, JwtVerifier, sign_hs256};
        let secret = b"0123456789abcdef0123456789abcdef".to_vec();
        let verifier = JwtVerifier::new(JwtConfig {
            hs256_secret: Some(secret.clone()),
            ..JwtConfig::default()
        })
        .unwrap();
        let now = unix_now();
        let token = |sub: &str, exp: u64| {
            sign_hs256(&secret, &serde_json::json!({"sub": sub, "exp": exp})).unwrap()
        };
        let ann = token("ann", now + 120);
        assert_eq!(verifier.verify(&ann).await.unwrap().subject, "ann");
        assert_eq!(verifier.verify(&ann).await.unwrap().subject, "ann");
        assert_eq!(verifier.cached(), 1);
        let expired = token("bob", now - 10);
        assert_eq!(
            verifier.verify(&expired).await.unwrap_err(),
            JwtError::Expired
        );
        let forged = sign_hs256(
            b"another secret of thirty-two bytes!",
            &serde_json::json!({"sub": "ann", "exp": now + 120}),
        )
        .unwrap();
        assert_eq!(
            verifier.verify(&forged).await.unwrap_err(),
            JwtError::BadSignature
        );
        assert_eq!(verifier.cached(), 1);
    }
}
