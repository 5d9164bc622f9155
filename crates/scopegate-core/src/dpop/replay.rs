//! Remembering the `jti` of every accepted DPoP proof for as long as the proof could be
//! replayed (RFC 9449 section 11.1): the [`ReplayStore`] trait and a bounded in-memory store.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind};

/// The future a [`ReplayStore`] returns: `Ok(true)` when the proof was new (and is now
/// remembered), `Ok(false)` when it was seen before.
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, Error>> + Send + 'a>>;

/// The identity of a proof for a replay store: the SHA-256 of its key's thumbprint and its
/// `jti`. A `jti` is unique per key (RFC 9449 section 11.1), so one client's `jti` never
/// blocks another's proofs. Neither the `jti` nor the thumbprint appears in clear, so store
/// keys (Redis key names, say) leak neither.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProofId([u8; 32]);

impl ProofId {
    /// The identity of the proof with `jti` made with the key whose RFC 7638 thumbprint is
    /// `jkt`.
    pub fn new(jkt: &str, jti: &str) -> Self {
        let mut input = Vec::with_capacity(10 + jkt.len() + jti.len());
        input.extend_from_slice(b"dpop-jti:");
        input.extend_from_slice(jkt.as_bytes());
        input.push(b':');
        input.extend_from_slice(jti.as_bytes());
        Self(crate::crypto::sha256(&input))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The bytes as lowercase hex (64 characters), for text keys.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

impl fmt::Debug for ProofId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofId({}..)", self.to_hex().get(..8).unwrap_or_default())
    }
}

/// Where seen proofs are remembered. One atomic check-and-insert per proof: two requests with
/// the same proof, at the same time, on any replica sharing the store, cannot both pass.
///
/// Implementations must fail closed: an error (the store is full or unreachable) refuses the
/// request with `503`, it never lets a proof through unchecked.
pub trait ReplayStore: Send + Sync + 'static {
    /// Remembers `proof` for `ttl` (the time left until no proof with its `iat` could be
    /// accepted anyway) unless it is already remembered: `true` the first time, `false` for a
    /// replay.
    fn check_and_remember(&self, proof: ProofId, ttl: Duration) -> ReplayFuture<'_>;
}

/// Default number of proofs the in-memory store remembers.
pub const DEFAULT_REPLAY_ENTRIES: usize = 100_000;

const SHARDS: usize = 16;

/// A replay store in this process's memory: bounded, sharded so that requests rarely wait on
/// each other, and refusing (`503`) rather than forgetting when full of unexpired proofs. With
/// several replicas, use a shared store instead (the `scopegate-redis` crate): a proof
/// replayed to another replica would pass this one.
///
/// ```
/// use std::time::Duration;
/// use scopegate_core::dpop::{InMemoryReplayStore, ReplayStore};
///
/// # let proof = scopegate_core::dpop::ProofId::new("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "jti-1");
/// let store = InMemoryReplayStore::new(10);
/// let ttl = Duration::from_secs(60);
/// assert!(scopegate_testkit::block_on(store.check_and_remember(proof, ttl))?);
/// assert!(!scopegate_testkit::block_on(store.check_and_remember(proof, ttl))?);
/// # Ok::<(), scopegate_core::Error>(())
/// ```
pub struct InMemoryReplayStore {
    /// Expiry of each proof, in milliseconds since `started` (a monotonic clock: entries
    /// expire by elapsed time, whatever the wall clock or the verifier's clock says).
    shards: Vec<Mutex<HashMap<ProofId, u64>>>,
    per_shard: usize,
    started: Instant,
}

impl InMemoryReplayStore {
    /// A store for about `entries` proofs.
    pub fn new(entries: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: entries.div_ceil(SHARDS).max(1),
            started: Instant::now(),
        }
    }

    fn remember(&self, proof: ProofId, until: u64, now: u64) -> Result<bool, Error> {
        let shard = usize::from(proof.0[0]) % SHARDS;
        let Some(shard) = self.shards.get(shard) else {
            return Err(full());
        };
        let mut seen = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&expires) = seen.get(&proof)
            && expires > now
        {
            return Ok(false);
        }
        if seen.len() >= self.per_shard {
            seen.retain(|_, expires| *expires > now);
            if seen.len() >= self.per_shard {
                return Err(full());
            }
        }
        seen.insert(proof, until);
        Ok(true)
    }

    /// How many proofs are remembered (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether no proof is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for InMemoryReplayStore {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_ENTRIES)
    }
}

fn full() -> Error {
    Error::new(
        ErrorKind::ReplayStoreUnavailable,
        "the DPoP replay store is full of unexpired proofs; refusing rather than forgetting",
    )
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl ReplayStore for InMemoryReplayStore {
    fn check_and_remember(&self, proof: ProofId, ttl: Duration) -> ReplayFuture<'_> {
        let now = millis(self.started.elapsed());
        let outcome = self.remember(proof, now.saturating_add(millis(ttl)), now);
        Box::pin(std::future::ready(outcome))
    }
}

impl fmt::Debug for InMemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryReplayStore")
            .field("entries", &self.len())
            .field("capacity", &(self.per_shard * SHARDS))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `SHARDS` as a first byte: the same shard as 0.
    const SHARD_COUNT: u8 = 16;

    fn id(byte: u8, second: u8) -> ProofId {
        let mut bytes = [0u8; 32];
        bytes[0] = byte;
        bytes[1] = second;
        ProofId(bytes)
    }

    #[test]
    fn a_full_store_refuses_rather_than_forgets() {
        assert_eq!(usize::from(SHARD_COUNT), SHARDS);
        let store = InMemoryReplayStore::new(SHARDS);
        assert!(store.remember(id(0, 1), 2_000, 1_000).unwrap());
        // Same shard, no room, nothing expired: refused.
        assert_eq!(
            store.remember(id(SHARD_COUNT, 2), 2_000, 1_000).unwrap_err().kind(),
            ErrorKind::ReplayStoreUnavailable
        );
        // Once the first has expired, there is room again.
        assert!(store.remember(id(SHARD_COUNT, 2), 4_000, 3_000).unwrap());
        // An expired entry no longer counts as seen.
        assert!(store.remember(id(0, 1), 9_000, 5_000).unwrap());
        assert!(!store.remember(id(0, 1), 9_000, 5_000).unwrap());
    }
}
