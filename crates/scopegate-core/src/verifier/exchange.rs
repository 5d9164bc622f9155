//! [`Verifier::exchange`]: RFC 8693 token exchange, cached per caller token, target and scopes,
//! one call for any number of concurrent requests for the same exchange.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use quick_cache::sync::Cache;
use tokio::sync::{Semaphore, watch};
use zeroize::Zeroizing;

use super::Verifier;
use crate::crypto::sha256;
use crate::error::{Error, ErrorKind};
use crate::remote::exchange::{ExchangeRequest, ExchangedToken, Exchanger};
use crate::remote::tasks::Tasks;
use crate::telemetry::{self, ExchangeEvent};

type Key = [u8; 32];
/// What waiters of one exchange learn: the token, or the kind and message of the failure.
type Outcome = Result<ExchangedToken, (ErrorKind, Arc<str>)>;
type Flight = watch::Receiver<Option<Outcome>>;

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
    flights: Mutex<HashMap<Key, Flight>>,
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
    tasks: Tasks,
    timeout: Duration,
}

impl ExchangeState {
    pub(crate) fn new(exchanger: Exchanger, timeout: Duration) -> Self {
        let config = &exchanger.config;
        Self {
            cache: Arc::new(Cache::new(config.cache_entries)),
            permits: Arc::new(Semaphore::new(config.max_concurrent)),
            exchanger: Arc::new(exchanger),
            flights: Mutex::new(HashMap::new()),
            counters: Arc::default(),
            tasks: Tasks::default(),
            timeout,
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
        }
    }

    /// A cached token still good at `now` (with the renewal margin to spare).
    fn cached(&self, key: &Key, now: u64) -> Option<ExchangedToken> {
        let token = self.cache.get(key)?;
        let margin = self.exchanger.config.renew_before.as_secs();
        (token.expires_at > now.saturating_add(margin)).then_some(token)
    }

    /// Starts (or joins) the exchange for `key`.
    fn join_or_start(
        &self,
        key: Key,
        subject_token: &str,
        request: &ExchangeRequest,
        subject_expires: u64,
        now: u64,
    ) -> Option<Flight> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        flights.retain(|_, flight| flight.borrow().is_none() && flight.has_changed().is_ok());
        if let Some(flight) = flights.get(&key) {
            return Some(flight.clone());
        }
        let (sender, receiver) = watch::channel(None);
        let (exchanger, permits, counters, timeout) = (
            Arc::clone(&self.exchanger),
            Arc::clone(&self.permits),
            Arc::clone(&self.counters),
            self.timeout,
        );
        let cache = Arc::clone(&self.cache);
        let (token, request) = (Zeroizing::new(subject_token.to_owned()), request.clone());
        let task = runtime.spawn(async move {
            let outcome = match tokio::time::timeout(timeout, permits.acquire_owned()).await {
                Ok(Ok(_permit)) => {
                    counters.calls.fetch_add(1, Ordering::Relaxed);
                    telemetry::token_exchange(ExchangeEvent::Call);
                    exchanger.exchange(&token, &request).await
                }
                _ => Err(Error::new(
                    ErrorKind::TokenExchangeUnavailable,
                    "too many token exchanges are under way",
                )),
            };
            let outcome = match outcome {
                Ok(issued) => {
                    // Never past the caller's token; its own lifetime when it says.
                    let expires_at = issued
                        .expires_in
                        .map_or(subject_expires, |lifetime| now.saturating_add(lifetime))
                        .min(subject_expires);
                    let scope = issued
                        .scope
                        .or_else(|| (!request.scopes.is_empty()).then(|| request.scopes.join(" ")));
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
            };
            let _ = sender.send(Some(outcome));
        });
        self.tasks.register(task.abort_handle());
        flights.insert(key, receiver.clone());
        Some(receiver)
    }
}

impl Drop for ExchangeState {
    fn drop(&mut self) {
        self.tasks.abort_all();
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
    /// server refuses (or the token is DPoP-bound, which needs a proof this API cannot make);
    /// [`ErrorKind::TokenExchangeUnavailable`] when it cannot answer.
    pub async fn exchange(
        &self,
        token: &str,
        request: &ExchangeRequest,
    ) -> Result<ExchangedToken, Error> {
        let claims = self.verify(token).await?;
        if claims.confirmation().is_some() {
            return Err(Error::new(
                ErrorKind::TokenExchangeRefused,
                "a sender-constrained (DPoP) token cannot be exchanged by this API",
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
        let Some(mut flight) = state.join_or_start(key, token, request, subject_expires, now)
        else {
            return Err(Error::new(
                ErrorKind::TokenExchangeUnavailable,
                "no runtime to exchange tokens on",
            ));
        };
        match flight.wait_for(Option::is_some).await.map(|seen| seen.clone()) {
            Ok(Some(Ok(token))) => Ok(token),
            Ok(Some(Err((kind, message)))) => Err(Error::new(kind, message.to_string())),
            Ok(None) | Err(_) => Err(Error::new(
                ErrorKind::TokenExchangeUnavailable,
                "the token exchange was stopped",
            )),
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
