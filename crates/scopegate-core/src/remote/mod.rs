//! Remote key sets (a JWKS URL, or discovery from the issuer) and token introspection
//! ([`Introspection`], RFC 7662), feature `remote`.
//!
//! An issuer configured without static keys finds its `jwks_uri` through
//! `{issuer}/.well-known/openid-configuration`, falling back to RFC 8414's
//! `/.well-known/oauth-authorization-server{path}`; the document's `issuer` must equal the
//! configured one exactly. [`TrustedIssuer::jwks_uri`](crate::TrustedIssuer::jwks_uri) skips
//! discovery. Then the key set is:
//!
//! - fetched at build time (the build fails if it cannot be had), or on first use with
//!   [`fetch_keys_lazily`](crate::VerifierBuilder::fetch_keys_lazily);
//! - cached and refreshed in the background after `Cache-Control: max-age` (clamped, by
//!   default, to 1 minute .. 24 hours), or after 10 minutes without one;
//! - refetched when a token names an unknown `kid`, at most once per cool-down (30 s by
//!   default), with one fetch for any number of requests waiting on it (single-flight);
//! - kept when a refresh fails (stale-if-error): only a verifier that never had keys answers
//!   `503`;
//! - bounded: 512 KiB and 100 keys per JWKS, 256 KiB per discovery document, 5 s per fetch.
//!   Unusable keys (`oct`, `use: enc`, RSA under 2048 bits, unknown types) are skipped with a
//!   warning.
//!
//! Plain `http` is refused except for loopback hosts, unless
//! [`allow_insecure_http`](crate::VerifierBuilder::allow_insecure_http) is set. Fetches go
//! through an [`HttpClient`]; the default ([`HttpsClient`], feature `https-client`) is hyper
//! with rustls. [`Verifier::key_source_stats`](crate::Verifier::key_source_stats) shows what
//! each key set has done, and every load and rotation is logged through `tracing`.
//!
//! ```no_run
//! use scopegate_core::Verifier;
//!
//! # async fn run() -> Result<(), scopegate_core::Error> {
//! let verifier = Verifier::builder()
//!     .issuer("https://id.example.com/realms/shop")
//!     .audience("orders-api")
//!     .build()
//!     .await?;
//! for stats in verifier.key_source_stats() {
//!     println!("{}: {} keys, {} fetches", stats.issuer, stats.keys, stats.fetches);
//! }
//! # Ok(())
//! # }
//! ```

mod cache_control;
mod client;
mod discovery;
pub(crate) mod exchange;
#[cfg(feature = "https-client")]
mod https;
pub(crate) mod introspection;
pub(crate) mod keys;
mod location;
pub(crate) mod metadata;
pub(crate) mod settings;
pub(crate) mod tasks;

pub use client::{HttpClient, HttpFuture, HttpResponse};
pub use discovery::MAX_DISCOVERY_BYTES;
pub use exchange::{
    ACCESS_TOKEN_TYPE, DEFAULT_RENEW_BEFORE, ExchangeRequest, ExchangedToken,
    MAX_EXCHANGE_RESPONSE_BYTES, TOKEN_EXCHANGE_GRANT, TokenExchange,
};
#[cfg(feature = "https-client")]
pub use https::HttpsClient;
pub use introspection::{
    ClientAuthentication, DEFAULT_INACTIVE_CACHE, DEFAULT_INTROSPECTION_CACHE,
    DEFAULT_MAX_CONCURRENT_INTROSPECTIONS, Introspection, MAX_INTROSPECTION_BYTES,
    SharedAnswerCache, SharedCacheFuture,
};
pub(crate) use location::checked_uri;
pub use settings::{
    DEFAULT_FETCH_TIMEOUT, DEFAULT_KEYS_TTL, DEFAULT_REFETCH_COOLDOWN, DEFAULT_TTL_BOUNDS,
};

use std::time::{Duration, SystemTime};

/// What one issuer's remote key set has done: for dashboards and for seeing rotation happen.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeySourceStats {
    /// The issuer.
    pub issuer: String,
    /// The JWKS URL, once known.
    pub jwks_uri: Option<String>,
    /// How many usable keys are cached.
    pub keys: usize,
    /// The IDs of the cached keys.
    pub key_ids: Vec<String>,
    /// Fetch attempts (each one discovery, if needed, plus one JWKS request).
    pub fetches: u64,
    /// Failed fetch attempts.
    pub fetch_failures: u64,
    /// Key lookups answered by the cached set.
    pub cache_hits: u64,
    /// Key lookups that found no cached key set at all.
    pub cache_misses: u64,
    /// Key lookups for a `kid` the cached set does not have (a token retried after the
    /// refetch it caused counts twice).
    pub unknown_kids: u64,
    /// The lifetime given to the current key set.
    pub ttl: Option<Duration>,
    /// When the key set was last fetched successfully.
    pub last_refreshed: Option<SystemTime>,
    /// Why the last fetch failed, if it did.
    pub last_error: Option<String>,
}
