//! The verified-token cache: a token seen before costs a hash lookup, not a signature check.
//!
//! Entries are keyed by the whole token (never by a hash alone), bounded in number and in
//! estimated bytes, and never outlive the token: an entry is served only while `exp` (and the
//! maximum age, if set) allows, plus the leeway. An entry verified by a remote key is dropped
//! once that key leaves the issuer's JWKS. Each verifier has its own cache.
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
use crate::key::Epoch;
use crate::telemetry::{self, CacheEvent};

/// Default number of cached tokens.
pub const DEFAULT_CACHE_ENTRIES: usize = 50_000;
/// Default estimated memory of the cache, in bytes.
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

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

impl Weighter<Box<[u8]>, Arc<Entry>> for ByWeight {
    fn weight(&self, _token: &Box<[u8]>, entry: &Arc<Entry>) -> u64 {
        entry.weight.max(self.floor)
    }
}

/// Counts what the cache drops to stay within its bounds.
#[derive(Clone)]
struct CountEvictions(Arc<AtomicU64>);

impl Lifecycle<Box<[u8]>, Arc<Entry>> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _state: &mut (), _token: Box<[u8]>, _entry: Arc<Entry>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        telemetry::token_cache(CacheEvent::Eviction);
    }
}

pub(crate) struct TokenCache {
    entries: Cache<Box<[u8]>, Arc<Entry>, ByWeight, DefaultHashBuilder, CountEvictions>,
    inserts: AtomicU64,
    evictions: Arc<AtomicU64>,
}

impl TokenCache {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        let max_entries = max_entries.max(1);
        let bytes = max_bytes.max(1) as u64;
        let floor = (bytes / max_entries as u64).max(1);
        let evictions = Arc::new(AtomicU64::new(0));
        let lifecycle = CountEvictions(Arc::clone(&evictions));
        let weighter = ByWeight { floor };
        Self {
            entries: Cache::with(
                max_entries,
                bytes,
                weighter,
                DefaultHashBuilder::default(),
                lifecycle,
            ),
            inserts: AtomicU64::new(0),
            evictions,
        }
    }

    /// The claims of `token` if it was verified before and is still valid at `now`.
    pub(crate) fn get(&self, token: &[u8], now: u64) -> Option<Claims> {
        let entry = self.entries.get(token)?;
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
        // The token text, its claims in memory and bookkeeping: measured at about 1.3 KB for a
        // 640-byte token (`scopegate-bench`'s `memory`); this estimates 1.5 KB.
        let weight = (token.len() * 2 + 256) as u64;
        self.inserts.fetch_add(1, Ordering::Relaxed);
        self.entries.insert(
            Box::from(token.as_bytes()),
            Arc::new(Entry { claims, valid_until, epoch, weight }),
        );
    }

    pub(crate) fn stats(&self) -> TokenCacheStats {
        TokenCacheStats {
            entries: self.entries.len(),
            estimated_bytes: self.entries.weight(),
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
