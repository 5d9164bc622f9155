//! Verifying access tokens: signature, issuer, audience, lifetime, and header rules.
//!
//! A [`Verifier`] trusts one or more issuers, each with its own keys. For every token it:
//!
//! 1. refuses tokens over the size cap (8 KiB by default) before decoding anything;
//! 2. splits the compact JWS and decodes its segments (strict unpadded base64url; JSON objects
//!    without duplicate members, nested at most 16 deep);
//! 3. checks the header: `alg` known and not `none`, `crit`, `b64`, JWE and nested tokens
//!    refused, `typ` absent, `JWT`, `at+jwt` or `application/at+jwt` (only the last two in
//!    strict RFC 9068 mode); embedded keys (`jwk`, `jku`, `x5u`, `x5c`) are never used;
//! 4. picks the issuer by the unverified `iss` from the allowlist, checks `alg` against that
//!    issuer's allowlist, and finds its keys by `kid` among those that verify `alg`;
//! 5. verifies the signature;
//! 6. checks the claims: `aud` names one of ours, `exp` present and not passed, `nbf` and
//!    `iat` not in the future (all with the leeway), optional maximum age, and in strict
//!    RFC 9068 mode `sub`, `client_id`, `iat` and `jti` present;
//! 7. checks the binding (`cnf`): none, or a TLS client certificate that hashes to
//!    `x5t#S256` ([`verify_now_with_certificate`](Verifier::verify_now_with_certificate),
//!    RFC 8705); a DPoP-bound token passes only through [`Verifier::verify_dpop`];
//! 8. returns [`Claims`].
//!
//! ```
//! use scopegate_core::{ErrorKind, Verifier, VerificationKey};
//!
//! # async fn run() -> Result<(), scopegate_core::Error> {
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let public_key_pem = issuer.key().public_key_pem();
//! let verifier = Verifier::builder()
//!     .issuer(issuer.issuer())
//!     .audience("orders-api")
//!     .key(VerificationKey::from_pem(&public_key_pem)?)
//!     .build()
//!     .await?;
//!
//! let token = issuer.token().audience("orders-api").scopes(["orders.read"]).sign();
//! let claims = verifier.verify(&token).await?;
//! assert!(claims.has_scope("orders.read"));
//!
//! let other_api = issuer.token().audience("billing-api").sign();
//! let error = verifier.verify(&other_api).await.unwrap_err();
//! assert_eq!(error.kind(), ErrorKind::InvalidAudience);
//! # Ok(())
//! # }
//! # scopegate_testkit::block_on(run()).unwrap();
//! ```

#[cfg(feature = "remote")]
mod admission;
mod binding;
mod builder;
mod cache;
mod dpop;
#[cfg(feature = "remote")]
mod exchange;
#[cfg(feature = "remote")]
mod introspect;
#[cfg(feature = "remote")]
mod introspected_claims;
mod issuer;
#[cfg(feature = "remote")]
pub mod logout;
mod pipeline;
mod request_facts;
pub mod revocation;
mod revocation_set;
mod rules;
#[cfg(feature = "remote")]
pub mod security_event;
#[cfg(feature = "remote")]
mod shared_answers;
#[cfg(feature = "remote")]
pub(crate) mod shared_revocations;
#[cfg(feature = "remote")]
pub(crate) mod signed_answer;
#[cfg(feature = "remote")]
mod signed_event;
mod syntax;
#[cfg(feature = "remote")]
pub mod tenant;
#[cfg(feature = "remote")]
mod tenant_defaults;
#[cfg(feature = "remote")]
mod tenants;
mod trusted;
mod verification;
#[cfg(feature = "remote")]
mod waiting;

pub use builder::{MAX_TOKEN_BYTES_LIMIT, VerifierBuilder};
pub use cache::{DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES, TokenCacheKey, TokenCacheStats};
pub use dpop::{DpopRequest, DpopVerified};
#[cfg(feature = "remote")]
pub use exchange::ExchangeStats;
#[cfg(feature = "remote")]
pub use introspect::IntrospectionStats;
pub use request_facts::RequestFacts;
pub use revocation::{Revocation, RevocationStats};
pub use rules::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, MAX_LEEWAY};
#[cfg(feature = "remote")]
pub use shared_revocations::{
    MAX_REVOCATION_RECORD_BYTES, RevocationLink, SharedRevocation, SharedRevocations,
};
#[cfg(feature = "remote")]
pub use signed_event::MAX_EVENT_TOKEN_BYTES;
pub use syntax::{check_token_syntax, is_b64token_char};
#[cfg(feature = "remote")]
pub use tenants::TenantStats;
pub use trusted::TrustedIssuer;
pub use verification::{PendingVerification, Verification};

use std::fmt;
use std::sync::Arc;

use crate::certificate::CertificateThumbprint;
use crate::claims::{Claims, NumericDate};
use crate::clock::Clock;
use crate::error::Error;
#[cfg(feature = "remote")]
use crate::error::ErrorKind;
use crate::resource::ProtectedResource;
use crate::telemetry::{self, CacheEvent};
use cache::TokenCache;
use issuer::Issuers;
#[cfg(feature = "remote")]
use issuer::KeySource;
use pipeline::{Halt, Trust, Verified};
use rules::Rules;

/// Verifies access tokens. Cheap to clone; share one per service.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

pub(crate) struct VerifierInner {
    issuers: Issuers,
    rules: Rules,
    cache: Option<TokenCache>,
    clock: Arc<dyn Clock>,
    resource: Option<Arc<ProtectedResource>>,
    dpop: Option<crate::dpop::Dpop>,
    /// The tokens revoked before they expire.
    revocations: revocation_set::Revocations,
    /// The logout tokens and security events accepted, against replays.
    #[cfg(feature = "remote")]
    seen_events: signed_event::SeenEvents,
    /// The other replicas' revocations, if shared.
    #[cfg(feature = "remote")]
    shared_revocations: Option<shared_revocations::Sharing>,
    /// The tenants resolved at run time, if any.
    #[cfg(feature = "remote")]
    tenants: Option<Arc<tenants::TenantDirectory>>,
    /// The one issuer whose tokens may be introspected, if any.
    #[cfg(feature = "remote")]
    introspecting: Option<Arc<str>>,
}

impl Verifier {
    /// Starts configuring a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies `token` (the bare JWS, without `Bearer `), fetching the issuer's keys first
    /// when they are remote and missing or lack the token's `kid`.
    ///
    /// # Errors
    ///
    /// An [`Error`] whose [`class`](Error::class) is
    /// [`InvalidToken`](crate::ErrorClass::InvalidToken) for every token problem, or
    /// [`Unavailable`](crate::ErrorClass::Unavailable) when the issuer's keys cannot be had.
    pub async fn verify(&self, token: &str) -> Result<Claims, Error> {
        match self.verify_now(token) {
            Verification::Ready(result) => result,
            Verification::Pending(pending) => pending.await,
        }
    }

    /// Verifies `token` with the keys on hand, without waiting. When remote keys must first be
    /// fetched, returns [`Verification::Pending`], a future that finishes the work; with static
    /// keys the answer is always [`Verification::Ready`]. A token verified before (and still
    /// valid) comes from the token cache.
    ///
    /// This is the entry point for middleware that must not allocate a future per request.
    ///
    /// A token bound to a TLS client certificate is refused here: use
    /// [`verify_now_with_certificate`](Self::verify_now_with_certificate) where requests may
    /// carry one.
    pub fn verify_now(&self, token: &str) -> Verification {
        self.verify_now_with_certificate(token, None)
    }

    /// [`verify`](Self::verify) for a request that came with the TLS client `certificate`
    /// (`None` without one): a token bound to a certificate (`cnf.x5t#S256`, RFC 8705) passes
    /// only with the certificate it names; an unbound token passes with or without one.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify), and [`ErrorKind::ClientCertificateMissing`] or
    /// [`ErrorKind::ClientCertificateMismatch`] (both `401 invalid_token`) for a
    /// certificate-bound token without its certificate.
    pub async fn verify_with_certificate(
        &self,
        token: &str,
        certificate: Option<&CertificateThumbprint>,
    ) -> Result<Claims, Error> {
        match self.verify_now_with_certificate(token, certificate) {
            Verification::Ready(result) => result,
            Verification::Pending(pending) => pending.await,
        }
    }

    /// [`verify_now`](Self::verify_now) for a request that came with the TLS client
    /// `certificate`: see [`verify_with_certificate`](Self::verify_with_certificate).
    ///
    /// ```
    /// use scopegate_core::{CertificateThumbprint, ErrorKind};
    ///
    /// # let issuer = scopegate_testkit::TestIssuer::new();
    /// # let verifier = issuer.verifier();
    /// let certificate = CertificateThumbprint::of_der(b"the client's certificate (DER)");
    /// # let token = issuer.token().claim("cnf", serde_json::json!({"x5t#S256": certificate.as_str()})).sign();
    /// let bound = |presented| verifier.verify_now_with_certificate(&token, presented).into_ready().unwrap();
    /// assert!(bound(Some(&certificate)).is_ok());
    /// let other = CertificateThumbprint::of_der(b"another certificate");
    /// assert_eq!(bound(Some(&other)).unwrap_err().kind(), ErrorKind::ClientCertificateMismatch);
    /// assert_eq!(bound(None).unwrap_err().kind(), ErrorKind::ClientCertificateMissing);
    /// ```
    pub fn verify_now_with_certificate(
        &self,
        token: &str,
        certificate: Option<&CertificateThumbprint>,
    ) -> Verification {
        self.verify_now_for(token, RequestFacts::new().certificate(certificate))
    }

    /// [`verify`](Self::verify) for a request with these [`RequestFacts`]: its TLS client
    /// certificate (see [`verify_with_certificate`](Self::verify_with_certificate)) and the
    /// tenant it names (see [`Tenants`](crate::Tenants)).
    ///
    /// # Errors
    ///
    /// As [`verify_with_certificate`](Self::verify_with_certificate), and
    /// [`ErrorKind::UntrustedIssuer`] for a tenant's token on a request naming another tenant.
    pub async fn verify_for(&self, token: &str, facts: RequestFacts<'_>) -> Result<Claims, Error> {
        match self.verify_now_for(token, facts) {
            Verification::Ready(result) => result,
            Verification::Pending(pending) => pending.await,
        }
    }

    /// [`verify_now`](Self::verify_now) for a request with these [`RequestFacts`]: see
    /// [`verify_for`](Self::verify_for).
    pub fn verify_now_for(&self, token: &str, facts: RequestFacts<'_>) -> Verification {
        let bound = |claims: Claims, certificate: Option<&CertificateThumbprint>| {
            binding::check(&claims, certificate, false).map(|()| claims)
        };
        let certificate = facts.certificate;
        match self.verify_any_now(token, facts.tenant) {
            Verification::Ready(result) => {
                Verification::Ready(result.and_then(|claims| bound(claims, certificate)))
            }
            #[cfg(feature = "remote")]
            Verification::Pending(pending) => {
                let certificate = certificate.cloned();
                Verification::Pending(PendingVerification::new(async move {
                    pending.await.and_then(|claims| bound(claims, certificate.as_ref()))
                }))
            }
            #[cfg(not(feature = "remote"))]
            pending @ Verification::Pending(_) => pending,
        }
    }

    /// [`verify_now`](Self::verify_now) without the bearer rule: sender-constrained tokens
    /// pass, for [`verify_dpop`](Self::verify_dpop) to check their binding. `tenant` is the
    /// tenant the request names, if any.
    fn verify_any_now(&self, token: &str, tenant: Option<&str>) -> Verification {
        match self.verify_unrevoked_now(token, tenant) {
            Verification::Ready(result) => {
                Verification::Ready(result.and_then(|claims| self.unrevoked(claims)))
            }
            #[cfg(feature = "remote")]
            Verification::Pending(pending) => {
                let verifier = self.clone();
                Verification::Pending(PendingVerification::new(async move {
                    pending.await.and_then(|claims| verifier.unrevoked(claims))
                }))
            }
            #[cfg(not(feature = "remote"))]
            pending @ Verification::Pending(_) => pending,
        }
    }

    /// [`verify_any_now`](Self::verify_any_now) before the revocations are consulted.
    fn verify_unrevoked_now(&self, token: &str, tenant: Option<&str>) -> Verification {
        #[cfg(feature = "remote")]
        if let Some(verification) = self.introspected(token) {
            return verification;
        }
        match self.cached_or_verified(token, true, tenant) {
            Ok(claims) => Verification::Ready(Ok(claims)),
            Err(Halt::Error(error)) => Verification::Ready(Err(error)),
            #[cfg(feature = "remote")]
            Err(halt) => {
                let later = waiting::Later {
                    verifier: self.clone(),
                    token: token.to_owned(),
                    tenant: tenant.map(Into::into),
                };
                Verification::Pending(PendingVerification::new(later.finish(halt)))
            }
        }
    }

    /// The outcome of `token` through its issuer's introspection, when it goes there: an opaque
    /// token when an issuer introspects, a JWT of an issuer that introspects every token.
    ///
    /// Cheap before costly: the size cap, the RFC 6750 syntax and (for a JWT) the header's
    /// `typ` rule are checked before the token is hashed, looked up or sent anywhere.
    #[cfg(feature = "remote")]
    fn introspected(&self, token: &str) -> Option<Verification> {
        let inner = &*self.inner;
        let name = inner.introspecting.as_ref()?;
        let state = inner.issuers.get(name)?.introspection.as_ref()?;
        let jwt = pipeline::looks_like_jwt(token);
        if jwt
            && !(state.every_token()
                && pipeline::unverified_issuer(token).as_deref() == Some(&**name))
        {
            return None;
        }
        if token.len() > inner.rules.max_token_bytes {
            let message = "the token is larger than this resource accepts";
            return Some(Verification::Ready(Err(Error::new(ErrorKind::TokenTooLarge, message))));
        }
        if let Err(error) = check_token_syntax(token) {
            return Some(Verification::Ready(Err(error)));
        }
        if jwt && let Err(error) = pipeline::check_header(token, inner.rules.type_rule()) {
            return Some(Verification::Ready(Err(error)));
        }
        let hash = introspect::token_hash(token);
        if let Some(outcome) = state.cached(&hash, inner.clock.now_secs()) {
            return Some(Verification::Ready(outcome));
        }
        let answer = state.introspect(token, hash, inner.clock.now_secs());
        let (verifier, name) = (self.clone(), Arc::clone(name));
        Some(Verification::Pending(PendingVerification::new(async move {
            let answer = answer.await?;
            let inner = &*verifier.inner;
            let issuer = inner.issuers.get(&name).ok_or_else(not_available)?;
            let state = issuer.introspection.as_ref().ok_or_else(not_available)?;
            state.settle(hash, &answer, issuer, &inner.rules, inner.clock.now_secs())
        })))
    }

    /// The verifier's clock: what step-up checks (`auth_time`) downstream compare with.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.inner.clock)
    }

    /// What each issuer's introspection has done, in issuer order.
    #[cfg(feature = "remote")]
    pub fn introspection_stats(&self) -> Vec<IntrospectionStats> {
        let mut stats: Vec<_> = self
            .inner
            .issuers
            .values()
            .filter_map(|issuer| issuer.introspection.as_ref().map(|state| state.stats()))
            .collect();
        stats.sort_by(|a, b| a.issuer.cmp(&b.issuer));
        stats
    }

    /// The claims of `token` if it was verified before and is still valid, from the token
    /// cache; `None` otherwise (or with the cache off). Never verifies anything.
    ///
    /// `token` may be a `&str` or the raw bytes of a header: a cached token was valid UTF-8
    /// when it verified, so a hit needs no check and a miss proves nothing about the bytes.
    pub fn cached(&self, token: impl AsRef<[u8]>) -> Option<Claims> {
        self.cached_for(token, RequestFacts::new())
    }

    /// [`cached`](Self::cached) for a request with these [`RequestFacts`]: a tenant's token
    /// is a hit only while its tenant is live and, when the request names a tenant, is that
    /// tenant. Its certificate is not checked: a bound token is never a hit here.
    pub fn cached_for(&self, token: impl AsRef<[u8]>, facts: RequestFacts<'_>) -> Option<Claims> {
        let now = self.inner.clock.now_secs();
        let claims = self.cache_hit(token.as_ref(), facts.tenant, now)?;
        // A bound token is not a bearer token: no hit here (verifying it refuses it). A revoked
        // one is no hit either: verifying it says why it is refused.
        if claims.confirmation().is_some() || self.inner.revocations.names(&claims, now) {
            return None;
        }
        telemetry::token_cache(CacheEvent::Hit);
        Some(claims)
    }

    /// The cached claims of `token`, if its issuer is still trusted for a request naming
    /// `tenant`.
    fn cache_hit(&self, token: &[u8], tenant: Option<&str>, now: u64) -> Option<Claims> {
        let claims = self.inner.cache.as_ref()?.get(token, now)?;
        // A tenant's token: while its tenant is live (no lookup: eviction clears the mark), and
        // on requests that name that tenant (or none, where tenants allow it).
        if let Some(mark) = claims.tenant_mark()
            && !(mark.is_live() && self.tenant_named(tenant, &mark.name))
        {
            return None;
        }
        Some(claims)
    }

    /// Whether a request naming `hint` (or none) takes the tokens of `tenant`.
    fn tenant_named(&self, hint: Option<&str>, tenant: &str) -> bool {
        #[cfg(feature = "remote")]
        return self.inner.tenants.as_ref().is_some_and(|tenants| tenants.named_by(hint, tenant));
        #[cfg(not(feature = "remote"))]
        {
            let _ = (hint, tenant);
            false
        }
    }

    /// The issuers trusted for a request naming `tenant`.
    fn trust<'a>(&'a self, tenant: Option<&'a str>) -> Trust<'a> {
        #[cfg(not(feature = "remote"))]
        let _ = tenant;
        Trust {
            issuers: &self.inner.issuers,
            #[cfg(feature = "remote")]
            tenants: self.inner.tenants.as_deref(),
            #[cfg(feature = "remote")]
            tenant,
        }
    }

    /// The claims of `token` from the cache, or verified now (and then cached).
    fn cached_or_verified(
        &self,
        token: &str,
        may_fetch: bool,
        tenant: Option<&str>,
    ) -> Result<Claims, Halt> {
        let inner = &*self.inner;
        let now = NumericDate::from_secs(inner.clock.now_secs());
        let trust = self.trust(tenant);
        let Some(cache) = &inner.cache else {
            return pipeline::verify(trust, &inner.rules, token, now, may_fetch)
                .map(|verified| verified.claims);
        };
        if let Some(claims) = self.cache_hit(token.as_bytes(), tenant, now.as_secs()) {
            telemetry::token_cache(CacheEvent::Hit);
            return Ok(claims);
        }
        telemetry::token_cache(CacheEvent::Miss);
        let Verified { claims, valid_until, epoch } =
            pipeline::verify(trust, &inner.rules, token, now, may_fetch)?;
        cache.insert(token, claims.clone(), valid_until, epoch);
        Ok(claims)
    }

    /// Verifies `token` as of `now` instead of the system clock, with the keys on hand (it never
    /// fetches) and without the token cache.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`].
    pub fn verify_at(&self, token: &str, now: NumericDate) -> Result<Claims, Error> {
        match pipeline::verify(self.trust(None), &self.inner.rules, token, now, false) {
            // A bound token is refused here as `verify` refuses it without its proof.
            Ok(verified) => {
                binding::check(&verified.claims, None, false)?;
                if self.inner.revocations.names(&verified.claims, now.as_secs()) {
                    return Err(revocation_set::Revocations::error());
                }
                Ok(verified.claims)
            }
            Err(Halt::Error(error)) => Err(error),
            #[cfg(feature = "remote")]
            Err(Halt::Fetch(..) | Halt::Resolve(..)) => Err(not_available()),
        }
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> impl Iterator<Item = &str> + '_ {
        self.inner.issuers.keys().map(|issuer| &**issuer)
    }

    /// How many background tasks (key refreshers and fetches) this verifier runs now for its
    /// configured issuers and its tenants' shared key sets. They stop when the last clone of
    /// the verifier is dropped.
    #[cfg(feature = "remote")]
    pub fn background_tasks(&self) -> usize {
        let configured = self.inner.issuers.values().filter_map(|issuer| match &issuer.keys {
            KeySource::Remote(remote) => Some(&**remote),
            KeySource::Static(_) => None,
        });
        let shared = self.inner.tenants.iter().flat_map(|tenants| tenants.shared_sources());
        let own = self.inner.tenants.as_ref().map_or(0, |tenants| tenants.background_tasks());
        own + configured.chain(shared).map(|remote| remote.keys().tasks().alive()).sum::<usize>()
    }

    /// The protected resource this verifier guards, if one was configured (RFC 9728), with
    /// its authorization servers filled in.
    pub fn protected_resource(&self) -> Option<&ProtectedResource> {
        self.inner.resource.as_deref()
    }

    /// The size cap applied to tokens, in bytes.
    pub fn max_token_bytes(&self) -> usize {
        self.inner.rules.max_token_bytes
    }

    /// What the verified-token cache holds; `None` when it is disabled.
    pub fn token_cache_stats(&self) -> Option<TokenCacheStats> {
        self.inner.cache.as_ref().map(TokenCache::stats)
    }

    /// What each remote key set has fetched, cached and refused, in issuer order.
    #[cfg(feature = "remote")]
    pub fn key_source_stats(&self) -> Vec<crate::remote::KeySourceStats> {
        let mut stats: Vec<_> = self
            .inner
            .issuers
            .values()
            .filter_map(|issuer| match &issuer.keys {
                KeySource::Remote(remote) => Some(remote.keys().stats()),
                KeySource::Static(_) => None,
            })
            .collect();
        stats.sort_by(|a, b| a.issuer.cmp(&b.issuer));
        stats
    }
}

#[cfg(feature = "remote")]
fn not_available() -> Error {
    Error::new(ErrorKind::KeySourceUnavailable, "the issuer's keys are not available")
}

/// A refresh failure as a request sees it: the keys are unavailable, whatever the cause.
#[cfg(feature = "remote")]
fn unavailable(error: Error) -> Error {
    if error.kind() == ErrorKind::KeySourceUnavailable {
        error
    } else {
        Error::new(ErrorKind::KeySourceUnavailable, "the issuer's keys could not be refreshed")
            .with_source(error)
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut issuers: Vec<_> = self.inner.issuers.values().collect();
        issuers.sort_by(|a, b| a.issuer.cmp(&b.issuer));
        f.debug_struct("Verifier")
            .field("issuers", &issuers)
            .field("rules", &self.inner.rules)
            .finish()
    }
}
