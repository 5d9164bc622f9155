//! Shared state for the replicas of an API protected by scopegate, on Redis (or Valkey).
//!
//! Three pieces of scopegate's state are per process unless you share them, and with several
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
//! - **Revocations**: a token revoked on one replica (a back-channel logout, a security event,
//!   [`Verifier::revoke`](scopegate_core::Verifier::revoke)) must be refused by all, and by
//!   a replica started later. [`RedisRevocations`] keeps them in a sorted set and announces
//!   each on a channel every replica follows.
//!
//! The fourth, **DPoP nonces**, needs no store: [`Nonces`](scopegate_core::dpop::Nonces) are
//! sealed with a secret, so give every replica the same configured secret and a nonce issued
//! by one verifies on all.
//!
//! Key names are `<namespace>:dpop:<hex SHA-256>`, `<namespace>:introspection:<hex SHA-256>`,
//! `<namespace>:event:<hex SHA-256>` and `<namespace>:revocations`: no token, `jti` or
//! thumbprint appears in clear. The namespace is required
//! (one per API). Commands time out after 50 ms by default ([`RedisOptions`]); the connection
//! reconnects on its own.
//!
//! ```no_run
//! use scopegate_core::dpop::{Dpop, DpopMode, Nonces};
//! use scopegate_core::remote::Introspection;
//! use scopegate_core::{SealingKey, Verifier};
//! use scopegate_redis::{Redis, RedisAnswerCache, RedisOptions, RedisReplayStore};
//!
//! # async fn run(shared_secret: Vec<u8>) -> Result<(), scopegate_core::Error> {
//! // The same secret on every replica (from your secret store): it seals nonces and answers.
//! let redis = Redis::connect("rediss://redis.internal:6380", RedisOptions::new("orders-api")).await?;
//! let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com")?
//!     .replay_store(RedisReplayStore::new(redis.clone()))
//!     .nonces(Nonces::new(shared_secret.clone())?);
//! let answers = RedisAnswerCache::new(redis);
//! let verifier = Verifier::builder()
//!     .issuer("https://id.example.com")
//!     .audience("orders-api")
//!     .introspection(Introspection::new("orders-api", "secret").shared_cache(answers, SealingKey::new(shared_secret)?))
//!     .dpop(dpop)
//!     .build()
//!     .await?;
//! # let _ = verifier;
//! # Ok(())
//! # }
//! ```
//!
//! # Transport
//!
//! `rediss://` (feature `tls`: rustls with the webpki roots, never OpenSSL) is the way to reach
//! Redis over any network. Plaintext `redis://` is accepted only to loopback (and Unix
//! sockets); anything else is refused at [`Redis::connect`] unless
//! [`RedisOptions::allow_insecure_transport`] says so by name, as
//! `allow_insecure_http` does for identity providers.
//!
//! # Threat model: what Redis is trusted with
//!
//! Nothing read from Redis is believed because it is there:
//!
//! - **Introspection answers** are sealed by the verifier (HMAC-SHA-256 under the
//!   [`SealingKey`](scopegate_core::SealingKey) the replicas share, over the key, the time the
//!   answer is good until, and the answer) and keyed by the token together with the issuer,
//!   the introspection endpoint and the client id. Someone who can write to Redis cannot make
//!   a token active, add a scope, move one token's answer to another, bring an answer back
//!   after its time, or serve one API's answers to another: such values fail their seal, are
//!   treated as absent (counted in `IntrospectionStats::shared_rejected`, logged at most once
//!   a minute) and the authorization server is asked instead. They *can* delete answers (more
//!   calls to the authorization server) and fill Redis.
//! - **DPoP replay** rests on Redis answering `SET NX` truthfully. Someone who controls Redis
//!   (or, with plaintext, the network path to it) can answer "new" to every proof, which turns
//!   replay protection across replicas off (each proof is still checked for its signature,
//!   token, method, URI and time), or answer "seen" to every proof (a denial of service).
//!   Protect Redis as you protect the authorization server: TLS, credentials (ACLs that let
//!   this API's user touch only its namespace), no access from other tenants.
//! - **Revocations** are sealed by the verifier that took them, as answers are. Someone who
//!   can write to Redis cannot revoke a token or stretch a revocation past its time (values
//!   that do not open are dropped and counted in `RevocationStats::shared_rejected`); they
//!   *can* delete revocations, or withhold announcements, so that a replica started later, or
//!   one they cut off, does not learn of them. Values name the subject, session, `jti` or
//!   client they revoke (as introspection answers name their subject).
//! - **DPoP nonces** are not stored: they are sealed with the nonce secret, and any replica
//!   verifies any replica's nonce.
//!
//! Key names carry hashes only; values carry no token. The secrets never reach Redis.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answers;
mod connection;
mod replay;
mod revocations;

pub use answers::{AnswerCacheStats, RedisAnswerCache};
pub use connection::{
    DEFAULT_COMMAND_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, MAX_NAMESPACE_BYTES, Redis, RedisOptions,
};
pub use replay::{RedisReplayStore, ReplayFailurePolicy, ReplayStats};
pub use revocations::{DEFAULT_RESYNC_INTERVAL, RedisRevocations};
