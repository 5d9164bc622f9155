//! What operators see of the tenants (their counts) and do to them (forget one).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::TenantDirectory;
use crate::verifier::Verifier;

/// What the tenants have done, for stats and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantStats {
    /// Tenants live now (verified at least once, not evicted).
    pub live: usize,
    /// New tenants on probation now.
    pub on_probation: usize,
    /// New tenants admitted (each costs a discovery, or a resolver call).
    pub admitted: u64,
    /// Tenants that became live.
    pub promoted: u64,
    /// Live tenants evicted to stay within the bound.
    pub evicted: u64,
    /// Requests for a new tenant refused because too many were admitted recently.
    pub refused_admission: u64,
    /// Tokens refused because their issuer is no tenant, or not this request's.
    pub refused_issuer: u64,
    /// Tenants whose discovery, keys or resolution failed.
    pub failed: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) admitted: AtomicU64,
    pub(super) promoted: AtomicU64,
    pub(super) evicted: Arc<AtomicU64>,
    pub(super) refused_admission: AtomicU64,
    pub(super) refused_issuer: AtomicU64,
    pub(super) failed: AtomicU64,
}

impl TenantDirectory {
    pub(crate) fn stats(&self) -> TenantStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let counters = &self.counters;
        TenantStats {
            live: self.live.len(),
            on_probation: self.probation().entries.len(),
            admitted: load(&counters.admitted),
            promoted: load(&counters.promoted),
            evicted: load(&counters.evicted),
            refused_admission: load(&counters.refused_admission),
            refused_issuer: load(&counters.refused_issuer),
            failed: load(&counters.failed),
        }
    }
}

impl Verifier {
    /// Forgets the tenant whose issuer is `issuer` (offboarded, or its settings changed in the
    /// resolver's table): its cached tokens stop being hits at once, and its next token is
    /// resolved and discovered again. Does nothing for an issuer that is no tenant.
    #[cfg(feature = "remote")]
    pub fn forget_tenant(&self, issuer: &str) {
        if let Some(tenants) = &self.inner.tenants {
            tenants.forget(issuer);
        }
    }

    /// What the tenants have done; `None` without [`Tenants`](crate::Tenants).
    #[cfg(feature = "remote")]
    pub fn tenant_stats(&self) -> Option<TenantStats> {
        self.inner.tenants.as_ref().map(|tenants| tenants.stats())
    }
}
