//! [`InMemoryReplayStore`]: the default replay store, bounded, in this process's memory.
//!
//! ```
//! use std::time::Duration;
//! use scopegate_core::dpop::{InMemoryReplayStore, ProofId, ReplayStore};
//!
//! let proof = ProofId::new("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "jti-1");
//! let store = InMemoryReplayStore::new(10);
//! let (issued_at, ttl) = (1_700_000_000, Duration::from_secs(96));
//! assert!(scopegate_testkit::block_on(store.check_and_remember(proof, issued_at, ttl))?);
//! assert!(!scopegate_testkit::block_on(store.check_and_remember(proof, issued_at, ttl))?);
//! # Ok::<(), scopegate_core::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::replay::{ProofId, ReplayFuture, ReplayStore};
use crate::error::{Error, ErrorKind};
use crate::telemetry;

/// Default number of proofs the in-memory store remembers.
pub const DEFAULT_REPLAY_ENTRIES: usize = 100_000;

const SHARDS: usize = 16;

/// Keyed hashing (foldhash, seeded per process): clients choose their `jti`s.
type Hasher = quick_cache::DefaultHashBuilder;

/// A replay store in this process's memory: bounded, sharded so that requests rarely wait on
/// each other. With several replicas, use a shared store instead (the `scopegate-redis`
/// crate): a proof replayed to another replica would pass this one.
///
/// Memory that must forget refuses by time what it can no longer refuse by memory, and it does
/// so per client key, so that one client's flood costs only that client:
///
/// - one key may hold at most a quarter of its shard; a key sending more forgets its own
///   oldest proofs (by `iat`) and from then on its proofs issued no later than those are
///   refused (the key's watermark);
/// - a shard full of many keys' proofs forgets its oldest proofs and raises the watermark of
///   each key they belonged to.
///
/// No replay is ever accepted: a forgotten proof is refused by its key's watermark. Honest
/// clients keep working whatever `iat` a flooder chooses, and a client whose proof is refused
/// as too old makes a fresh one. The per-key watermarks are bounded too (twice the shard's
/// size); past that, the oldest are folded into one watermark for the shard. Forgetting is
/// counted ([`Self::forgotten`], metric `scopegate_dpop_replay_store_forgotten_total`).
pub struct InMemoryReplayStore {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
    started: Instant,
    forgotten: AtomicU64,
}

/// A remembered proof: its expiry in milliseconds since `started` (a monotonic clock: entries
/// expire by elapsed time, whatever the wall clock says), its `iat`, and its key.
#[derive(Clone, Copy)]
struct Seen {
    expires: u64,
    issued_at: u64,
    key: u64,
}

/// What a shard knows about one key.
#[derive(Default)]
struct KeyState {
    remembered: usize,
    /// This key's proofs issued at or before this second may have been forgotten: refused,
    /// until `watermark_until` (by then every such proof is past any replica's window).
    watermark: Option<u64>,
    watermark_until: u64,
}

#[derive(Default)]
struct Shard {
    seen: HashMap<ProofId, Seen, Hasher>,
    keys: HashMap<u64, KeyState, Hasher>,
    /// Where per-key watermarks were folded when there were too many to keep.
    watermark: Option<u64>,
    watermark_until: u64,
}

const TOO_OLD: &str =
    "the DPoP proof is older than this server can still check for replay; send a fresh proof";

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

    /// The most proofs one key may hold in its shard.
    fn per_key(&self) -> usize {
        (self.per_shard / 4).max(1)
    }

    fn remember(&self, proof: ProofId, issued_at: u64, ttl: u64, now: u64) -> Result<bool, Error> {
        // All of one key's proofs live in one shard, with its state.
        let shard = usize::try_from(proof.key() % SHARDS as u64).unwrap_or_default();
        let Some(shard) = self.shards.get(shard) else {
            return Err(Error::new(ErrorKind::ReplayStoreUnavailable, "no such shard"));
        };
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        shard.refuse_if_forgotten(proof.key(), issued_at, now)?;
        if let Some(seen) = shard.seen.get(&proof)
            && seen.expires > now
        {
            return Ok(false);
        }
        let per_key = self.per_key();
        let full = |shard: &Shard| {
            shard.seen.len() >= self.per_shard
                || shard.keys.get(&proof.key()).is_some_and(|state| state.remembered >= per_key)
        };
        if full(&shard) {
            shard.sweep(now);
        }
        let mut forgotten = 0;
        if shard.keys.get(&proof.key()).is_some_and(|state| state.remembered >= per_key) {
            forgotten += shard.forget_oldest(Some(proof.key()), now.saturating_add(ttl));
        }
        if shard.seen.len() >= self.per_shard {
            forgotten += shard.forget_oldest(None, now.saturating_add(ttl));
        }
        if forgotten > 0 {
            self.forgotten.fetch_add(forgotten, Ordering::Relaxed);
            telemetry::dpop_replays_forgotten(forgotten);
            shard.bound_watermarks(self.per_shard.saturating_mul(2), now);
            shard.refuse_if_forgotten(proof.key(), issued_at, now)?;
        }
        let expires = now.saturating_add(ttl);
        if let Some(replaced) =
            shard.seen.insert(proof, Seen { expires, issued_at, key: proof.key() })
        {
            // An expired entry of the same proof: its place is taken, not added.
            shard.release(replaced.key);
        }
        shard.keys.entry(proof.key()).or_default().remembered += 1;
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

    /// How many unexpired proofs were forgotten because a key or a shard was full (each one
    /// raising its key's watermark).
    pub fn forgotten(&self) -> u64 {
        self.forgotten.load(Ordering::Relaxed)
    }
}

impl Shard {
    fn refuse_if_forgotten(&self, key: u64, issued_at: u64, now: u64) -> Result<(), Error> {
        let below = |watermark: Option<u64>, until: u64| {
            until > now && watermark.is_some_and(|watermark| issued_at <= watermark)
        };
        let state = self.keys.get(&key);
        if below(self.watermark, self.watermark_until)
            || state.is_some_and(|state| below(state.watermark, state.watermark_until))
        {
            return Err(Error::new(ErrorKind::DpopProofReplayed, TOO_OLD));
        }
        Ok(())
    }

    /// One proof of `key` is no longer remembered.
    fn release(&mut self, key: u64) {
        if let Some(state) = self.keys.get_mut(&key) {
            state.remembered = state.remembered.saturating_sub(1);
        }
    }

    /// Drops expired proofs and the states of keys with nothing left to say.
    fn sweep(&mut self, now: u64) {
        let Self { seen, keys, .. } = self;
        seen.retain(|_, seen| {
            let live = seen.expires > now;
            if !live && let Some(state) = keys.get_mut(&seen.key) {
                state.remembered = state.remembered.saturating_sub(1);
            }
            live
        });
        keys.retain(|_, state| state.remembered > 0 || state.watermark_until > now);
    }

    /// Forgets every proof of the earliest `iat` remembered (of `key`'s proofs, or of all) and
    /// raises the watermark of each key they belonged to until `until`; returns how many.
    fn forget_oldest(&mut self, key: Option<u64>, until: u64) -> u64 {
        let mine = |seen: &Seen| key.is_none_or(|key| seen.key == key);
        let Some(oldest) =
            self.seen.values().filter(|seen| mine(seen)).map(|seen| seen.issued_at).min()
        else {
            return 0;
        };
        let Self { seen, keys, .. } = self;
        let before = seen.len();
        seen.retain(|_, seen| {
            let forget = mine(seen) && seen.issued_at == oldest;
            if forget {
                let state = keys.entry(seen.key).or_default();
                state.remembered = state.remembered.saturating_sub(1);
                state.watermark = Some(state.watermark.map_or(oldest, |old| old.max(oldest)));
                state.watermark_until = state.watermark_until.max(until);
            }
            !forget
        });
        (before - seen.len()) as u64
    }

    /// Keeps at most `bound` key states: past it, drops stale ones, then folds the watermarks
    /// of keys with no proof remembered into the shard's own.
    fn bound_watermarks(&mut self, bound: usize, now: u64) {
        if self.keys.len() <= bound {
            return;
        }
        self.keys.retain(|_, state| state.remembered > 0 || state.watermark_until > now);
        let mut excess = self.keys.len().saturating_sub(bound);
        let Self { keys, watermark, watermark_until, .. } = self;
        keys.retain(|_, state| {
            if excess == 0 || state.remembered > 0 {
                return true;
            }
            excess -= 1;
            if let Some(folded) = state.watermark {
                *watermark = Some(watermark.map_or(folded, |old| old.max(folded)));
                *watermark_until = (*watermark_until).max(state.watermark_until);
            }
            false
        });
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
        let outcome = self.remember(proof, issued_at, millis(ttl), now);
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
#[path = "memory_replay_tests.rs"]
mod tests;
