//! [`RedisAnswerCache`]: introspection answers shared by replicas, so that N replicas make one
//! call to the authorization server per token.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use scopegate_core::remote::{MAX_INTROSPECTION_BYTES, SharedAnswerCache, SharedCacheFuture};
use scopegate_core::seal::SEAL_BYTES;

/// The largest value read or written: an answer and its seal.
const MAX_VALUE_BYTES: usize = MAX_INTROSPECTION_BYTES + SEAL_BYTES;

use crate::connection::Redis;

/// What the answer cache has done, for dashboards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnswerCacheStats {
    /// Answers found.
    pub hits: u64,
    /// Lookups that found nothing.
    pub misses: u64,
    /// Answers stored.
    pub writes: u64,
    /// Commands Redis did not answer, and values too large to use: each a miss or a dropped
    /// write, never an error for the request (the authorization server is asked instead).
    /// Values whose seal does not open are counted by the verifier
    /// ([`IntrospectionStats::shared_rejected`](scopegate_core::verifier::IntrospectionStats)).
    pub failures: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    writes: AtomicU64,
    failures: AtomicU64,
}

/// Introspection answers in Redis under `<namespace>:introspection:<hex key>`, the key a
/// SHA-256 of the token, the issuer, the introspection endpoint and the client id; each value
/// sealed by the verifier (an HMAC tag it checks on the way back) and expiring as the
/// in-process cache's entry does; values at most [`MAX_INTROSPECTION_BYTES`] plus the seal.
/// Give it to
/// [`Introspection::shared_cache`](scopegate_core::remote::Introspection::shared_cache) with
/// the sealing secret the replicas share. When Redis fails, lookups are misses and the
/// authorization server is asked (the in-process cache and single-flight still protect it).
/// Cheap to clone; clones share counters.
///
/// ```no_run
/// use scopegate_core::SealingKey;
/// use scopegate_core::remote::Introspection;
/// use scopegate_redis::{Redis, RedisAnswerCache, RedisOptions};
///
/// # async fn run(shared_secret: Vec<u8>) -> Result<(), scopegate_core::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379", RedisOptions::new("orders-api")).await?;
/// let introspection = Introspection::new("orders-api", "secret")
///     .shared_cache(RedisAnswerCache::new(redis), SealingKey::new(shared_secret)?);
/// # let _ = introspection;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisAnswerCache {
    redis: Redis,
    counters: Arc<Counters>,
}

impl RedisAnswerCache {
    /// An answer cache on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis, counters: Arc::default() }
    }

    /// The counters.
    pub fn stats(&self) -> AnswerCacheStats {
        let counters = &self.counters;
        AnswerCacheStats {
            hits: counters.hits.load(Ordering::Relaxed),
            misses: counters.misses.load(Ordering::Relaxed),
            writes: counters.writes.load(Ordering::Relaxed),
            failures: counters.failures.load(Ordering::Relaxed),
        }
    }

    fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    async fn lookup(&self, key: [u8; 32]) -> Option<Vec<u8>> {
        let mut command = redis::cmd("GET");
        command.arg(self.redis.key("introspection", &key));
        match self.redis.run::<Option<Vec<u8>>>(&command).await {
            Ok(Some(answer)) if answer.len() <= MAX_VALUE_BYTES => {
                self.count(&self.counters.hits);
                Some(answer)
            }
            Ok(Some(_)) => {
                self.count(&self.counters.failures);
                None
            }
            Ok(None) => {
                self.count(&self.counters.misses);
                None
            }
            Err(reason) => {
                self.count(&self.counters.failures);
                tracing::warn!(
                    reason,
                    "the Redis introspection cache failed; asking the authorization server"
                );
                None
            }
        }
    }

    async fn store(&self, key: [u8; 32], answer: Vec<u8>, ttl: Duration) {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        if answer.len() > MAX_VALUE_BYTES || millis == 0 {
            return;
        }
        let mut command = redis::cmd("SET");
        command.arg(self.redis.key("introspection", &key)).arg(answer).arg("PX").arg(millis);
        match self.redis.run::<()>(&command).await {
            Ok(()) => self.count(&self.counters.writes),
            Err(reason) => {
                self.count(&self.counters.failures);
                tracing::warn!(reason, "the Redis introspection cache could not store an answer");
            }
        }
    }
}

impl SharedAnswerCache for RedisAnswerCache {
    fn get(&self, key: [u8; 32]) -> SharedCacheFuture<'_, Option<Vec<u8>>> {
        Box::pin(self.lookup(key))
    }

    fn put(&self, key: [u8; 32], answer: Vec<u8>, ttl: Duration) -> SharedCacheFuture<'_, ()> {
        Box::pin(self.store(key, answer, ttl))
    }
}

impl fmt::Debug for RedisAnswerCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAnswerCache")
            .field("redis", &self.redis)
            .field("stats", &self.stats())
            .finish()
    }
}
