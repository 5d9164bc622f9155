//! Remembering the `jti` of every accepted DPoP proof for as long as the proof could be
//! replayed (RFC 9449 section 11.1): the [`ReplayStore`] trait and a bounded in-memory store.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind};
use crate::telemetry;

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
        let parts = [&b"dpop-jti:"[..], jkt.as_bytes(), b":", jti.as_bytes()];
        // A thumbprint and a `jti` of at most 256 bytes fit on the stack.
        let mut stack = [0u8; 320];
        let length: usize = parts.iter().map(|part| part.len()).sum();
        let mut heap = Vec::new();
        let input = match stack.get_mut(..length) {
            Some(input) => input,
            None => {
                heap.resize(length, 0);
                &mut heap[..]
            }
        };
        let mut at = 0;
        for part in parts {
            if let Some(slot) = input.get_mut(at..at + part.len()) {
                slot.copy_from_slice(part);
            }
            at += part.len();
        }
        Self(crate::crypto::sha256(input))
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
/// Implementations must fail closed: an error (the store is unreachable) refuses the request
/// with `503`, it never lets a proof through unchecked. A store that must forget before `ttl`
/// (it is full) must refuse, from then on, every proof not newer than what it forgot (see
/// [`InMemoryReplayStore`]).
pub trait ReplayStore: Send + Sync + 'static {
    /// Remembers `proof`, issued at `issued_at` (its `iat`, seconds since the epoch), for `ttl`
    /// unless it is already remembered: `true` the first time, `false` for a replay. `ttl` is
    /// the same for every proof of a configuration ([`Dpop::replay_ttl`](super::Dpop::replay_ttl)):
    /// as long as any replica could accept the proof.
    fn check_and_remember(&self, proof: ProofId, issued_at: u64, ttl: Duration)
    -> ReplayFuture<'_>;
}

/// Default number of proofs the in-memory store remembers.
pub const DEFAULT_REPLAY_ENTRIES: usize = 100_000;

const SHARDS: usize = 16;

/// A replay store in this process's memory: bounded, sharded so that requests rarely wait on
/// each other. With several replicas, use a shared store instead (the `scopegate-redis`
/// crate): a proof replayed to another replica would pass this one.
///
/// When a shard is full of unexpired proofs (one client sending proofs as fast as it can), it
/// refuses by time what it can no longer refuse by memory: it forgets its oldest proofs (by
/// `iat`) and from then on refuses every proof issued no later than the newest one it forgot
/// (its watermark). No replay is ever accepted, and honest clients, whose proofs are fresh,
/// keep working; only proofs older than the watermark are refused, as replays, and a client
/// whose proof is refused makes a fresh one. Forgetting is counted ([`Self::forgotten`]).
///
/// ```
/// use std::time::Duration;
/// use scopegate_core::dpop::{InMemoryReplayStore, ReplayStore};
///
/// # let proof = scopegate_core::dpop::ProofId::new("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "jti-1");
/// let store = InMemoryReplayStore::new(10);
/// let (issued_at, ttl) = (1_700_000_000, Duration::from_secs(95));
/// assert!(scopegate_testkit::block_on(store.check_and_remember(proof, issued_at, ttl))?);
/// assert!(!scopegate_testkit::block_on(store.check_and_remember(proof, issued_at, ttl))?);
/// # Ok::<(), scopegate_core::Error>(())
/// ```
pub struct InMemoryReplayStore {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
    started: Instant,
    forgotten: AtomicU64,
}

#[derive(Default)]
struct Shard {
    /// Each proof's expiry, in milliseconds since `started` (a monotonic clock: entries expire
    /// by elapsed time, whatever the wall clock or the verifier's clock says), and its `iat`.
    /// Hashed with foldhash, seeded per process: a client can choose its `jti`s, so the hash
    /// must be keyed, and SipHash costs more.
    seen: HashMap<ProofId, (u64, u64), quick_cache::DefaultHashBuilder>,
    /// Proofs issued at or before this second may have been forgotten: refused.
    watermark: Option<u64>,
}

impl InMemoryReplayStore {
    /// A store for about `entries` proofs.
    pub fn new(entries: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: entries.div_ceil(SHARDS).max(1),
            started: Instant::now(),
            forgotten: AtomicU64::new(0),
        }
    }

    fn remember(
        &self,
        proof: ProofId,
        issued_at: u64,
        until: u64,
        now: u64,
    ) -> Result<bool, Error> {
        let shard = usize::from(proof.0[0]) % SHARDS;
        let Some(shard) = self.shards.get(shard) else {
            return Err(Error::new(ErrorKind::ReplayStoreUnavailable, "no such shard"));
        };
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if shard.watermark.is_some_and(|watermark| issued_at <= watermark) {
            return Err(Error::new(
                ErrorKind::DpopProofReplayed,
                "the DPoP proof is older than this server can still check for replay; \
                 send a fresh proof",
            ));
        }
        if let Some(&(expires, _)) = shard.seen.get(&proof)
            && expires > now
        {
            return Ok(false);
        }
        if shard.seen.len() >= self.per_shard {
            shard.seen.retain(|_, (expires, _)| *expires > now);
        }
        if shard.seen.len() >= self.per_shard {
            let forgotten = shard.forget_oldest();
            self.forgotten.fetch_add(forgotten, Ordering::Relaxed);
            telemetry::dpop_replays_forgotten(forgotten);
            if shard.watermark.is_some_and(|watermark| issued_at <= watermark) {
                return Err(Error::new(
                    ErrorKind::DpopProofReplayed,
                    "the DPoP proof is older than this server can still check for replay; \
                     send a fresh proof",
                ));
            }
        }
        shard.seen.insert(proof, (until, issued_at));
        Ok(true)
    }

    /// How many proofs are remembered (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).seen.len())
            .sum()
    }

    /// Whether no proof is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many unexpired proofs were forgotten because a shard was full (each one raising
    /// that shard's watermark).
    pub fn forgotten(&self) -> u64 {
        self.forgotten.load(Ordering::Relaxed)
    }
}

impl Shard {
    /// Forgets every proof of the earliest `iat` remembered and raises the watermark to it;
    /// returns how many were forgotten.
    fn forget_oldest(&mut self) -> u64 {
        let Some(oldest) = self.seen.values().map(|(_, issued_at)| *issued_at).min() else {
            return 0;
        };
        let before = self.seen.len();
        self.seen.retain(|_, (_, issued_at)| *issued_at > oldest);
        self.watermark = Some(self.watermark.map_or(oldest, |watermark| watermark.max(oldest)));
        (before - self.seen.len()) as u64
    }
}

impl Default for InMemoryReplayStore {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_ENTRIES)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl ReplayStore for InMemoryReplayStore {
    fn check_and_remember(
        &self,
        proof: ProofId,
        issued_at: u64,
        ttl: Duration,
    ) -> ReplayFuture<'_> {
        let now = millis(self.started.elapsed());
        let outcome = self.remember(proof, issued_at, now.saturating_add(millis(ttl)), now);
        Box::pin(std::future::ready(outcome))
    }
}

impl fmt::Debug for InMemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryReplayStore")
            .field("entries", &self.len())
            .field("capacity", &(self.per_shard * SHARDS))
            .field("forgotten", &self.forgotten())
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

    /// The attack: one client fills a shard with fresh proofs. The store forgets the oldest,
    /// refuses any replay of them by time, and keeps accepting newer proofs.
    #[test]
    fn a_full_shard_forgets_its_oldest_and_refuses_by_time() {
        assert_eq!(usize::from(SHARD_COUNT), SHARDS);
        let store = InMemoryReplayStore::new(SHARDS * 3);
        let ttl = 95_000;
        // Three proofs issued at 100, 101, 102 fill shard 0 (room for 3).
        for (n, issued_at) in [(1, 100), (2, 101), (3, 102)] {
            assert!(store.remember(id(0, n), issued_at, 1_000 + ttl, 1_000).unwrap());
        }
        // A fourth, honest and fresh: the proof of 100 is forgotten, not the new one refused.
        assert!(store.remember(id(SHARD_COUNT, 9), 103, 2_000 + ttl, 2_000).unwrap());
        assert_eq!(store.forgotten(), 1);
        // Its replay is refused by time, as is any proof issued no later than 100.
        let replay = store.remember(id(0, 1), 100, 3_000 + ttl, 3_000).unwrap_err();
        assert_eq!(replay.kind(), ErrorKind::DpopProofReplayed);
        assert_eq!(
            store.remember(id(0, 50), 99, 3_000 + ttl, 3_000).unwrap_err().kind(),
            ErrorKind::DpopProofReplayed
        );
        // What is still remembered is still refused by memory; newer proofs pass.
        assert!(!store.remember(id(0, 2), 101, 3_000 + ttl, 3_000).unwrap());
        assert!(store.remember(id(SHARD_COUNT, 10), 104, 3_000 + ttl, 3_000).unwrap());
        // Other shards are untouched by shard 0's watermark.
        assert!(store.remember(id(1, 1), 50, 3_000 + ttl, 3_000).unwrap());
    }

    #[test]
    fn a_flood_never_lets_a_replay_through() {
        let store = InMemoryReplayStore::new(SHARDS * 8);
        let proof = |n: u32| {
            let mut bytes = [0u8; 32];
            bytes[1..5].copy_from_slice(&n.to_be_bytes());
            ProofId(bytes)
        };
        // 3,000 proofs into one shard of 8, ten per second of `iat`.
        let issued = |n: u32| 1_000 + u64::from(n / 10);
        let mut accepted = Vec::new();
        for n in 0..3_000u32 {
            match store.remember(proof(n), issued(n), u64::MAX, 0) {
                Ok(true) => accepted.push(n),
                Err(error) if error.kind() == ErrorKind::DpopProofReplayed => {}
                other => panic!("proof {n}: {other:?}"),
            }
            // Every proof accepted so far, replayed now, is refused: by memory or by time.
            if n % 101 == 0 {
                for &earlier in &accepted {
                    let replayed = store.remember(proof(earlier), issued(earlier), u64::MAX, 0);
                    assert!(!matches!(replayed, Ok(true)), "{earlier} replayed after {n}");
                }
            }
        }
        // Fresh proofs keep passing: most of the flood was accepted.
        assert!(accepted.len() > 2_000, "{}", accepted.len());
        assert!(store.len() <= SHARDS * 8);
    }

    #[test]
    fn expired_proofs_make_room_without_raising_the_watermark() {
        let store = InMemoryReplayStore::new(SHARDS);
        assert!(store.remember(id(0, 1), 100, 2_000, 1_000).unwrap());
        // Same shard, no room, but the first has expired by then: room, nothing forgotten.
        assert!(store.remember(id(SHARD_COUNT, 2), 90, 4_000, 3_000).unwrap());
        assert_eq!(store.forgotten(), 0);
        // An expired entry no longer counts as seen.
        assert!(store.remember(id(0, 1), 100, 9_000, 5_000).unwrap());
        assert!(!store.remember(id(0, 1), 100, 9_000, 5_000).unwrap());
    }
}
