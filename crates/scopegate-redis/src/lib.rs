//! Shared state for the replicas of an API protected by scopegate, on Redis (or Valkey).
//!
//! Two pieces of scopegate's state are per process unless you share them, and with several
//! replicas behind a load balancer that is wrong or wasteful:
//!
//! - **DPoP replay**: a proof accepted by one replica must be refused by all. A
//!   [`RedisReplayStore`] makes the check one atomic `SET key NX PX` round trip, failing
//!   closed (`503`) when Redis does not answer unless you chose
//!   [`ReplayFailurePolicy::DegradeToLocal`].
//! - **Introspection answers**: a [`RedisAnswerCache`] under each replica's in-process cache
//!   means one call to the authorization server per token, not one per replica. When Redis
//!   fails, replicas ask the authorization server themselves.
//!
//! The third, **DPoP nonces**, needs no store: [`Nonces`](scopegate_core::dpop::Nonces) are
//! sealed with a secret, so give every replica the same configured secret and a nonce issued
//! by one verifies on all.
//!
//! Key names are `<namespace>:dpop:<hex SHA-256>` and `<namespace>:introspection:<hex
//! SHA-256>`: no token, `jti` or thumbprint appears in clear. Commands time out after 50 ms
//! by default ([`RedisOptions`]); the connection reconnects on its own.
//!
//! ```no_run
//! use scopegate_core::dpop::{Dpop, DpopMode, Nonces};
//! use scopegate_core::remote::Introspection;
//! use scopegate_core::Verifier;
//! use scopegate_redis::{Redis, RedisAnswerCache, RedisOptions, RedisReplayStore};
//!
//! # async fn run(nonce_secret: Vec<u8>) -> Result<(), scopegate_core::Error> {
//! let redis = Redis::connect("redis://127.0.0.1:6379", RedisOptions::new().namespace("orders-api")).await?;
//! let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com")?
//!     .replay_store(RedisReplayStore::new(redis.clone()))
//!     .nonces(Nonces::new(nonce_secret)?); // the same secret on every replica
//! let verifier = Verifier::builder()
//!     .issuer("https://id.example.com")
//!     .audience("orders-api")
//!     .introspection(Introspection::new("orders-api", "secret").shared_cache(RedisAnswerCache::new(redis)))
//!     .dpop(dpop)
//!     .build()
//!     .await?;
//! # let _ = verifier;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod answers;
mod connection;
mod replay;

pub use answers::{AnswerCacheStats, RedisAnswerCache};
pub use connection::{
    DEFAULT_COMMAND_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_NAMESPACE, Redis, RedisOptions,
};
pub use replay::{RedisReplayStore, ReplayFailurePolicy, ReplayStats};
