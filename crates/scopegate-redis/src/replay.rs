//! [`RedisReplayStore`]: DPoP proofs remembered in Redis, so that a proof accepted by one
//! replica is refused by every other.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use scopegate_core::dpop::{InMemoryReplayStore, ProofId, ReplayFuture, ReplayStore};
use scopegate_core::{Error, ErrorKind};

use crate::connection::Redis;

/// What the replay store does when Redis does not answer in time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplayFailurePolicy {
    /// Refuse the request (`503`): a proof is never accepted unchecked. The default.
    #[default]
    FailClosed,
    /// Check against this replica's own memory instead: requests keep working while Redis is
    /// down, but a proof replayed to *another* replica during the outage passes there. Choose
    /// this only if availability matters more than that window.
    DegradeToLocal,
}

/// What the replay store has done, for dashboards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayStats {
    /// Proofs seen for the first time (accepted).
    pub accepted: u64,
    /// Proofs refused as replays.
    pub replays: u64,
    /// Checks Redis did not answer (timed out, unreachable, refused).
    pub failures: u64,
    /// Of those, checks made against local memory instead ([`ReplayFailurePolicy::DegradeToLocal`]).
    pub degraded: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    replays: AtomicU64,
    failures: AtomicU64,
    degraded: AtomicU64,
}

/// A DPoP replay store in Redis: one `SET <namespace>:dpop:<hash> 1 NX PX <ttl>` per proof,
/// atomic across replicas, expiring when no replica could accept the proof anymore (the
/// verifier's [`replay_ttl`](scopegate_core::dpop::Dpop::replay_ttl): the proof's maximum
/// age, future skew and the replicas' clock skew, the same on every replica). Key names carry
/// the SHA-256 of the key thumbprint and `jti`, never either in clear. Cheap to clone; clones
/// share counters.
///
/// Redis must not evict these keys early: give it `maxmemory-policy noeviction` (or enough
/// memory); an evicted key is a proof that can be replayed.
///
/// ```no_run
/// use scopegate_core::dpop::{Dpop, DpopMode};
/// use scopegate_redis::{Redis, RedisOptions, RedisReplayStore};
///
/// # async fn run() -> Result<(), scopegate_core::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379", RedisOptions::new("orders-api")).await?;
/// let replay = RedisReplayStore::new(redis);
/// let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com")?.replay_store(replay.clone());
/// // ... later, for a dashboard:
/// println!("{:?}", replay.stats());
/// # let _ = dpop;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisReplayStore {
    redis: Redis,
    policy: ReplayFailurePolicy,
    local: Arc<InMemoryReplayStore>,
    counters: Arc<Counters>,
}

impl RedisReplayStore {
    /// A replay store on `redis` that fails closed.
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            policy: ReplayFailurePolicy::FailClosed,
            local: Arc::new(InMemoryReplayStore::default()),
            counters: Arc::default(),
        }
    }

    /// What to do when Redis does not answer. Defaults to [`ReplayFailurePolicy::FailClosed`].
    #[must_use]
    pub fn on_failure(mut self, policy: ReplayFailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The counters.
    pub fn stats(&self) -> ReplayStats {
        let counters = &self.counters;
        ReplayStats {
            accepted: counters.accepted.load(Ordering::Relaxed),
            replays: counters.replays.load(Ordering::Relaxed),
            failures: counters.failures.load(Ordering::Relaxed),
            degraded: counters.degraded.load(Ordering::Relaxed),
        }
    }

    async fn check(&self, proof: ProofId, issued_at: u64, ttl: Duration) -> Result<bool, Error> {
        let key = self.redis.key("dpop", proof.as_bytes());
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut command = redis::cmd("SET");
        command.arg(&key).arg(1).arg("NX").arg("PX").arg(millis);
        match self.redis.run::<Option<String>>(&command).await {
            Ok(Some(_)) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            Ok(None) => {
                self.counters.replays.fetch_add(1, Ordering::Relaxed);
                Ok(false)
            }
            Err(reason) => {
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(reason, policy = ?self.policy, "the Redis DPoP replay store failed");
                match self.policy {
                    ReplayFailurePolicy::FailClosed => Err(Error::new(
                        ErrorKind::ReplayStoreUnavailable,
                        "the shared DPoP replay store cannot be reached",
                    )),
                    ReplayFailurePolicy::DegradeToLocal => {
                        self.counters.degraded.fetch_add(1, Ordering::Relaxed);
                        self.local.check_and_remember(proof, issued_at, ttl).await
                    }
                }
            }
        }
    }
}

impl ReplayStore for RedisReplayStore {
    fn check_and_remember(
        &self,
        proof: ProofId,
        issued_at: u64,
        ttl: Duration,
    ) -> ReplayFuture<'_> {
        Box::pin(self.check(proof, issued_at, ttl))
    }
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("redis", &self.redis)
            .field("policy", &self.policy)
            .field("stats", &self.stats())
            .finish()
    }
}
