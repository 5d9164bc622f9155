//! What operators count: the names and labels of scopegate's metrics, recorded through the
//! [`metrics`](https://docs.rs/metrics) facade when the `metrics` feature is on.
//!
//! With the feature off every function here is an empty `#[inline]` function: the request path
//! pays nothing. With it on, the counters go to whatever recorder the application installed
//! (Prometheus, StatsD, OpenTelemetry); with no recorder installed they cost an atomic load.
//!
//! The counters of the request path have static names and label values: counting allocates
//! nothing and looks up no key by string (a rejection, rarer, builds its key).
//!
//! Labels are bounded: a class or error-kind name from a fixed list, an outcome from a fixed
//! list, and for key fetches the issuer, which is one of the verifier's configured issuers
//! (`tenant` for every tenant's, since tenants are unbounded).
//! Never a token, a subject, a `jti` or a claim value.
//!
//! | metric | labels |
//! |---|---|
//! | `scopegate_requests_admitted_total` | `scheme` (`Bearer`, `DPoP`) |
//! | `scopegate_requests_rejected_total` | `class` (`missing`, `invalid_request`, `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `insufficient_scope`, `insufficient_user_authentication`, `unavailable`, `misconfigured`), `kind` ([`ErrorKind::name`], or `none`) |
//! | `scopegate_token_cache_total` | `event` (`hit`, `miss`, `eviction`) |
//! | `scopegate_key_fetches_total` | `issuer`, `outcome` (`ok`, `error`) |
//! | `scopegate_introspections_total` | `outcome` (`cache_hit`, `call`, `shared_hit`, `inactive`, `error`, `saturated`) |
//! | `scopegate_dpop_replays_refused_total` | |
//! | `scopegate_dpop_replay_store_forgotten_total` | |
//! | `scopegate_token_exchanges_total` | `outcome` (`cache_hit`, `call`, `error`) |
//! | `scopegate_revocations_total` | `event` (`applied`, `overflow`, `refused`) |
//!
//! ```
//! use scopegate_core::{ErrorClass, ErrorKind, telemetry};
//!
//! // What the tower layer records when it answers `401 invalid_token` for an expired token:
//! telemetry::request_rejected(Some(ErrorClass::InvalidToken), Some(ErrorKind::Expired));
//! assert_eq!(ErrorKind::Expired.name(), "expired");
//! assert_eq!(telemetry::rejected_class_name(Some(ErrorClass::InvalidToken)), "invalid_token");
//! assert_eq!(telemetry::rejected_class_name(None), "missing");
//! ```

use crate::error::{ErrorClass, ErrorKind};

/// The `class` label of a rejection: its error code (RFC 6750, RFC 9449, RFC 9470; the one
/// table in [`ErrorClass::error_code`]), `missing` for no credentials (`None`), `unavailable`
/// for `503` and `misconfigured` for `500`.
pub fn rejected_class_name(class: Option<ErrorClass>) -> &'static str {
    match class {
        None => "missing",
        Some(ErrorClass::Unavailable) => "unavailable",
        Some(class) => class.error_code().unwrap_or("misconfigured"),
    }
}

/// A verified-token cache event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheEvent {
    Hit,
    Miss,
    Eviction,
}

/// An introspection event.
#[cfg(feature = "remote")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntrospectionEvent {
    CacheHit,
    Call,
    SharedHit,
    Inactive,
    Error,
    Saturated,
}

/// A token-exchange event.
#[cfg(feature = "remote")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExchangeEvent {
    CacheHit,
    Call,
    Error,
}

/// Counts a request whose token the layer verified (a route's guard may still refuse it,
/// which counts in `scopegate_requests_rejected_total` too); `dpop` for the DPoP scheme.
#[inline]
pub fn request_admitted(dpop: bool) {
    #[cfg(feature = "metrics")]
    if dpop {
        metrics::counter!("scopegate_requests_admitted_total", "scheme" => "DPoP").increment(1);
    } else {
        metrics::counter!("scopegate_requests_admitted_total", "scheme" => "Bearer").increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = dpop;
}

/// Counts a request refused, by class and (when there is one) error kind.
#[inline]
pub fn request_rejected(class: Option<ErrorClass>, kind: Option<ErrorKind>) {
    #[cfg(feature = "metrics")]
    {
        let kind = kind.map_or("none", ErrorKind::name);
        metrics::counter!("scopegate_requests_rejected_total", "class" => rejected_class_name(class), "kind" => kind)
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (class, kind);
}

#[inline]
pub(crate) fn token_cache(event: CacheEvent) {
    #[cfg(feature = "metrics")]
    {
        let counter = match event {
            CacheEvent::Hit => metrics::counter!("scopegate_token_cache_total", "event" => "hit"),
            CacheEvent::Miss => metrics::counter!("scopegate_token_cache_total", "event" => "miss"),
            CacheEvent::Eviction => {
                metrics::counter!("scopegate_token_cache_total", "event" => "eviction")
            }
        };
        counter.increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = event;
}

#[cfg(feature = "remote")]
#[inline]
pub(crate) fn key_fetch(issuer: &str, ok: bool) {
    #[cfg(feature = "metrics")]
    {
        let outcome = if ok { "ok" } else { "error" };
        metrics::counter!("scopegate_key_fetches_total", "issuer" => issuer.to_owned(), "outcome" => outcome)
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (issuer, ok);
}

#[cfg(feature = "remote")]
#[inline]
pub(crate) fn introspection(event: IntrospectionEvent) {
    #[cfg(feature = "metrics")]
    {
        const NAME: &str = "scopegate_introspections_total";
        let counter = match event {
            IntrospectionEvent::CacheHit => metrics::counter!(NAME, "outcome" => "cache_hit"),
            IntrospectionEvent::Call => metrics::counter!(NAME, "outcome" => "call"),
            IntrospectionEvent::SharedHit => metrics::counter!(NAME, "outcome" => "shared_hit"),
            IntrospectionEvent::Inactive => metrics::counter!(NAME, "outcome" => "inactive"),
            IntrospectionEvent::Error => metrics::counter!(NAME, "outcome" => "error"),
            IntrospectionEvent::Saturated => metrics::counter!(NAME, "outcome" => "saturated"),
        };
        counter.increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = event;
}

#[inline]
pub(crate) fn dpop_replay_refused() {
    #[cfg(feature = "metrics")]
    metrics::counter!("scopegate_dpop_replays_refused_total").increment(1);
}

/// Unexpired proofs an in-memory replay store forgot because a shard was full (it then
/// refuses older proofs by time).
#[inline]
pub(crate) fn dpop_replays_forgotten(count: u64) {
    #[cfg(feature = "metrics")]
    metrics::counter!("scopegate_dpop_replay_store_forgotten_total").increment(count);
    #[cfg(not(feature = "metrics"))]
    let _ = count;
}

/// What happened to a revocation, or to a token because of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RevocationEvent {
    /// A revocation was received and kept.
    Applied,
    /// The set was full: the verifier refuses by time instead.
    Overflow,
    /// A token was refused because a revocation names it.
    Refused,
}

/// `scopegate_revocations_total{event}`: revocations applied, overflows, tokens refused.
#[inline]
pub(crate) fn revocation(event: RevocationEvent) {
    #[cfg(feature = "metrics")]
    {
        const NAME: &str = "scopegate_revocations_total";
        let counter = match event {
            RevocationEvent::Applied => metrics::counter!(NAME, "event" => "applied"),
            RevocationEvent::Overflow => metrics::counter!(NAME, "event" => "overflow"),
            RevocationEvent::Refused => metrics::counter!(NAME, "event" => "refused"),
        };
        counter.increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = event;
}

#[cfg(feature = "remote")]
#[inline]
pub(crate) fn token_exchange(event: ExchangeEvent) {
    #[cfg(feature = "metrics")]
    {
        const NAME: &str = "scopegate_token_exchanges_total";
        let counter = match event {
            ExchangeEvent::CacheHit => metrics::counter!(NAME, "outcome" => "cache_hit"),
            ExchangeEvent::Call => metrics::counter!(NAME, "outcome" => "call"),
            ExchangeEvent::Error => metrics::counter!(NAME, "outcome" => "error"),
        };
        counter.increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = event;
}
