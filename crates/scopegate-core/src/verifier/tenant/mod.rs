//! Many tenants, each with its own issuer, trusted per request and discovered on first use
//! (feature `remote`).
//!
//! A SaaS API whose customers each bring an issuer (one Keycloak realm or Auth0 tenant per
//! customer, any Microsoft Entra ID tenant) cannot list its issuers when it starts. Give the
//! verifier [`Tenants`] instead: an [`IssuerPattern`] (`https://id.example.com/realms/{tenant}`)
//! or a [`TenantResolver`] of your own says which issuers are tenants and how each is trusted.
//!
//! - **Resolved per request.** A token's unverified `iss` picks the tenant, and the request
//!   must name the same tenant (its host, a path segment or a header, read by the tower layer's
//!   `tenant_from`); a request that names none takes no tenant's token unless
//!   [`Tenants::on_any_request`] says so (an API serving every tenant on one host). A token of
//!   another tenant, or of an issuer no pattern describes, is refused before any network
//!   call. Several patterns must list their tenants apart, so that one name is one tenant.
//! - **Discovered lazily, bounded.** A new tenant's discovery document and keys are fetched on
//!   first use, once however many requests wait, then kept fresh like a configured issuer's.
//!   New tenants are admitted at a bounded rate (a burst, then so many a second): beyond it, a
//!   request for a new tenant gets a fast `503`, so random `iss` values cannot turn the API
//!   into a request amplifier. A tenant joins the live set (bounded, least recently used
//!   evicted and counted) only once one of its tokens verified, so a flood of made-up tenants
//!   never pushes out real ones; tenants that are unknown or whose discovery failed are
//!   remembered for a short time and refused without a fetch. An evicted tenant comes back
//!   without admission. A tenant's discovery document may name endpoints on its own origin
//!   only: the tenant, not you, writes it.
//! - **Offboarding.** [`Verifier::forget_tenant`](crate::Verifier::forget_tenant) drops a
//!   tenant at once, cached tokens included.
//! - **Per-tenant settings.** Audience, algorithms, scope policy, claim mapping and keys come
//!   from the pattern or the resolver; [`Claims::tenant`](crate::Claims::tenant) tells
//!   handlers whose token it was. Metrics never carry the tenant (it is unbounded).
//!
//! Issuers configured with [`trust`](crate::VerifierBuilder::trust) stay trusted for every
//! request, beside the tenants.
//!
//! ```
//! use scopegate_core::{IssuerPattern, RequestFacts, Tenants, Verifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), scopegate_core::Error> {
//! # let server = scopegate_testkit::TenantIssuerServer::start().await;
//! # let realms = format!("{}/realms/{{tenant}}", server.base_url());
//! let verifier = Verifier::builder()
//!     .audience("orders-api")
//!     .tenants(Tenants::pattern(IssuerPattern::new(&realms)?))
//!     .build()
//!     .await?;
//! # let acme = server.tenant("acme");
//! let token = acme.token().audience("orders-api").sign();
//! let claims = verifier.verify_for(&token, RequestFacts::new().tenant(Some("acme"))).await?;
//! assert_eq!(claims.tenant(), Some("acme"));
//! // The same token on another tenant's host:
//! let elsewhere = verifier.verify_for(&token, RequestFacts::new().tenant(Some("globex"))).await;
//! assert_eq!(elsewhere.unwrap_err().kind(), scopegate_core::ErrorKind::UntrustedIssuer);
//! # Ok(())
//! # }
//! ```

mod pattern;
mod resolver;

pub use pattern::{IssuerPattern, TenantFormat};
pub use resolver::{Tenant, TenantResolver};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use resolver::ErasedResolver;

/// Default bound of the live tenants.
pub const DEFAULT_MAX_TENANTS: usize = 10_000;
/// Default number of new tenants admitted at once, before the rate applies.
pub const DEFAULT_NEW_TENANT_BURST: u32 = 20;
/// Default number of new tenants admitted a second, after the burst.
pub const DEFAULT_NEW_TENANTS_PER_SECOND: u32 = 10;
/// How long an unknown issuer is refused without asking again, by default.
pub const DEFAULT_UNKNOWN_TTL: Duration = Duration::from_secs(60);
/// How long a tenant whose discovery failed is answered `503` without fetching again.
pub const DEFAULT_FAILURE_TTL: Duration = Duration::from_secs(10);

/// Which issuers are tenants, and the bounds of their discovery. See the
/// [module docs](self).
#[derive(Clone)]
#[must_use]
pub struct Tenants {
    pub(crate) source: TenantSource,
    pub(crate) max_tenants: usize,
    pub(crate) burst: u32,
    pub(crate) per_second: u32,
    pub(crate) unknown_ttl: Duration,
    pub(crate) failure_ttl: Duration,
    pub(crate) any_request: bool,
}

#[derive(Clone)]
pub(crate) enum TenantSource {
    Patterns(Vec<IssuerPattern>),
    Resolver(Arc<dyn ErasedResolver>),
}

impl Tenants {
    /// The tenants one pattern describes.
    pub fn pattern(pattern: IssuerPattern) -> Self {
        Self::with_source(TenantSource::Patterns(vec![pattern]))
    }

    /// The tenants several patterns describe; the first that fits an issuer applies.
    pub fn patterns(patterns: impl IntoIterator<Item = IssuerPattern>) -> Self {
        Self::with_source(TenantSource::Patterns(patterns.into_iter().collect()))
    }

    /// The tenants `resolver` knows.
    pub fn resolver(resolver: impl TenantResolver) -> Self {
        Self::with_source(TenantSource::Resolver(Arc::new(resolver)))
    }

    fn with_source(source: TenantSource) -> Self {
        Self {
            source,
            max_tenants: DEFAULT_MAX_TENANTS,
            burst: DEFAULT_NEW_TENANT_BURST,
            per_second: DEFAULT_NEW_TENANTS_PER_SECOND,
            unknown_ttl: DEFAULT_UNKNOWN_TTL,
            failure_ttl: DEFAULT_FAILURE_TTL,
            any_request: false,
        }
    }

    /// Takes any tenant's token on a request that names no tenant (an API that serves every
    /// tenant on one host, as an Entra multi-tenant app does; handlers then tell tenants apart
    /// by [`Claims::tenant`](crate::Claims::tenant)). Off by default: a tenant's token is
    /// refused unless the request names its tenant (the tower layer's `tenant_from`, or
    /// [`RequestFacts::tenant`](crate::RequestFacts::tenant)), so a layer that forgot to say
    /// where requests name their tenant refuses every tenant rather than mixing them.
    pub fn on_any_request(mut self) -> Self {
        self.any_request = true;
        self
    }

    /// Keeps at most `tenants` tenants live (with their keys); the least recently used beyond
    /// are evicted, and discovered again when next needed.
    pub fn max_tenants(mut self, tenants: usize) -> Self {
        self.max_tenants = tenants;
        self
    }

    /// Admits `burst` new tenants at once, then `per_second` a second: a request for a tenant
    /// beyond that gets a fast `503` (`Retry-After`) and no fetch.
    pub fn new_tenants(mut self, burst: u32, per_second: u32) -> Self {
        self.burst = burst;
        self.per_second = per_second;
        self
    }

    /// How long an issuer the resolver does not know is refused (`401`) without asking again,
    /// and how long a tenant whose discovery or keys could not be fetched (unknown to its
    /// provider, or the provider is down) is answered `503` without fetching again.
    pub fn remember_refusals(mut self, unknown: Duration, failed: Duration) -> Self {
        self.unknown_ttl = unknown;
        self.failure_ttl = failed;
        self
    }
}

impl fmt::Debug for Tenants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Tenants");
        match &self.source {
            TenantSource::Patterns(patterns) => debug
                .field("patterns", &patterns.iter().map(IssuerPattern::as_str).collect::<Vec<_>>()),
            TenantSource::Resolver(resolver) => debug.field("resolver", resolver),
        };
        debug
            .field("max_tenants", &self.max_tenants)
            .field("new_tenants", &(self.burst, self.per_second))
            .finish_non_exhaustive()
    }
}
