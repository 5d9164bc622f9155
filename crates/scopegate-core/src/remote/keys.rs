//! One issuer's remote key set: fetched, cached, refreshed in the background, refetched on
//! unknown `kid`s at most once per cool-down, single-flight, kept on failure.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use http::{StatusCode, Uri};

use super::KeySourceStats;
use super::client::{Document, HttpClient, fetch};
use super::metadata::IssuerMetadata;
use super::settings::RemoteSettings;
use super::tasks::Tasks;
use crate::algorithm::AlgorithmSet;
use crate::clock::Clock;
use crate::error::{Error, ErrorKind};
use crate::key::store::KeyStore;
use crate::key::{Epoch, KeySet, MAX_JWKS_BYTES};
use crate::telemetry;

/// Why a refresh runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// At build time, or the first time keys are needed.
    Initial,
    /// The background schedule: the key set's lifetime is over.
    Scheduled,
    /// A request needs keys the cached set does not have.
    Demand,
}

struct KeyState {
    store: Option<Arc<KeyStore>>,
    generation: u64,
    ttl: Option<Duration>,
    next_refresh: Instant,
    last_refreshed: Option<SystemTime>,
    last_error: Option<String>,
}

#[derive(Default)]
struct Counters {
    fetches: AtomicU64,
    failures: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    unknown_kids: AtomicU64,
}

pub(crate) struct RemoteKeys {
    issuer: Box<str>,
    /// Where the JWKS is, when configured; otherwise discovery says.
    jwks_uri: Option<Uri>,
    metadata: Arc<IssuerMetadata>,
    settings: RemoteSettings,
    client: Arc<dyn HttpClient>,
    algorithms: AlgorithmSet,
    state: RwLock<KeyState>,
    fetch_lock: tokio::sync::Mutex<()>,
    clock: Arc<dyn Clock>,
    /// The clock's milliseconds at the last fetch a request asked for (an unknown `kid`, or no
    /// keys yet); `u64::MAX` before the first. Scheduled refreshes do not count.
    last_attempt: AtomicU64,
    /// Whether a fetch is under way: requests that miss a key wait for it instead of failing.
    in_flight: AtomicBool,
    /// Moves on whenever a refresh drops a key, which invalidates cached tokens it verified.
    epoch: Arc<AtomicU64>,
    counters: Counters,
    tasks: Tasks,
    /// A tenant's key set (or one its pattern's tenants share).
    tenant: bool,
}

impl RemoteKeys {
    pub(crate) fn new(
        issuer: &str,
        jwks_uri: Option<Uri>,
        metadata: Arc<IssuerMetadata>,
        settings: RemoteSettings,
        client: Arc<dyn HttpClient>,
        algorithms: AlgorithmSet,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let now = Instant::now();
        let tasks = Tasks::new(settings.timeout);
        Self {
            issuer: issuer.into(),
            jwks_uri,
            metadata,
            settings,
            client,
            algorithms,
            state: RwLock::new(KeyState {
                store: None,
                generation: 0,
                ttl: None,
                next_refresh: now,
                last_refreshed: None,
                last_error: None,
            }),
            fetch_lock: tokio::sync::Mutex::new(()),
            clock,
            last_attempt: AtomicU64::new(u64::MAX),
            in_flight: AtomicBool::new(false),
            epoch: Arc::new(AtomicU64::new(0)),
            counters: Counters::default(),
            tasks,
            tenant: false,
        }
    }

    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `issuer` label of its metrics: the issuer when it is a configured one; `tenant` for
    /// a tenant's (tenants are unbounded, labels must not be).
    fn metrics_label(&self) -> &str {
        if self.tenant { "tenant" } else { &self.issuer }
    }

    /// Marks the key set as a tenant's: its metrics do not name its issuer.
    pub(crate) fn of_tenant(mut self) -> Self {
        self.tenant = true;
        self
    }

    pub(crate) fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    /// When the background refresher should fetch next.
    pub(crate) fn next_refresh(&self) -> Instant {
        self.state.read().unwrap_or_else(PoisonError::into_inner).next_refresh
    }

    pub(crate) fn is_lazy(&self) -> bool {
        self.settings.lazy
    }

    /// The cached keys (if any) and their generation, which changes with every successful fetch.
    pub(crate) fn snapshot(&self) -> (Option<Arc<KeyStore>>, u64) {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        (state.store.clone(), state.generation)
    }

    /// Whether there are no keys, the last fetch failed, and none is under way: a new tenant
    /// whose discovery found nothing, whether or not a request was waiting for it.
    pub(crate) fn failed_without_keys(&self) -> bool {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.store.is_none()
            && state.last_error.is_some()
            && !self.in_flight.load(Ordering::Acquire)
    }

    /// Whether a demand refetch may start now: no request caused one in the last cool-down.
    pub(crate) fn refetch_allowed(&self) -> bool {
        match self.last_attempt.load(Ordering::Acquire) {
            u64::MAX => true,
            at => self.clock.now_millis().saturating_sub(at) >= duration_ms(self.settings.cooldown),
        }
    }

    /// Whether a request that missed a key in the generation it saw should wait for keys:
    /// a refetch may start, one is under way, or one has finished since.
    pub(crate) fn worth_waiting(&self, observed: u64) -> bool {
        self.refetch_allowed()
            || self.in_flight.load(Ordering::Acquire)
            || self.snapshot().1 != observed
    }

    /// The key epoch now: cached tokens verified under an older one are not served.
    pub(crate) fn epoch(&self) -> Epoch {
        Epoch::of(&self.epoch)
    }

    pub(crate) fn count_hit(&self) {
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_miss(&self) {
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_unknown_kid(&self) {
        self.counters.unknown_kids.fetch_add(1, Ordering::Relaxed);
    }

    /// Fetches the key set unless another task did since `observed`; one fetch at a time.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::KeySourceUnavailable`] when the fetch failed or is cooling down after a
    /// failure; the cached keys stay.
    pub(crate) async fn refresh(&self, observed: u64, cause: Cause) -> Result<(), Error> {
        let _flight = self.fetch_lock.lock().await;
        if self.snapshot().1 != observed {
            return Ok(());
        }
        if cause == Cause::Demand && !self.refetch_allowed() {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            let reason =
                state.last_error.clone().unwrap_or_else(|| "a refetch ran moments ago".to_owned());
            return Err(unavailable(&self.issuer, &reason));
        }
        if cause == Cause::Demand {
            self.last_attempt.store(self.clock.now_millis(), Ordering::Release);
        }
        self.counters.fetches.fetch_add(1, Ordering::Relaxed);
        self.in_flight.store(true, Ordering::Release);
        let outcome = self.fetch_keys().await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        self.in_flight.store(false, Ordering::Release);
        match outcome {
            Ok((store, ttl)) => {
                telemetry::key_fetch(self.metrics_label(), true);
                log_rotation(&self.issuer, state.store.as_deref(), &store, cause);
                if state.store.as_ref().is_some_and(|old| old.loses_keys_in(&store)) {
                    self.epoch.fetch_add(1, Ordering::AcqRel);
                }
                state.store = Some(Arc::new(store));
                state.generation += 1;
                state.ttl = Some(ttl);
                state.next_refresh = Instant::now() + ttl;
                state.last_refreshed = Some(SystemTime::now());
                state.last_error = None;
                Ok(())
            }
            Err(error) => {
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
                telemetry::key_fetch(self.metrics_label(), false);
                state.next_refresh = Instant::now() + self.settings.cooldown;
                state.last_error = Some(error.to_string());
                let kept = state.store.as_ref().map_or(0, |store| store.len());
                tracing::warn!(issuer = %self.issuer, reason = %error, kept_keys = kept, ?cause, "key set refresh failed");
                Err(error)
            }
        }
    }

    async fn fetch_keys(&self) -> Result<(KeyStore, Duration), Error> {
        let settings = &self.settings;
        let uri = self.jwks_location().await?;
        let response = match fetch(
            &*self.client,
            &uri,
            Document::Jwks,
            MAX_JWKS_BYTES,
            settings.timeout,
        )
        .await
        {
            Ok(response) => response,
            Err(failure) => {
                if self.jwks_uri.is_none() && failure.status == Some(StatusCode::NOT_FOUND) {
                    // The JWKS moved: discover it again next time.
                    self.metadata.forget();
                }
                return Err(failure.error);
            }
        };
        let keys = KeySet::from_jwks_bytes(&response.body).map_err(|error| {
            Error::new(ErrorKind::KeySourceUnavailable, format!("the JWKS at {uri} is unusable"))
                .with_source(error)
        })?;
        let store = KeyStore::new(keys.keys(), self.algorithms);
        if store.len() == 0 {
            let message = format!("the JWKS at {uri} has no key for an allowed algorithm");
            return Err(Error::new(ErrorKind::KeySourceUnavailable, message));
        }
        Ok((store, settings.ttl(super::cache_control::max_age(&response.headers))))
    }

    async fn jwks_location(&self) -> Result<Uri, Error> {
        if let Some(uri) = &self.jwks_uri {
            return Ok(uri.clone());
        }
        self.metadata.get().await?.jwks_uri.clone().ok_or_else(|| {
            let message = format!("the discovery document of {} has no `jwks_uri`", self.issuer);
            Error::new(ErrorKind::KeySourceUnavailable, message)
        })
    }

    pub(crate) fn stats(&self) -> KeySourceStats {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let counters = &self.counters;
        KeySourceStats {
            issuer: self.issuer.to_string(),
            jwks_uri: self
                .jwks_uri
                .clone()
                .or_else(|| self.metadata.cached().and_then(|document| document.jwks_uri.clone()))
                .map(|uri| uri.to_string()),
            keys: state.store.as_ref().map_or(0, |store| store.len()),
            key_ids: state.store.as_ref().map_or_else(Vec::new, |store| store.key_ids()),
            fetches: counters.fetches.load(Ordering::Relaxed),
            fetch_failures: counters.failures.load(Ordering::Relaxed),
            cache_hits: counters.hits.load(Ordering::Relaxed),
            cache_misses: counters.misses.load(Ordering::Relaxed),
            unknown_kids: counters.unknown_kids.load(Ordering::Relaxed),
            ttl: state.ttl,
            last_refreshed: state.last_refreshed,
            last_error: state.last_error.clone(),
        }
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX - 1)
}

fn unavailable(issuer: &str, reason: &str) -> Error {
    let message = format!("the keys of {issuer} are unavailable: {reason}");
    Error::new(ErrorKind::KeySourceUnavailable, message)
}

fn log_rotation(issuer: &str, old: Option<&KeyStore>, new: &KeyStore, cause: Cause) {
    let old_ids = old.map(KeyStore::key_ids).unwrap_or_default();
    let new_ids = new.key_ids();
    let added: Vec<_> = new_ids.iter().filter(|id| !old_ids.contains(id)).collect();
    let removed: Vec<_> = old_ids.iter().filter(|id| !new_ids.contains(id)).collect();
    if old.is_none() || !added.is_empty() || !removed.is_empty() {
        tracing::info!(%issuer, keys = new.len(), ?added, ?removed, ?cause, "key set loaded");
    } else {
        tracing::debug!(%issuer, keys = new.len(), ?cause, "key set refreshed, unchanged");
    }
}
