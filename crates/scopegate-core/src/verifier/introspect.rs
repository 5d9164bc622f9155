//! Opaque tokens: introspected at their issuer, the answers cached by the token's SHA-256,
//! one call for any number of requests with the same new token, a bound on calls under way.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use quick_cache::sync::Cache;
use serde_json::Value;
use tokio::sync::{Semaphore, watch};

use super::issuer::IssuerEntry;
use super::rules::{Rules, Source};
use crate::claims::{Claims, UnverifiedPayload, VerifiedPayload};
use crate::crypto::sha256;
use crate::error::{Error, ErrorKind};
use crate::remote::introspection::{
    Answer, Introspection, Introspector, SharedAnswerCache, read_answer,
};
use crate::remote::tasks::Tasks;
use crate::telemetry::{self, IntrospectionEvent};

type TokenHash = [u8; 32];
/// What waiters of one call learn: the answer, or why there is none.
type Flight = watch::Receiver<Option<Result<Arc<Answer>, Arc<str>>>>;

/// A cached outcome: the claims, or the refusal, and until when (seconds, exclusive).
#[derive(Clone)]
enum Cached {
    Granted(Claims, u64),
    Refused(ErrorKind, Arc<str>, u64),
}

/// What an issuer's introspection has done, for dashboards.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IntrospectionStats {
    /// The issuer.
    pub issuer: String,
    /// Calls made to the endpoint.
    pub calls: u64,
    /// Requests answered from the caches.
    pub hits: u64,
    /// Requests that had to wait for a call.
    pub misses: u64,
    /// Calls that failed (unreachable, slow, refused credentials, malformed answers).
    pub failures: u64,
    /// Calls answered `active: false`.
    pub inactive: u64,
    /// Answers found in the shared cache (another replica's call), when one is configured.
    pub shared_hits: u64,
    /// Answers cached now (active and inactive).
    pub cached: u64,
}

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    failures: AtomicU64,
    inactive: AtomicU64,
    shared_hits: AtomicU64,
}

/// One issuer's introspection: the caller, its caches, its calls under way.
pub(crate) struct IntrospectionState {
    introspector: Arc<Introspector>,
    granted: Cache<TokenHash, Cached>,
    refused: Cache<TokenHash, Cached>,
    flights: Mutex<HashMap<TokenHash, Flight>>,
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
    tasks: Tasks,
    timeout: Duration,
}

impl IntrospectionState {
    pub(crate) fn new(introspector: Introspector, timeout: Duration) -> Self {
        let config = &introspector.config;
        let entries = config.cache_entries;
        let permits = Arc::new(Semaphore::new(config.max_concurrent));
        Self {
            granted: Cache::new(entries),
            refused: Cache::new(entries),
            introspector: Arc::new(introspector),
            flights: Mutex::new(HashMap::new()),
            permits,
            counters: Arc::default(),
            tasks: Tasks::default(),
            timeout,
        }
    }

    /// Whether JWTs of this issuer are introspected too.
    pub(crate) fn every_token(&self) -> bool {
        self.introspector.config.every_token
    }

    /// The cached outcome for `token` at `now`, if any.
    pub(crate) fn cached(&self, token: &str, now: u64) -> Option<Result<Claims, Error>> {
        let hash = sha256(token.as_bytes());
        let hit = match self.refused.get(&hash).or_else(|| self.granted.get(&hash))? {
            Cached::Granted(claims, until) if now < until => Ok(claims),
            Cached::Refused(kind, message, until) if now < until => {
                Err(Error::new(kind, message.to_string()))
            }
            _ => return None,
        };
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
        telemetry::introspection(IntrospectionEvent::CacheHit);
        Some(hit)
    }

    /// Starts (or joins) the call for `token` at `now`; the future yields its answer.
    pub(crate) fn introspect(
        self: &Arc<Self>,
        token: &str,
        now: u64,
    ) -> impl Future<Output = Result<Arc<Answer>, Error>> + Send + 'static {
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        let hash = sha256(token.as_bytes());
        let flight = self.join_or_start(hash, token, now);
        let issuer = self.introspector.issuer().to_owned();
        async move {
            let unavailable =
                |message: String| Error::new(ErrorKind::IntrospectionUnavailable, message);
            let Some(mut flight) = flight else {
                return Err(unavailable(format!("no runtime to introspect tokens of {issuer} on")));
            };
            let outcome = flight.wait_for(Option::is_some).await.map(|seen| seen.clone());
            match outcome {
                Ok(Some(Ok(answer))) => Ok(answer),
                Ok(Some(Err(message))) => Err(unavailable(message.to_string())),
                Ok(None) | Err(_) => Err(unavailable(format!(
                    "the introspection of a token of {issuer} was stopped"
                ))),
            }
        }
    }

    fn join_or_start(&self, hash: TokenHash, token: &str, now: u64) -> Option<Flight> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        flights.retain(|_, flight| flight.borrow().is_none() && flight.has_changed().is_ok());
        if let Some(flight) = flights.get(&hash) {
            return Some(flight.clone());
        }
        let (sender, receiver) = watch::channel(None);
        let (introspector, permits, counters, timeout) = (
            Arc::clone(&self.introspector),
            Arc::clone(&self.permits),
            Arc::clone(&self.counters),
            self.timeout,
        );
        let token = token.to_owned();
        let task = runtime.spawn(async move {
            let shared = introspector.config.shared_cache.clone();
            // Another replica's answer first: no permit needed, no call made.
            if let Some(shared) = &shared
                && let Some(answer) = shared_answer(shared.as_ref(), hash, timeout).await
            {
                counters.shared_hits.fetch_add(1, Ordering::Relaxed);
                telemetry::introspection(IntrospectionEvent::SharedHit);
                let _ = sender.send(Some(Ok(Arc::new(answer))));
                return;
            }
            let outcome = match tokio::time::timeout(timeout, permits.acquire_owned()).await {
                Ok(Ok(_permit)) => {
                    counters.calls.fetch_add(1, Ordering::Relaxed);
                    telemetry::introspection(IntrospectionEvent::Call);
                    introspector.introspect(&token).await
                }
                _ => Err(Error::new(
                    ErrorKind::IntrospectionUnavailable,
                    "too many introspection calls are under way",
                )),
            };
            let outcome = match outcome {
                Ok(answer) => {
                    if matches!(answer, Answer::Inactive) {
                        counters.inactive.fetch_add(1, Ordering::Relaxed);
                        telemetry::introspection(IntrospectionEvent::Inactive);
                    }
                    Ok(Arc::new(answer))
                }
                Err(error) => {
                    counters.failures.fetch_add(1, Ordering::Relaxed);
                    telemetry::introspection(IntrospectionEvent::Error);
                    tracing::warn!(issuer = %introspector.issuer(), reason = %error, "token introspection failed");
                    Err(Arc::from(error.to_string()))
                }
            };
            let shareable = outcome.as_ref().ok().map(Arc::clone);
            let _ = sender.send(Some(outcome));
            // Waiters have their answer; the other replicas get it next.
            if let (Some(shared), Some(answer)) = (shared, shareable) {
                let ttl = shared_ttl(&answer, &introspector.config, now);
                if !ttl.is_zero() {
                    let put = shared.put(hash, answer.to_json_bytes(), ttl);
                    let _ = tokio::time::timeout(timeout, put).await;
                }
            }
        });
        self.tasks.register(task.abort_handle());
        flights.insert(hash, receiver.clone());
        Some(receiver)
    }

    /// Turns an answer into claims (or a refusal) and caches the outcome.
    pub(crate) fn settle(
        &self,
        token: &str,
        answer: &Answer,
        issuer: &IssuerEntry,
        rules: &Rules,
        now: u64,
    ) -> Result<Claims, Error> {
        let config = &self.introspector.config;
        let hash = sha256(token.as_bytes());
        let refuse = |error: Error| {
            let until = now.saturating_add(config.inactive_cache_for.as_secs());
            if !config.inactive_cache_for.is_zero() {
                let cached = Cached::Refused(error.kind(), Arc::from(error.message()), until);
                self.refused.insert(hash, cached);
            }
            error
        };
        let members = match answer {
            Answer::Inactive => {
                return Err(refuse(Error::new(
                    ErrorKind::InactiveToken,
                    "the token is not active",
                )));
            }
            Answer::Active(members) => members.clone(),
        };
        let claims = claims_from(members, issuer, rules, now, config.allow_missing_audience)
            .map_err(refuse)?;
        if !config.cache_for.is_zero() {
            // Never past `exp` (RFC 7662 section 4), nor past the configured time.
            let until = now.saturating_add(config.cache_for.as_secs());
            let until = claims.expires_at().map_or(until, |exp| until.min(exp.as_secs()));
            self.granted.insert(hash, Cached::Granted(claims.clone(), until));
        }
        Ok(claims)
    }

    pub(crate) fn stats(&self) -> IntrospectionStats {
        let counters = &self.counters;
        IntrospectionStats {
            issuer: self.introspector.issuer().to_owned(),
            calls: counters.calls.load(Ordering::Relaxed),
            hits: counters.hits.load(Ordering::Relaxed),
            misses: counters.misses.load(Ordering::Relaxed),
            failures: counters.failures.load(Ordering::Relaxed),
            inactive: counters.inactive.load(Ordering::Relaxed),
            shared_hits: counters.shared_hits.load(Ordering::Relaxed),
            cached: (self.granted.len() + self.refused.len()) as u64,
        }
    }
}

impl Drop for IntrospectionState {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// An answer from the shared cache, if it has a readable one within `timeout`.
async fn shared_answer(
    shared: &dyn SharedAnswerCache,
    hash: TokenHash,
    timeout: Duration,
) -> Option<Answer> {
    let bytes = tokio::time::timeout(timeout, shared.get(hash)).await.ok()??;
    read_answer(&bytes).ok()
}

/// How long the shared cache keeps `answer`: as the in-process caches would (active answers
/// never past `exp`), zero when not at all.
fn shared_ttl(answer: &Answer, config: &Introspection, now: u64) -> Duration {
    match answer {
        Answer::Inactive => config.inactive_cache_for,
        Answer::Active(members) => {
            let left = members
                .get("exp")
                .and_then(Value::as_u64)
                .map_or(u64::MAX, |exp| exp.saturating_sub(now));
            config.cache_for.min(Duration::from_secs(left))
        }
    }
}

/// The claims of an active answer, under the rules a JWT of `issuer` gets where the member
/// is present.
fn claims_from(
    mut members: serde_json::Map<String, Value>,
    issuer: &IssuerEntry,
    rules: &Rules,
    now: u64,
    allow_missing_audience: bool,
) -> Result<Claims, Error> {
    let invalid = |kind, message: &'static str| Error::new(kind, message);
    match members.get("iss") {
        None => {}
        Some(Value::String(iss)) if **iss == *issuer.issuer => {}
        Some(_) => {
            return Err(invalid(
                ErrorKind::UntrustedIssuer,
                "the introspected token names another issuer",
            ));
        }
    }
    // RFC 9449 section 6.2: a DPoP-bound token is `DPoP` if typed, and carries `cnf.jkt`.
    let bound = members.get("cnf").is_some_and(|cnf| cnf.get("jkt").is_some());
    match members.remove("token_type") {
        None => {}
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("refresh_token") => {
            return Err(invalid(
                ErrorKind::InvalidTokenType,
                "a refresh token is not an access token",
            ));
        }
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("dpop") && !bound => {
            return Err(invalid(ErrorKind::InvalidClaim, "a DPoP token must carry `cnf.jkt`"));
        }
        Some(Value::String(kind)) if bound && !kind.eq_ignore_ascii_case("dpop") => {
            return Err(invalid(
                ErrorKind::InvalidTokenType,
                "a DPoP-bound token must have the `DPoP` type",
            ));
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(Error::invalid_claim("token_type", "a string")),
    }
    let payload = UnverifiedPayload::from_object(members, &issuer.issuer)?;
    let payload = VerifiedPayload::new(payload, Arc::clone(&issuer.issuer), &issuer.mapping)?;
    rules.check(payload, issuer, now, Source::Introspection { allow_missing_audience })
}
