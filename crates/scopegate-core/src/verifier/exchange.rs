//! [`Verifier::exchange`]: RFC 8693 token exchange, cached per caller token, target and scopes,
//! one call for any number of concurrent requests for the same exchange.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use quick_cache::sync::Cache;
use zeroize::Zeroizing;

use super::{Verification, Verifier};
use crate::crypto::sha256;
use crate::error::{Error, ErrorKind};
use crate::flight::{Failed, Flight, Flights, Refused};
use crate::remote::exchange::{ExchangeRequest, ExchangedToken, Exchanger};
use crate::telemetry::{self, ExchangeEvent};

type Key = [u8; 32];
/// What waiters of one exchange learn: the token, or the kind and message of the failure.
type Outcome = Result<ExchangedToken, (ErrorKind, Arc<str>)>;

/// What an issuer's token exchange has done, for dashboards.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExchangeStats {
    /// The issuer.
    pub issuer: String,
    /// Calls made to the token endpoint.
    pub calls: u64,
    /// Exchanges answered from the cache.
    pub hits: u64,
    /// Calls that failed or were refused.
    pub failures: u64,
    /// Exchanged tokens cached now.
    pub cached: u64,
    /// Requests that waited on an exchange already under way instead of making their own.
    pub joined: u64,
}

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    hits: AtomicU64,
    failures: AtomicU64,
}

/// One issuer's token exchange: the caller, its cache, its calls under way.
pub(crate) struct ExchangeState {
    exchanger: Arc<Exchanger>,
    cache: Arc<Cache<Key, ExchangedToken>>,
    flights: Flights<Key, Outcome>,
    counters: Arc<Counters>,
}

impl ExchangeState {
    pub(crate) fn new(exchanger: Exchanger, timeout: Duration) -> Self {
        let config = &exchanger.config;
        Self {
            cache: Arc::new(Cache::new(config.cache_entries)),
            flights: Flights::new(config.max_concurrent, timeout),
            exchanger: Arc::new(exchanger),
            counters: Arc::default(),
        }
    }

    pub(crate) fn stats(&self, issuer: &str) -> ExchangeStats {
        let counters = &self.counters;
        ExchangeStats {
            issuer: issuer.to_owned(),
            calls: counters.calls.load(Ordering::Relaxed),
            hits: counters.hits.load(Ordering::Relaxed),
            failures: counters.failures.load(Ordering::Relaxed),
            cached: self.cache.len() as u64,
            joined: self.flights.stats().joined,
        }
    }

    /// A cached token still good at `now` (with the renewal margin to spare).
    fn cached(&self, key: &Key, now: u64) -> Option<ExchangedToken> {
        let token = self.cache.get(key)?;
        let margin = self.exchanger.config.renew_before.as_secs();
        (token.expires_at > now.saturating_add(margin)).then_some(token)
    }

    /// Starts (or joins) the exchange for `key`; refused at once when as many exchanges as
    /// allowed are under way.
    fn join_or_start(
        &self,
        key: Key,
        subject_token: &str,
        request: &ExchangeRequest,
        subject_expires: u64,
        now: u64,
    ) -> Result<Flight<Outcome>, Refused> {
        self.flights.join_or_start(&key, || {
            let (exchanger, counters) = (Arc::clone(&self.exchanger), Arc::clone(&self.counters));
            let cache = Arc::clone(&self.cache);
            let (token, request) = (Zeroizing::new(subject_token.to_owned()), request.clone());
            async move {
                counters.calls.fetch_add(1, Ordering::Relaxed);
                telemetry::token_exchange(ExchangeEvent::Call);
                match exchanger.exchange(&token, &request).await {
                    Ok(issued) => {
                        // Never past the caller's token; its own lifetime when it says.
                        let expires_at = issued
                            .expires_in
                            .map_or(subject_expires, |lifetime| now.saturating_add(lifetime))
                            .min(subject_expires);
                        let scope = issued.scope.or_else(|| {
                            (!request.scopes.is_empty()).then(|| request.scopes.join(" "))
                        });
                        let token = ExchangedToken {
                            access_token: Arc::new(Zeroizing::new(issued.access_token)),
                            token_type: issued.token_type,
                            scope,
                            expires_at,
                        };
                        cache.insert(key, token.clone());
                        Ok(token)
                    }
                    Err(error) => {
                        counters.failures.fetch_add(1, Ordering::Relaxed);
                        telemetry::token_exchange(ExchangeEvent::Error);
                        tracing::warn!(reason = %error, "token exchange failed");
                        Err((error.kind(), Arc::from(error.message())))
                    }
                }
            }
        })
    }
}

/// The cache key: the caller's token and the whole request, hashed.
fn key(subject_token: &str, request: &ExchangeRequest) -> Key {
    let mut input = Vec::with_capacity(subject_token.len() + 128);
    for part in [
        subject_token,
        request.audience.as_deref().unwrap_or_default(),
        request.resource.as_deref().unwrap_or_default(),
    ] {
        input.extend_from_slice(part.as_bytes());
        input.push(0);
    }
    for scope in &request.scopes {
        input.extend_from_slice(scope.as_bytes());
        input.push(b' ');
    }
    sha256(&input)
}

impl Verifier {
    /// Exchanges the caller's `token` (verified first, from the cache when it was before) for
    /// a token for `request`'s downstream API, at its issuer's token endpoint (RFC 8693).
    /// See [`remote::exchange`](crate::remote::TokenExchange).
    ///
    /// # Errors
    ///
    /// The token's own verification error; [`ErrorKind::InvalidConfiguration`] when its issuer
    /// has no token exchange; [`ErrorKind::TokenExchangeRefused`] when the authorization
    /// server refuses, or the token is bound to the caller's DPoP key or TLS certificate
    /// (which this API cannot prove or present);
    /// [`ErrorKind::TokenExchangeUnavailable`] when it cannot answer.
    pub async fn exchange(
        &self,
        token: &str,
        request: &ExchangeRequest,
    ) -> Result<ExchangedToken, Error> {
        // Verified without the binding rule: a bound token is refused for what it is below,
        // not for the proof or certificate this call never has.
        let verified = match self.verify_any_now(token, None) {
            Verification::Ready(result) => result,
            Verification::Pending(pending) => pending.await,
        };
        let claims = match verified {
            Ok(claims) => claims,
            Err(error) => {
                if error.kind() == ErrorKind::TokenRevoked {
                    // The exchanged token of a revoked caller's token is dropped, not merely
                    // left unused until it expires.
                    let key = key(token, request);
                    for issuer in self.inner.issuers.values() {
                        if let Some(state) = &issuer.exchange {
                            state.cache.remove(&key);
                        }
                    }
                }
                return Err(error);
            }
        };
        if claims.confirmation().is_some() {
            return Err(Error::new(
                ErrorKind::TokenExchangeRefused,
                "a sender-constrained (DPoP- or certificate-bound) token cannot be exchanged by \
                 this API: it cannot prove the caller's key or present its certificate",
            ));
        }
        let issuer = self.inner.issuers.get(claims.issuer()).ok_or_else(|| {
            Error::config("the token's issuer is not configured on this verifier")
        })?;
        let Some(state) = &issuer.exchange else {
            return Err(Error::config(format!(
                "token exchange is not configured for the issuer {}",
                claims.issuer()
            )));
        };
        let now = self.inner.clock.now_secs();
        let key = key(token, request);
        if let Some(cached) = state.cached(&key, now) {
            state.counters.hits.fetch_add(1, Ordering::Relaxed);
            telemetry::token_exchange(ExchangeEvent::CacheHit);
            return Ok(cached);
        }
        let subject_expires = claims.expires_at().map_or(u64::MAX, |exp| exp.as_secs());
        let unavailable =
            |message: &'static str| Error::new(ErrorKind::TokenExchangeUnavailable, message);
        let flight = match state.join_or_start(key, token, request, subject_expires, now) {
            Ok(flight) => flight,
            Err(Refused::Saturated) => {
                return Err(unavailable("too many token exchanges are under way"));
            }
            Err(Refused::NoRuntime) => return Err(unavailable("no runtime to exchange tokens on")),
        };
        match flight.outcome().await {
            Ok(Ok(token)) => Ok(token),
            Ok(Err((kind, message))) => Err(Error::new(kind, message.to_string())),
            Err(Failed::TimedOut) => Err(unavailable("the token endpoint did not answer in time")),
            Err(Failed::Stopped) => Err(unavailable("the token exchange was stopped")),
        }
    }

    /// What each issuer's token exchange has done, in issuer order.
    pub fn exchange_stats(&self) -> Vec<ExchangeStats> {
        let mut stats: Vec<_> = self
            .inner
            .issuers
            .iter()
            .filter_map(|(name, issuer)| issuer.exchange.as_ref().map(|state| state.stats(name)))
            .collect();
        stats.sort_by(|a, b| a.issuer.cmp(&b.issuer));
        stats
    }
}
