//! The verified-token cache: a token seen before costs a hash lookup, not a signature check.
//!
//! Entries are keyed by the whole token, or by its SHA-256 ([`TokenCacheKey`]), bounded in
//! number and in estimated bytes, and never outlive the token: an entry is served only while
//! `exp` (and the maximum age, if set) allows, plus the leeway. An entry verified by a remote
//! key is dropped once that key leaves the issuer's JWKS. Each verifier has its own cache.
//!
//! The cache cannot see revocation, but neither can stateless JWT verification: a cached token
//! is exactly as valid as it would be re-verified. Turn it off with
//! [`VerifierBuilder::disable_token_cache`](crate::VerifierBuilder::disable_token_cache).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, Weighter};

use crate::claims::Claims;
use crate::crypto::sha256;
use crate::key::Epoch;
use crate::telemetry::{self, CacheEvent};

/// Default number of cached tokens.
pub const DEFAULT_CACHE_ENTRIES: usize = 50_000;
/// Default estimated memory of the cache, in bytes.
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// What the verified-token cache keys its entries by: a trade between the time of a hit and the
/// memory of an entry. Set with
/// [`VerifierBuilder::token_cache_key`](crate::VerifierBuilder::token_cache_key).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenCacheKey {
    /// The whole token (the default): a hit hashes and compares the token's bytes, the fastest
    /// lookup, and each entry holds a copy of the token.
    #[default]
    Token,
    /// The token's SHA-256: each entry holds 32 bytes instead of the token, so the cache holds
    /// no usable token and a 640-byte token's entry is about half the size, for one SHA-256 of
    /// the token per lookup (measured: 0.2-0.3 µs for 640 bytes, with SHA CPU extensions).
    Sha256,
}

struct Entry {
    claims: Claims,
    valid_until: u64,
    epoch: Option<Epoch>,
    weight: u64,
}

#[derive(Clone)]
struct ByWeight {
    /// Every entry weighs at least this, so that the byte bound also bounds the count.
    floor: u64,
}

impl<K> Weighter<K, Arc<Entry>> for ByWeight {
    fn weight(&self, _key: &K, entry: &Arc<Entry>) -> u64 {
        entry.weight.max(self.floor)
    }
}

/// Counts what the cache drops to stay within its bounds.
#[derive(Clone)]
struct CountEvictions(Arc<AtomicU64>);

impl<K> Lifecycle<K, Arc<Entry>> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _state: &mut (), _key: K, _entry: Arc<Entry>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        telemetry::token_cache(CacheEvent::Eviction);
    }
}

type Entries<K> = Cache<K, Arc<Entry>, ByWeight, DefaultHashBuilder, CountEvictions>;

/// The entries, by the key chosen.
enum Keyed {
    Token(Entries<Box<[u8]>>),
    Sha256(Entries<[u8; 32]>),
}

pub(crate) struct TokenCache {
    entries: Keyed,
    inserts: AtomicU64,
    evictions: Arc<AtomicU64>,
}

impl TokenCache {
    pub(crate) fn new(max_entries: usize, max_bytes: usize, key: TokenCacheKey) -> Self {
        let max_entries = max_entries.max(1);
        let bytes = max_bytes.max(1) as u64;
        let floor = (bytes / max_entries as u64).max(1);
        let evictions = Arc::new(AtomicU64::new(0));
        let lifecycle = CountEvictions(Arc::clone(&evictions));
        let weighter = ByWeight { floor };
        let hasher = DefaultHashBuilder::default();
        let entries = match key {
            TokenCacheKey::Token => {
                Keyed::Token(Cache::with(max_entries, bytes, weighter, hasher, lifecycle))
            }
            TokenCacheKey::Sha256 => {
                Keyed::Sha256(Cache::with(max_entries, bytes, weighter, hasher, lifecycle))
            }
        };
        Self { entries, inserts: AtomicU64::new(0), evictions }
    }

    /// The claims of `token` if it was verified before and is still valid at `now`.
    pub(crate) fn get(&self, token: &[u8], now: u64) -> Option<Claims> {
        let entry = match &self.entries {
            Keyed::Token(entries) => entries.get(token)?,
            Keyed::Sha256(entries) => entries.get(&sha256(token))?,
        };
        if now < entry.valid_until && entry.epoch.as_ref().is_none_or(Epoch::is_current) {
            Some(entry.claims.clone())
        } else {
            None
        }
    }

    /// Remembers a verified token until `valid_until` (seconds since the epoch).
    pub(crate) fn insert(
        &self,
        token: &str,
        claims: Claims,
        valid_until: u64,
        epoch: Option<Epoch>,
    ) {
        // The key, the claims in memory (they grow with the token) and bookkeeping, measured
        // with `scopegate-bench`'s `memory` for a 640-byte token: about 1.2 KB keyed by the
        // token, estimated 1.5 KB; about 0.6 KB keyed by SHA-256, estimated 0.9 KB.
        let claims_weight = (token.len() + 256) as u64;
        self.inserts.fetch_add(1, Ordering::Relaxed);
        match &self.entries {
            Keyed::Token(entries) => {
                let weight = claims_weight + token.len() as u64;
                let entry = Arc::new(Entry { claims, valid_until, epoch, weight });
                entries.insert(Box::from(token.as_bytes()), entry);
            }
            Keyed::Sha256(entries) => {
                let weight = claims_weight + 32;
                let entry = Arc::new(Entry { claims, valid_until, epoch, weight });
                entries.insert(sha256(token.as_bytes()), entry);
            }
        }
    }

    pub(crate) fn stats(&self) -> TokenCacheStats {
        let (entries, estimated_bytes) = match &self.entries {
            Keyed::Token(entries) => (entries.len(), entries.weight()),
            Keyed::Sha256(entries) => (entries.len(), entries.weight()),
        };
        TokenCacheStats {
            entries,
            estimated_bytes,
            inserts: self.inserts.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}

/// What the verified-token cache holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// Cached tokens.
    pub entries: usize,
    /// Their estimated memory, in bytes.
    pub estimated_bytes: u64,
    /// Tokens verified and added since the start: every one was a full verification.
    pub inserts: u64,
    /// Tokens dropped to stay within the bounds (not counting those that expired).
    pub evictions: u64,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache").field("stats", &self.stats()).finish()
    }
}
