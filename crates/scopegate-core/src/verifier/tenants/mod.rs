//! The verifier's tenants at run time: which issuer is whose, the live set, the tenants on
//! probation, the refusals remembered, and the admission of new tenants. See
//! [`crate::verifier::tenant`] for the contract.
//!
//! A new tenant starts on probation: its entry exists (so its keys can be fetched, once, for
//! every request that waits) but it is not live. The first token of it that verifies makes it
//! live; a failed fetch removes it and remembers the failure. Probation is small and bounded:
//! a flood of made-up tenants churns probation, never the live set.

mod operations;
mod resolving;

use operations::Counters;
pub use operations::TenantStats;
use resolving::Rejected;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, UnitWeighter};

use super::admission::Admission;
use super::issuer::{IssuerEntry, KeySource};
use super::tenant_defaults::OwnedDefaults;
use crate::claims::Claims;
use crate::error::{Error, ErrorKind};
use crate::flight::Flights;
use crate::remote::tasks::RemoteSource;
use crate::verifier::tenant::{ErasedResolver, IssuerPattern, TenantSource, Tenants};

/// How many new tenants wait on probation at most; the oldest leave first.
const MAX_PROBATION: usize = 256;
/// What a request for a new tenant beyond the admission rate is told.
const TOO_MANY_NEW: &str = "too many new tenants at once; try again shortly";
/// How many resolver calls run at once.
const MAX_RESOLVING: usize = 16;

/// A tenant's issuer as the verifier holds it.
pub(crate) struct TenantEntry {
    pub(crate) tenant: Arc<str>,
    pub(crate) issuer: IssuerEntry,
    /// The claim that must equal the tenant (Entra's `tid`), if any.
    tenant_claim: Option<Box<str>>,
}

impl TenantEntry {
    /// Whether its keys are not there and the last fetch failed (none under way).
    fn keys_failed(&self) -> bool {
        match &self.issuer.keys {
            KeySource::Remote(remote) => remote.keys().failed_without_keys(),
            KeySource::Static(_) => false,
        }
    }

    fn set_live(&self, live: bool) {
        if let Some(mark) = &self.issuer.tenant {
            mark.live.store(live, Ordering::Release);
        }
    }

    /// The checks a tenant adds once its token verified: the tenant claim, when configured.
    pub(crate) fn check(&self, claims: &Claims) -> Result<(), Error> {
        let Some(name) = &self.tenant_claim else { return Ok(()) };
        match claims.custom().get(&**name) {
            Some(serde_json::Value::String(tenant)) if **tenant == *self.tenant => Ok(()),
            _ => Err(Error::invalid_claim(name, "the tenant of the token's issuer")),
        }
    }
}

/// What [`TenantDirectory::find`] found.
pub(crate) enum Lookup {
    /// The tenant's entry, and whether it is still on probation.
    Found(Arc<TenantEntry>, bool),
    /// The resolver must be asked first.
    Ask,
}

/// A remembered refusal: until when (clock seconds), and whether it is an outage (`503`)
/// rather than an unknown issuer (`401`).
#[derive(Clone, Copy)]
struct Refusal {
    until: u64,
    unavailable: bool,
}

/// Counts the live tenants evicted, and clears their marks: tokens cached under an evicted
/// tenant are no longer hits.
/// It also remembers the issuer as known, so that discovering it again skips admission: a flood
/// of made-up tenants cannot keep the real ones it pushed out from coming back.
#[derive(Clone)]
struct OnEviction {
    evicted: Arc<AtomicU64>,
    known: Arc<Known>,
}

/// Issuers that were live tenants recently.
type Known = Cache<Arc<str>, ()>;

impl Lifecycle<Arc<str>, Arc<TenantEntry>> for OnEviction {
    type RequestState = ();

    fn on_evict(&self, _state: &mut (), issuer: Arc<str>, entry: Arc<TenantEntry>) {
        self.evicted.fetch_add(1, Ordering::Relaxed);
        entry.set_live(false);
        self.known.insert(issuer, ());
    }
}

type Live = Cache<Arc<str>, Arc<TenantEntry>, UnitWeighter, DefaultHashBuilder, OnEviction>;

/// New tenants in the order they came.
#[derive(Default)]
struct Probation {
    entries: HashMap<Arc<str>, Arc<TenantEntry>>,
    order: VecDeque<Arc<str>>,
}

/// One pattern, with the key set its tenants share, if they do.
struct PatternState {
    pattern: IssuerPattern,
    shared: Option<Arc<RemoteSource>>,
}

enum Source {
    Patterns(Box<[PatternState]>),
    Resolver(Arc<dyn ErasedResolver>),
}

pub(crate) struct TenantDirectory {
    source: Source,
    defaults: OwnedDefaults,
    live: Live,
    known: Arc<Known>,
    /// Whether a request that names no tenant takes any tenant's token.
    any_request: bool,
    probation: Mutex<Probation>,
    refused: Cache<Arc<str>, Refusal>,
    admission: Admission,
    resolving: Flights<Arc<str>, Result<(), Rejected>>,
    unknown_ttl: u64,
    failure_ttl: u64,
    counters: Counters,
}

impl TenantDirectory {
    pub(crate) fn new(tenants: Tenants, defaults: OwnedDefaults) -> Result<Self, Error> {
        if tenants.max_tenants == 0 {
            return Err(Error::config("`max_tenants` must be at least 1"));
        }
        let source = match tenants.source {
            TenantSource::Patterns(patterns) if patterns.is_empty() => {
                return Err(Error::config("the tenants have no issuer pattern"));
            }
            TenantSource::Patterns(patterns) if !lists_apart(&patterns) => {
                return Err(Error::config(
                    "several issuer patterns could name the same tenant: give each an \
                     `only_tenants` list, with no tenant in two lists",
                ));
            }
            TenantSource::Patterns(patterns) => Source::Patterns(
                patterns
                    .into_iter()
                    .map(|pattern| {
                        pattern.check()?;
                        let shared = defaults.shared_keys(&pattern)?.map(Arc::new);
                        Ok(PatternState { pattern, shared })
                    })
                    .collect::<Result<_, Error>>()?,
            ),
            TenantSource::Resolver(resolver) => Source::Resolver(resolver),
        };
        let counters = Counters::default();
        let known = Arc::new(Known::new(tenants.max_tenants));
        let evictions =
            OnEviction { evicted: Arc::clone(&counters.evicted), known: Arc::clone(&known) };
        let live = Cache::with(
            tenants.max_tenants,
            tenants.max_tenants as u64,
            UnitWeighter,
            DefaultHashBuilder::default(),
            evictions,
        );
        let refused_capacity = tenants.max_tenants.max(1024);
        let timeout = defaults.remote.timeout;
        Ok(Self {
            source,
            live,
            probation: Mutex::new(Probation::default()),
            refused: Cache::new(refused_capacity),
            admission: Admission::new(tenants.burst, tenants.per_second),
            resolving: Flights::new(MAX_RESOLVING, timeout),
            unknown_ttl: whole_seconds(tenants.unknown_ttl),
            failure_ttl: whole_seconds(tenants.failure_ttl),
            known,
            any_request: tenants.any_request,
            counters,
            defaults,
        })
    }

    /// The key sets the tenants' patterns share, to refresh in the background.
    pub(crate) fn shared_sources(&self) -> impl Iterator<Item = &RemoteSource> + '_ {
        let patterns = match &self.source {
            Source::Patterns(patterns) => &patterns[..],
            Source::Resolver(_) => &[],
        };
        patterns.iter().filter_map(|state| state.shared.as_deref())
    }

    /// The tasks the tenants' own key sets run (refreshers, fetches); shared sets not counted.
    pub(crate) fn background_tasks(&self) -> usize {
        let count = |entry: &TenantEntry| match &entry.issuer.keys {
            KeySource::Remote(remote) if !self.shares_keys(remote) => remote.keys().tasks().alive(),
            KeySource::Remote(_) | KeySource::Static(_) => 0,
        };
        let waiting: usize = self.probation().entries.values().map(|entry| count(entry)).sum();
        waiting + self.live.iter().map(|(_, entry)| count(&entry)).sum::<usize>()
    }

    /// The tenant whose issuer is `issuer`, for a request that names `hint` (or none).
    /// Cheap before costly: the live set, probation, the refusals remembered and the patterns
    /// are read before anything is admitted, and admission before anything is built.
    pub(crate) fn find(&self, issuer: &str, hint: Option<&str>, now: u64) -> Result<Lookup, Error> {
        if let Some(entry) = self.live.get(issuer) {
            return self.for_request(entry, hint, false);
        }
        let mut probation = self.probation();
        // Promoted meanwhile? (Promotion moves an entry under the probation lock.)
        if let Some(entry) = self.live.get(issuer) {
            drop(probation);
            return self.for_request(entry, hint, false);
        }
        if let Some(entry) = probation.entries.get(issuer) {
            let entry = Arc::clone(entry);
            // Its keys could not be fetched, and no request was left waiting to say so.
            if entry.keys_failed() {
                Self::leave_probation(&mut probation, issuer);
                drop(probation);
                self.remember(&entry.issuer.issuer, true);
                return Err(unavailable(FAILED_RECENTLY));
            }
            drop(probation);
            return self.for_request(entry, hint, true);
        }
        if let Some(refusal) = self.refused.get(issuer)
            && now < refusal.until
        {
            return Err(self.refusal_error(refusal));
        }
        let patterns = match &self.source {
            Source::Patterns(patterns) => patterns,
            // Issuers are URLs: a longer `iss` is no tenant, and is not remembered either.
            Source::Resolver(_) if issuer.len() > MAX_ISSUER_BYTES => {
                return Err(self.untrusted());
            }
            // No tenant's token passes a request that names none: no need to ask.
            Source::Resolver(_) if hint.is_none() && !self.any_request => {
                return Err(self.untrusted());
            }
            Source::Resolver(_) => return Ok(Lookup::Ask),
        };
        let Some((state, tenant)) = patterns
            .iter()
            .find_map(|state| state.pattern.tenant_of(issuer).map(|tenant| (state, tenant)))
        else {
            return Err(self.untrusted());
        };
        if !self.named_by(hint, tenant) {
            return Err(self.untrusted());
        }
        self.admit(issuer).map_err(|()| unavailable(TOO_MANY_NEW))?;
        let settings = state.pattern.settings_for(issuer);
        let shared = state.shared.as_ref().map(Arc::clone);
        let entry = TenantEntry {
            tenant: tenant.into(),
            issuer: self.defaults.tenant_entry(tenant, &settings, shared)?,
            tenant_claim: state.pattern.tenant_claim_name().map(Into::into),
        };
        let entry = Self::put_on_probation(&mut probation, entry);
        Ok(Lookup::Found(entry, true))
    }

    /// A token of the tenant on probation verified: it becomes live.
    pub(crate) fn promote(&self, entry: &Arc<TenantEntry>) {
        let mut probation = self.probation();
        let issuer = &entry.issuer.issuer;
        let Some(waiting) = probation.entries.get(issuer) else { return };
        if !Arc::ptr_eq(waiting, entry) {
            return;
        }
        Self::leave_probation(&mut probation, issuer);
        // Its keys are fetched (its token just verified): keep them fresh from now on. A key
        // set shared by a pattern's tenants has its one refresher already.
        if let KeySource::Remote(remote) = &entry.issuer.keys
            && !self.shares_keys(remote)
        {
            remote.spawn_refresher();
        }
        entry.set_live(true);
        self.live.insert(Arc::clone(issuer), Arc::clone(entry));
        drop(probation);
        self.counters.promoted.fetch_add(1, Ordering::Relaxed);
    }

    /// The keys of the tenant on probation could not be fetched: it leaves probation, and
    /// requests for it are answered `503` for a while without fetching again.
    pub(crate) fn failed(&self, issuer: &str) {
        let mut probation = self.probation();
        if !probation.entries.contains_key(issuer) {
            return;
        }
        Self::leave_probation(&mut probation, issuer);
        drop(probation);
        self.remember(&issuer.into(), true);
    }

    fn shares_keys(&self, remote: &Arc<RemoteSource>) -> bool {
        self.shared_sources().any(|shared| std::ptr::eq(shared, &**remote))
    }

    fn for_request(
        &self,
        entry: Arc<TenantEntry>,
        hint: Option<&str>,
        on_probation: bool,
    ) -> Result<Lookup, Error> {
        if !self.named_by(hint, &entry.tenant) {
            return Err(self.untrusted());
        }
        Ok(Lookup::Found(entry, on_probation))
    }

    /// Whether a request naming `hint` (or none) takes the tokens of `tenant`.
    pub(crate) fn named_by(&self, hint: Option<&str>, tenant: &str) -> bool {
        match hint {
            Some(hint) => hint == tenant,
            None => self.any_request,
        }
    }

    /// Forgets the tenant whose issuer is `issuer` (offboarded, or its settings changed): its
    /// cached tokens stop being hits, and its next token is resolved and discovered again.
    pub(crate) fn forget(&self, issuer: &str) {
        let mut probation = self.probation();
        Self::leave_probation(&mut probation, issuer);
        if let Some((_, entry)) = self.live.remove(issuer) {
            entry.set_live(false);
        }
        self.known.remove(issuer);
        drop(probation);
        self.refused.remove(issuer);
    }

    fn leave_probation(probation: &mut Probation, issuer: &str) {
        if probation.entries.remove(issuer).is_some() {
            probation.order.retain(|queued| &**queued != issuer);
        }
    }

    /// Admission of a new tenant: free for an issuer that was live recently (evicted), else
    /// from the bucket.
    fn admit(&self, issuer: &str) -> Result<(), ()> {
        if self.known.get(issuer).is_some() {
            return Ok(());
        }
        if self.admission.try_admit() {
            self.counters.admitted.fetch_add(1, Ordering::Relaxed);
            Ok(())
        } else {
            self.counters.refused_admission.fetch_add(1, Ordering::Relaxed);
            Err(())
        }
    }

    fn put_on_probation(probation: &mut Probation, entry: TenantEntry) -> Arc<TenantEntry> {
        let entry = Arc::new(entry);
        let issuer = Arc::clone(&entry.issuer.issuer);
        if probation.entries.len() >= MAX_PROBATION
            && let Some(oldest) = probation.order.pop_front()
        {
            probation.entries.remove(&oldest);
        }
        probation.order.push_back(Arc::clone(&issuer));
        probation.entries.insert(issuer, Arc::clone(&entry));
        entry
    }

    fn remember(&self, issuer: &Arc<str>, unavailable: bool) {
        let (ttl, counter) = if unavailable {
            (self.failure_ttl, &self.counters.failed)
        } else {
            (self.unknown_ttl, &self.counters.refused_issuer)
        };
        if unavailable {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let until = self.defaults.clock.now_secs().saturating_add(ttl);
        self.refused.insert(Arc::clone(issuer), Refusal { until, unavailable });
    }

    fn refusal_error(&self, refusal: Refusal) -> Error {
        if refusal.unavailable { unavailable(FAILED_RECENTLY) } else { self.untrusted() }
    }

    fn untrusted(&self) -> Error {
        self.counters.refused_issuer.fetch_add(1, Ordering::Relaxed);
        Error::new(ErrorKind::UntrustedIssuer, "the token's issuer is not trusted here")
    }

    fn probation(&self) -> MutexGuard<'_, Probation> {
        self.probation.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a request for a tenant whose keys could not be fetched lately is told.
const FAILED_RECENTLY: &str = "the tenant's keys could not be fetched recently; try again shortly";
/// The longest `iss` a resolver is asked about.
const MAX_ISSUER_BYTES: usize = 1024;

/// Whether no tenant name can come from two patterns: with several, each lists its tenants
/// and no tenant is in two lists.
fn lists_apart(patterns: &[IssuerPattern]) -> bool {
    if patterns.len() < 2 {
        return true;
    }
    let mut seen = std::collections::HashSet::new();
    patterns.iter().all(|pattern| {
        pattern.listed().is_some_and(|listed| listed.iter().all(|tenant| seen.insert(tenant)))
    })
}

/// A duration in whole seconds, rounded up: a refusal remembered for half a second is
/// remembered for one, not for none.
fn whole_seconds(duration: std::time::Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

fn unavailable(message: &'static str) -> Error {
    Error::new(ErrorKind::KeySourceUnavailable, message)
}
