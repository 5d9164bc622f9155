//! Opaque tokens: introspected at their issuer, the answers cached by the token's SHA-256,
//! one call for any number of requests with the same new token (the [single-flight
//! primitive](crate::flight), admission before any task is spawned), and answers shared with
//! other replicas only sealed (`super::shared_answers`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use quick_cache::sync::Cache;

use super::introspected_claims::claims_from;
use super::issuer::IssuerEntry;
use super::rules::Rules;
use super::shared_answers::SharedAnswers;
use super::signed_answer::SignedAnswerCheck;
use crate::claims::Claims;
use crate::crypto::sha256;
use crate::error::{Error, ErrorKind};
use crate::flight::{Failed, FlightStats, Flights, Refused};
use crate::remote::introspection::{Answer, Introspector, Reply};
use crate::telemetry::{self, IntrospectionEvent};

type TokenHash = [u8; 32];
/// What waiters of one call learn: the answer, or why there is none.
type Outcome = Result<Arc<Answer>, Arc<str>>;

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
    /// Values in the shared cache that were not sealed by a replica of this API (forged,
    /// moved from another key, or sealed with another secret): ignored, and the
    /// authorization server asked instead.
    pub shared_rejected: u64,
    /// New tokens refused at once (`503`) because as many calls as allowed were under way.
    pub saturated: u64,
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
    flights: Flights<TokenHash, Outcome>,
    shared: Option<Arc<SharedAnswers>>,
    /// For signed answers (RFC 9701): what they must be.
    signed: Option<Arc<SignedAnswerCheck>>,
    counters: Arc<Counters>,
}

impl IntrospectionState {
    pub(crate) fn new(
        introspector: Introspector,
        signed: Option<SignedAnswerCheck>,
        timeout: Duration,
    ) -> Self {
        let config = &introspector.config;
        let entries = config.cache_entries;
        let shared = config
            .shared
            .as_ref()
            .map(|shared| Arc::new(SharedAnswers::new(shared, &introspector, timeout)));
        // A call may first ask the shared cache (bounded on its own), then the endpoint.
        // (Writing the answer back happens after the waiters have it, outside the call.)
        let bound =
            timeout.saturating_add(shared.as_ref().map_or(Duration::ZERO, |shared| shared.bound()));
        Self {
            granted: Cache::new(entries),
            refused: Cache::new(entries),
            flights: Flights::new(config.max_concurrent, bound),
            introspector: Arc::new(introspector),
            shared,
            signed: signed.map(Arc::new),
            counters: Arc::default(),
        }
    }

    /// Whether JWTs of this issuer are introspected too.
    pub(crate) fn every_token(&self) -> bool {
        self.introspector.config.every_token
    }

    /// The cached outcome for the token whose SHA-256 is `hash`, at `now`, if any.
    pub(crate) fn cached(&self, hash: &TokenHash, now: u64) -> Option<Result<Claims, Error>> {
        let hit = match self.refused.get(hash).or_else(|| self.granted.get(hash))? {
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

    /// Starts (or joins) the call for `token` (whose SHA-256 is `hash`) at `now`; the future
    /// yields its answer. A new token finds no room when as many calls as allowed are under
    /// way: it is refused at once (`503`), nothing spawned.
    pub(crate) fn introspect(
        &self,
        token: &str,
        hash: TokenHash,
        now: u64,
    ) -> impl Future<Output = Result<Arc<Answer>, Error>> + Send + 'static {
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        let started = self.flights.join_or_start(&hash, || {
            let (introspector, counters) =
                (Arc::clone(&self.introspector), Arc::clone(&self.counters));
            let (shared, signed) = (self.shared.clone(), self.signed.clone());
            let token = zeroize::Zeroizing::new(token.to_owned());
            async move { call(introspector, &counters, shared, signed, &token, now).await }
        });
        let issuer = self.introspector.issuer().to_owned();
        async move {
            let unavailable =
                |message: String| Error::new(ErrorKind::IntrospectionUnavailable, message);
            let flight = match started {
                Ok(flight) => flight,
                Err(Refused::Saturated) => {
                    telemetry::introspection(IntrospectionEvent::Saturated);
                    return Err(unavailable(
                        "too many introspection calls are under way".to_owned(),
                    ));
                }
                Err(Refused::NoRuntime) => {
                    return Err(unavailable(format!(
                        "no runtime to introspect tokens of {issuer} on"
                    )));
                }
            };
            match flight.outcome().await {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(message)) => Err(unavailable(message.to_string())),
                Err(Failed::TimedOut) => Err(unavailable(format!(
                    "the introspection endpoint of {issuer} did not answer in time"
                ))),
                Err(Failed::Stopped) => Err(unavailable(format!(
                    "the introspection of a token of {issuer} was stopped"
                ))),
            }
        }
    }

    /// Turns an answer into claims (or a refusal) and caches the outcome: granted claims no
    /// longer than the JWT cache would keep them (`exp`, the maximum token age), refusals only
    /// when final (never one that time could lift, such as `nbf` in the future).
    pub(crate) fn settle(
        &self,
        hash: TokenHash,
        answer: &Answer,
        issuer: &IssuerEntry,
        rules: &Rules,
        now: u64,
    ) -> Result<Claims, Error> {
        let config = &self.introspector.config;
        let refuse = |error: Error| {
            let lifted_by_time =
                matches!(error.kind(), ErrorKind::NotYetValid | ErrorKind::IssuedInFuture);
            if !config.inactive_cache_for.is_zero() && !lifted_by_time {
                let until = now.saturating_add(config.inactive_cache_for.as_secs());
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
            // Never past `exp` (RFC 7662 section 4), the maximum age, or the configured time.
            let until = now
                .saturating_add(config.cache_for.as_secs())
                .min(rules.valid_until(&claims))
                .min(claims.expires_at().map_or(u64::MAX, |exp| exp.as_secs()));
            self.granted.insert(hash, Cached::Granted(claims.clone(), until));
        }
        Ok(claims)
    }

    pub(crate) fn stats(&self) -> IntrospectionStats {
        let counters = &self.counters;
        let FlightStats { saturated, .. } = self.flights.stats();
        IntrospectionStats {
            issuer: self.introspector.issuer().to_owned(),
            calls: counters.calls.load(Ordering::Relaxed),
            hits: counters.hits.load(Ordering::Relaxed),
            misses: counters.misses.load(Ordering::Relaxed),
            failures: counters.failures.load(Ordering::Relaxed),
            inactive: counters.inactive.load(Ordering::Relaxed),
            shared_hits: counters.shared_hits.load(Ordering::Relaxed),
            shared_rejected: self.shared.as_ref().map_or(0, |shared| shared.rejected()),
            saturated,
            cached: (self.granted.len() + self.refused.len()) as u64,
        }
    }
}

/// One call: another replica's sealed answer first, then the endpoint (a signed answer opened
/// here, so that only answers that passed are shared); the answer shared (sealed) once the
/// waiters have it.
async fn call(
    introspector: Arc<Introspector>,
    counters: &Counters,
    shared: Option<Arc<SharedAnswers>>,
    signed: Option<Arc<SignedAnswerCheck>>,
    token: &str,
    now: u64,
) -> Outcome {
    let binding = shared.as_ref().map(|shared| shared.binding(token));
    if let (Some(shared), Some(binding)) = (&shared, &binding)
        && let Some(answer) = shared.get(binding, now).await
    {
        counters.shared_hits.fetch_add(1, Ordering::Relaxed);
        telemetry::introspection(IntrospectionEvent::SharedHit);
        return Ok(Arc::new(answer));
    }
    counters.calls.fetch_add(1, Ordering::Relaxed);
    telemetry::introspection(IntrospectionEvent::Call);
    let answer = match (introspector.introspect(token).await, signed) {
        (Ok(Reply::Plain(answer)), _) => Ok(answer),
        (Ok(Reply::Signed(body)), Some(signed)) => signed.open(&body, now).await,
        (Ok(Reply::Signed(_)), None) => Err(Error::new(
            ErrorKind::IntrospectionUnavailable,
            "a signed introspection answer came without a way to check it",
        )),
        (Err(error), _) => Err(error),
    };
    match answer {
        Ok(answer) => {
            if matches!(answer, Answer::Inactive) {
                counters.inactive.fetch_add(1, Ordering::Relaxed);
                telemetry::introspection(IntrospectionEvent::Inactive);
            }
            let answer = Arc::new(answer);
            if let (Some(shared), Some(binding)) = (shared, binding) {
                // In a task of its own: the waiters need not wait for the store, and a slow
                // store cannot turn a good answer into a timeout. The write is bounded.
                let written = Arc::clone(&answer);
                tokio::spawn(async move {
                    shared.put(&binding, &written, &introspector.config, now).await;
                });
            }
            Ok(answer)
        }
        Err(error) => {
            counters.failures.fetch_add(1, Ordering::Relaxed);
            telemetry::introspection(IntrospectionEvent::Error);
            tracing::warn!(issuer = %introspector.issuer(), reason = %error, "token introspection failed");
            Err(Arc::from(error.to_string()))
        }
    }
}

/// The in-process cache key of a token.
pub(crate) fn token_hash(token: &str) -> TokenHash {
    sha256(token.as_bytes())
}
