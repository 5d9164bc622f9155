//! [`RedisRevocations`]: revocations shared by the replicas of an API, kept in a sorted set
//! and announced on a channel, so that a token revoked on one replica is refused by all.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use futures_util::StreamExt as _;
use scopegate_core::remote::SharedCacheFuture;
use scopegate_core::verifier::{RevocationLink, SharedRevocation, SharedRevocations};

use crate::connection::Redis;

/// How often the kept set is read again by default (to catch an announcement lost while the
/// subscription was up but not delivering), and the subscription's connection checked.
pub const DEFAULT_RESYNC_INTERVAL: Duration = Duration::from_secs(30);
/// How many records are read per command when loading the set (about 230 KiB at most).
const PAGE: usize = 100;
/// The most records loaded: a verifier keeps at most its capacity anyway.
const MAX_LOADED: usize = 1_000_000;
/// How many records this replica took are kept, to announce or to store again.
const MAX_KEPT: usize = 10_000;
/// Records are dropped from the set this long after their time: replicas' clocks may differ.
const CLOCK_MARGIN: u64 = 3600;
/// The first wait before trying Redis again, doubled up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);

/// Revocations in Redis: each in the sorted set `<namespace>:revocations` (scored by the second
/// it expires, so that a replica starting later reads the ones still in time) and announced on
/// the channel of the same name, which every replica's verifier follows. Give it to
/// [`VerifierBuilder::shared_revocations`](scopegate_core::VerifierBuilder::shared_revocations)
/// with the sealing secret the replicas share; the verifier seals each record and refuses
/// (and counts) any that does not open, so someone who can write to Redis cannot revoke
/// anyone's tokens. The logout tokens and security events accepted are remembered under
/// `<namespace>:event:<hex SHA-256 of issuer and jti>`, so that one posted again to any
/// replica is refused.
///
/// # The guarantee
///
/// - While Redis answers, a revocation taken by one replica is applied there at once and by
///   every other replica as soon as Redis delivers the announcement: in practice within
///   milliseconds, and the tests hold it to one second.
/// - A replica that starts (or reconnects) reads every record still in time before it serves
///   (`build().await` waits for that, at most two seconds) and from then on follows the
///   announcements; the set is read again every 30 seconds
///   ([`resync_every`](Self::resync_every)) in case one was lost.
/// - When Redis is down or slow, each replica keeps the revocations it has, applies the ones
///   it takes itself, and stores and announces those once Redis answers again (at most 10,000
///   waiting). When Redis comes back empty (restarted without persistence, failed over), each
///   replica stores the revocations it took again. The failures are counted in
///   [`RevocationStats::shared_failures`](scopegate_core::RevocationStats). Until then, the
///   other replicas do not know of them: a token revoked on one replica during an outage may
///   still pass on another.
///
/// ```no_run
/// use scopegate_core::{SealingKey, Verifier};
/// use scopegate_redis::{Redis, RedisOptions, RedisRevocations};
///
/// # async fn run(shared_secret: Vec<u8>) -> Result<(), scopegate_core::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379", RedisOptions::new("orders-api")).await?;
/// let verifier = Verifier::builder()
///     .issuer("https://id.example.com")
///     .audience("orders-api")
///     .shared_revocations(RedisRevocations::new(redis), SealingKey::new(shared_secret)?)
///     .build()
///     .await?;
/// # let _ = verifier;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisRevocations {
    redis: Redis,
    resync: Duration,
}

impl RedisRevocations {
    /// Revocations shared on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis, resync: DEFAULT_RESYNC_INTERVAL }
    }

    /// Reads the kept set again every `interval` (default 30 s, at least 1 s).
    pub fn resync_every(mut self, interval: Duration) -> Self {
        self.resync = interval.max(Duration::from_secs(1));
        self
    }

    /// Follows Redis for the verifier behind `link` until it is gone, starting again after
    /// each failure.
    async fn follow(&self, mut link: RevocationLink) {
        let mut records = Records::default();
        let mut delay = RETRY_FIRST;
        loop {
            let started = tokio::time::Instant::now();
            if let Err(reason) = self.session(&mut link, &mut records).await {
                link.failed(reason);
            } else {
                return;
            }
            // A session that stayed up for a resync interval was healthy: start over quickly.
            if started.elapsed() >= self.resync {
                delay = RETRY_FIRST;
            }
            // Wait before trying again, still taking this replica's revocations.
            let wait = tokio::time::sleep(delay);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    () = &mut wait => break,
                    record = link.outgoing() => match record {
                        Some(record) => records.took(record, &link),
                        None => return,
                    },
                }
            }
            delay = (delay * 2).min(RETRY_MAX);
        }
    }

    /// One connection's life: subscribe, store this replica's records again (Redis may have
    /// lost them), read the kept set, then follow. `Ok` when the verifier is gone.
    async fn session(
        &self,
        link: &mut RevocationLink,
        records: &mut Records,
    ) -> Result<(), &'static str> {
        let channel = self.redis.name("revocations");
        let connect =
            tokio::time::timeout(self.redis.connect_timeout, self.redis.client.get_async_pubsub());
        let Ok(Ok(pubsub)) = connect.await else { return Err("unreachable") };
        let (mut sink, mut messages) = pubsub.split();
        self.redis.bounded(sink.subscribe(&channel)).await?;
        // Every record this replica took and that is still in time, stored again: after Redis
        // restarted empty or failed over, a replica started later still finds them. The same
        // bytes make the same member: storing one twice changes nothing.
        let Some(now) = link.now() else { return Ok(()) };
        records.forget_expired(now);
        for record in records.own.iter().chain(&records.unsent) {
            self.store(now, record).await?;
        }
        // Subscribed first, then read: a record announced in between is read twice, never
        // missed. A set that cannot be read now is read at the next resync; announcements are
        // followed meanwhile.
        if !self.load_or_report(link).await {
            return Ok(());
        }
        link.loaded();
        while let Some(record) = records.unsent.front() {
            self.publish(now, record).await?;
            records.unsent.pop_front();
        }
        let mut resync = tokio::time::interval(self.resync);
        resync.tick().await;
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(message) => {
                        if !link.deliver(message.get_payload_bytes()) {
                            return Ok(());
                        }
                    }
                    None => return Err("the subscription ended"),
                },
                record = link.outgoing() => match record {
                    Some(record) => {
                        let now = link.now().unwrap_or_default();
                        let published = self.publish(now, &record).await;
                        records.took(record, link);
                        published?;
                        // Published: only kept to store again after a restart.
                        records.unsent.pop_back();
                    }
                    None => return Ok(()),
                },
                _ = resync.tick() => {
                    self.redis.bounded(sink.ping::<()>()).await?;
                    if !self.load_or_report(link).await {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Reads the kept set; a failure is reported and the session goes on. `false` when the
    /// verifier is gone.
    async fn load_or_report(&self, link: &RevocationLink) -> bool {
        match self.load(link).await {
            Ok(gone) => !gone,
            Err(reason) => {
                link.failed(reason);
                link.now().is_some()
            }
        }
    }

    /// Delivers the records still in time, a page at a time, at most as many as the verifier
    /// keeps; `Ok(true)` when the verifier is gone.
    async fn load(&self, link: &RevocationLink) -> Result<bool, &'static str> {
        let key = self.redis.name("revocations");
        let Some(now) = link.now() else { return Ok(true) };
        let most = link.capacity().min(MAX_LOADED);
        for offset in (0..most).step_by(PAGE) {
            let mut command = redis::cmd("ZRANGEBYSCORE");
            command.arg(&key).arg(format!("({now}")).arg("+inf").arg("LIMIT").arg(offset).arg(PAGE);
            let page: Vec<Vec<u8>> = self.redis.run(&command).await?;
            for record in &page {
                if !link.deliver(record) {
                    return Ok(true);
                }
            }
            if page.len() < PAGE {
                break;
            }
        }
        Ok(false)
    }

    /// Stores `record` until its time, dropping the records past theirs (by an hour's margin:
    /// another replica's clock may be ahead of this one's).
    async fn store(&self, now: u64, record: &SharedRevocation) -> Result<(), &'static str> {
        let key = self.redis.name("revocations");
        let mut pipeline = redis::pipe();
        pipeline.atomic();
        let expired = now.saturating_sub(CLOCK_MARGIN);
        pipeline.cmd("ZREMRANGEBYSCORE").arg(&key).arg("-inf").arg(expired).ignore();
        pipeline.cmd("ZADD").arg(&key).arg(record.until()).arg(record.record()).ignore();
        self.redis.run_pipeline::<()>(&pipeline).await
    }

    /// Stores `record` and announces it.
    async fn publish(&self, now: u64, record: &SharedRevocation) -> Result<(), &'static str> {
        self.store(now, record).await?;
        let mut command = redis::cmd("PUBLISH");
        command.arg(self.redis.name("revocations")).arg(record.record());
        self.redis.run::<()>(&command).await
    }

    async fn remember(&self, key: [u8; 32], ttl: Duration) -> Result<bool, &'static str> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut command = redis::cmd("SET");
        command.arg(self.redis.key("event", &key)).arg(1).arg("NX").arg("PX").arg(millis);
        // `OK` when set, nil when the key was there.
        let answer: Option<String> = self.redis.run(&command).await?;
        Ok(answer.is_some())
    }
}

/// The records this replica took: those not yet stored and announced, and those that were, to
/// store again after Redis lost them. Each list holds at most [`MAX_KEPT`]; dropping one is
/// counted as a failure.
#[derive(Default)]
struct Records {
    unsent: VecDeque<SharedRevocation>,
    own: VecDeque<SharedRevocation>,
}

impl Records {
    /// Keeps `record` to announce (it moves to `own` once announced).
    fn took(&mut self, record: SharedRevocation, link: &RevocationLink) {
        if self.unsent.len() >= MAX_KEPT {
            self.unsent.pop_front();
            link.failed("too many revocations wait for Redis; the oldest is applied here only");
        }
        if self.own.len() >= MAX_KEPT {
            self.own.pop_front();
        }
        self.own.push_back(record.clone());
        self.unsent.push_back(record);
    }

    fn forget_expired(&mut self, now: u64) {
        self.own.retain(|record| now < record.until());
        self.unsent.retain(|record| now < record.until());
    }
}

impl SharedRevocations for RedisRevocations {
    fn scope(&self) -> &str {
        &self.redis.namespace
    }

    fn run(&self, link: RevocationLink) -> SharedCacheFuture<'_, ()> {
        Box::pin(self.follow(link))
    }

    fn first_time(
        &self,
        key: [u8; 32],
        ttl: Duration,
    ) -> SharedCacheFuture<'_, Result<bool, &'static str>> {
        Box::pin(self.remember(key, ttl))
    }
}

impl fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("redis", &self.redis)
            .field("resync", &self.resync)
            .finish()
    }
}
