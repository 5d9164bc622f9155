//! Configuring a [`Verifier`]: issuers, audiences, keys, and the rules tokens must pass.

use std::sync::Arc;
use std::time::Duration;

use super::cache::{DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES, TokenCache, TokenCacheKey};
use super::issuer::Issuers;
#[cfg(feature = "remote")]
use super::issuer::KeySource;
use super::rules::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, MAX_LEEWAY, Rules};
use super::trusted::{Defaults, TrustedIssuer};
use super::{Verifier, VerifierInner};
use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::claims::ClaimMapping;
use crate::clock::{Clock, SystemClock};
use crate::dpop::{Dpop, DpopMode};
use crate::error::Error;
use crate::key::{KeySet, VerificationKey};
#[cfg(feature = "remote")]
use crate::remote::{HttpClient, keys::Cause, settings::RemoteSettings};
use crate::resource::ProtectedResource;
use crate::scope::ScopePolicy;

/// The largest token size cap a verifier accepts.
pub const MAX_TOKEN_BYTES_LIMIT: usize = 64 * 1024;

/// Builds a [`Verifier`]; start with [`Verifier::builder`].
///
/// The shorthand methods ([`issuer`](Self::issuer), [`key`](Self::key), [`keys`](Self::keys),
/// [`jwks_uri`](Self::jwks_uri)) configure one issuer; [`trust`](Self::trust) adds more. An
/// issuer without keys or `jwks_uri` is discovered (feature `remote`). The audiences, scope
/// policy and claim mapping set here apply to every issuer that does not set its own.
#[derive(Clone)]
#[must_use]
pub struct VerifierBuilder {
    primary: Option<TrustedIssuer>,
    issuers: Vec<TrustedIssuer>,
    audiences: Vec<String>,
    algorithms: Option<AlgorithmSet>,
    leeway: Duration,
    max_age: Option<Duration>,
    rfc9068: bool,
    max_token_bytes: usize,
    mapping: ClaimMapping,
    policy: ScopePolicy,
    /// Entries and bytes of the token cache; `None` disables it.
    cache: Option<(usize, usize)>,
    cache_key: TokenCacheKey,
    clock: Arc<dyn Clock>,
    resource: Option<ProtectedResource>,
    dpop: Option<Dpop>,
    /// How long revocations are kept (`None`: the maximum token age, or the default), and how
    /// many.
    revocation_window: Option<Duration>,
    max_revocations: usize,
    #[cfg(feature = "remote")]
    remote: RemoteSettings,
    #[cfg(feature = "remote")]
    tenants: Option<crate::verifier::tenant::Tenants>,
    /// Where revocations are shared with the other replicas, and the secret that seals them.
    #[cfg(feature = "remote")]
    shared_revocations: Option<(
        Arc<dyn crate::verifier::shared_revocations::SharedRevocations>,
        crate::seal::SealingKey,
    )>,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        Self {
            primary: None,
            issuers: Vec::new(),
            audiences: Vec::new(),
            algorithms: None,
            leeway: DEFAULT_LEEWAY,
            max_age: None,
            rfc9068: false,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            mapping: ClaimMapping::default(),
            policy: ScopePolicy::default(),
            cache: Some((DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_BYTES)),
            cache_key: TokenCacheKey::Token,
            clock: Arc::new(SystemClock),
            resource: None,
            dpop: None,
            revocation_window: None,
            max_revocations: super::revocation::DEFAULT_MAX_REVOCATIONS,
            #[cfg(feature = "remote")]
            remote: RemoteSettings::default(),
            #[cfg(feature = "remote")]
            tenants: None,
            #[cfg(feature = "remote")]
            shared_revocations: None,
        }
    }
}

impl VerifierBuilder {
    fn primary(&mut self) -> &mut TrustedIssuer {
        self.primary.get_or_insert_with(|| TrustedIssuer::new(String::new()))
    }

    /// Trusts `issuer` (the shorthand for a single issuer). Compared exactly with `iss`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.primary().issuer = issuer.into();
        self
    }

    /// Adds a static key of the issuer set with [`issuer`](Self::issuer).
    pub fn key(mut self, key: VerificationKey) -> Self {
        self.primary().keys.push(key);
        self
    }

    /// Adds the static keys of the issuer set with [`issuer`](Self::issuer).
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.primary().keys.extend(keys);
        self
    }

    /// Fetches the keys of the issuer set with [`issuer`](Self::issuer) from this JWKS URL,
    /// skipping discovery.
    #[cfg(feature = "remote")]
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.primary().jwks_uri = Some(uri.into());
        self
    }

    /// Trusts another issuer, with its own keys.
    pub fn trust(mut self, issuer: TrustedIssuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Accepts tokens only when their `aud` includes `audience` (for every issuer without
    /// audiences of its own), replacing any audience set before. Required: a resource server
    /// that skips the audience check accepts tokens meant for other APIs.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences = vec![audience.into()];
        self
    }

    /// Also accepts tokens whose `aud` includes `audience`, besides the one set with
    /// [`audience`](Self::audience).
    pub fn also_accept_audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The algorithms tokens may use. Defaults to every asymmetric algorithm (`RS*`, `PS*`,
    /// `ES256`, `ES384`, `EdDSA`), plus `HS*` for issuers with an HMAC secret.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Defaults to 30 seconds; at most 5
    /// minutes.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuses tokens issued longer ago than `max_age` (plus leeway). Such tokens must carry
    /// `iat`. Off by default.
    pub fn max_token_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Accepts only RFC 9068 access tokens: `typ` `at+jwt` (or `application/at+jwt`), with
    /// `sub`, `client_id`, `iat` and `jti`. Off by default, when `typ` may also be `JWT` or
    /// absent.
    pub fn require_rfc9068(mut self, strict: bool) -> Self {
        self.rfc9068 = strict;
        self
    }

    /// Refuses tokens longer than `bytes` before decoding them. Defaults to 8 KiB; at most 64
    /// KiB.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Where scopes and roles are read from, for issuers without a mapping of their own.
    /// Defaults to [`ClaimMapping::default`].
    pub fn claim_mapping(mut self, mapping: ClaimMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// How required scopes match granted ones, for issuers without a policy of their own.
    /// Defaults to [`ScopePolicy::exact`].
    pub fn scope_policy(mut self, policy: ScopePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Bounds the verified-token cache: at most `entries` tokens and about `bytes` of memory.
    /// Defaults to 50,000 tokens and 64 MiB (an entry counts about 1.5 KiB for a typical
    /// 640-byte token, so the byte bound binds first, near 43,000 tokens; keyed by
    /// [`TokenCacheKey::Sha256`], about 0.9 KiB, so the count binds). Every entry counts at
    /// least `bytes / entries`, so the byte bound also bounds the count.
    pub fn token_cache_limits(mut self, entries: usize, bytes: usize) -> Self {
        self.cache = Some((entries, bytes));
        self
    }

    /// What the verified-token cache keys its entries by. [`TokenCacheKey::Sha256`] halves
    /// the memory of an entry and keeps no usable token in memory, for 0.2-0.3 µs more per
    /// cache hit on a 640-byte token; the default, [`TokenCacheKey::Token`], is the fastest.
    /// The [limits](Self::token_cache_limits) stay what they are: at the defaults the count
    /// (50,000) binds either way, so a full cache keyed by SHA-256 takes about half the
    /// memory; to hold more tokens in the same memory, raise the count.
    pub fn token_cache_key(mut self, key: TokenCacheKey) -> Self {
        self.cache_key = key;
        self
    }

    /// Turns the verified-token cache off: every request verifies its token's signature. The
    /// cache never serves a token past its `exp` and drops tokens whose key left the JWKS, but
    /// a deployment that revokes keys out of band, or wants every request to cost the same,
    /// may prefer this.
    pub fn disable_token_cache(mut self) -> Self {
        self.cache = None;
        self
    }

    /// This API as an RFC 9728 protected resource: its metadata document names the verifier's
    /// issuers as authorization servers unless the resource names its own, and when no
    /// [`audience`](Self::audience) is set, tokens must carry the resource identifier in
    /// `aud` (RFC 8707). The tower layer then points every challenge at the document.
    pub fn protected_resource(mut self, resource: ProtectedResource) -> Self {
        self.resource = Some(resource);
        self
    }

    /// Accepts DPoP-bound tokens with their proofs (RFC 9449); see [`Dpop`]. Without it,
    /// sender-constrained tokens are refused. The protected resource's metadata then
    /// publishes the proof algorithms and whether DPoP is required.
    pub fn dpop(mut self, dpop: Dpop) -> Self {
        self.dpop = Some(dpop);
        self
    }

    /// Keeps each revocation ([`Verifier::revoke`]) for `window`, which should be the longest
    /// lifetime of a token this verifier accepts: a revocation forgotten sooner lets the tokens
    /// it named pass again. Defaults to the maximum token age plus the leeway when one is set,
    /// otherwise 24 hours. At most `max` revocations are kept (100,000 by default); beyond,
    /// every token issued before the overflow is refused until the window has passed.
    pub fn revocations(mut self, window: Duration, max: usize) -> Self {
        self.revocation_window = Some(window);
        self.max_revocations = max;
        self
    }

    /// Reads the time from `clock` instead of the system clock: for tests that move time
    /// forward instead of sleeping. Defaults to [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the verifier, fetching every remote key set first (one after the other, each
    /// bounded by the fetch timeout).
    ///
    /// # Errors
    ///
    /// As [`build_static`](Self::build_static), and
    /// [`ErrorKind::KeySourceUnavailable`](crate::ErrorKind::KeySourceUnavailable) when a key
    /// set cannot be fetched (unless [`fetch_keys_lazily`](Self::fetch_keys_lazily)), or
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when a
    /// discovery document names another issuer.
    pub async fn build(self) -> Result<Verifier, Error> {
        let verifier = self.assemble()?;
        #[cfg(feature = "remote")]
        for remote in verifier.remote_sources() {
            if !remote.keys().is_lazy() {
                remote.keys().refresh(0, Cause::Initial).await?;
            }
        }
        #[cfg(feature = "remote")]
        super::shared_revocations::Sharing::start(&verifier.inner).await;
        verifier.start_background_work();
        Ok(verifier)
    }

    /// Builds a verifier without waiting: every issuer has static keys, or fetches its keys
    /// lazily on first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when no
    /// issuer is configured, an issuer is empty or repeated, has no audience or no key that
    /// verifies an allowed algorithm, `HS*` is allowed without an HMAC secret, the leeway is
    /// over 5 minutes, the token size cap is 0 or over 64 KiB, a URL is not https (or loopback
    /// http), or a remote key set would have to be fetched before the verifier is ready.
    pub fn build_static(self) -> Result<Verifier, Error> {
        let verifier = self.assemble()?;
        #[cfg(feature = "remote")]
        if let Some(remote) = verifier.remote_sources().find(|remote| !remote.keys().is_lazy()) {
            return Err(Error::config(format!(
                "the issuer {} fetches its keys: use `build().await`, or `fetch_keys_lazily(true)`",
                remote.keys().issuer()
            )));
        }
        #[cfg(feature = "remote")]
        if verifier.inner.shared_revocations.is_some() {
            return Err(Error::config(
                "shared revocations are read from the store at start: use `build().await`",
            ));
        }
        verifier.start_background_work();
        Ok(verifier)
    }

    #[cfg_attr(not(feature = "remote"), allow(unused_mut))]
    fn assemble(mut self) -> Result<Verifier, Error> {
        if self.leeway > MAX_LEEWAY {
            return Err(Error::config("the leeway may be at most 5 minutes"));
        }
        if self.max_token_bytes == 0 || self.max_token_bytes > MAX_TOKEN_BYTES_LIMIT {
            return Err(Error::config("the token size cap must be between 1 byte and 64 KiB"));
        }
        #[cfg(feature = "remote")]
        self.remote.resolve_client();
        if self.audiences.is_empty()
            && let Some(resource) = &self.resource
        {
            self.audiences.push(resource.resource().as_str().to_owned());
        }
        let defaults = Defaults {
            audiences: &self.audiences,
            algorithms: self.algorithms,
            policy: &self.policy,
            mapping: &self.mapping,
            #[cfg(feature = "remote")]
            clock: &self.clock,
            #[cfg(feature = "remote")]
            remote: &self.remote,
            #[cfg(feature = "remote")]
            leeway: self.leeway.as_secs(),
            #[cfg(feature = "remote")]
            confined: false,
        };
        let mut issuers = Issuers::default();
        for issuer in self.primary.iter().chain(&self.issuers) {
            let entry = issuer.entry(&defaults)?;
            if issuers.insert(entry.issuer.clone(), entry).is_some() {
                return Err(Error::config("an issuer is configured twice"));
            }
        }
        #[cfg(feature = "remote")]
        let tenants = self
            .tenants
            .take()
            .map(|tenants| {
                let defaults = super::tenant_defaults::OwnedDefaults::of(&defaults);
                super::tenants::TenantDirectory::new(tenants, defaults).map(Arc::new)
            })
            .transpose()?;
        #[cfg(feature = "remote")]
        let no_tenants = tenants.is_none();
        #[cfg(not(feature = "remote"))]
        let no_tenants = true;
        if issuers.is_empty() && no_tenants {
            return Err(Error::config("no issuer is configured"));
        }
        let rules = Rules {
            leeway: self.leeway.as_secs(),
            max_age: self.max_age.map(|age| age.as_secs()),
            rfc9068: self.rfc9068,
            max_token_bytes: self.max_token_bytes,
        };
        let cache_key = self.cache_key;
        let cache = self.cache.map(|(entries, bytes)| TokenCache::new(entries, bytes, cache_key));
        let named = self.primary.iter().chain(&self.issuers).map(|issuer| issuer.issuer.as_str());
        let dpop = self.dpop.filter(|dpop| dpop.mode() != DpopMode::Off);
        let resource = self.resource.map(|resource| {
            let resource = match &dpop {
                Some(dpop) => {
                    resource.dpop(dpop.algorithm_list(), dpop.mode() == DpopMode::Required)
                }
                None => resource,
            };
            Arc::new(resource.with_default_servers(named))
        });
        #[cfg(feature = "remote")]
        let introspecting = {
            let mut introspecting =
                issuers.values().filter(|issuer| issuer.introspection.is_some());
            match (introspecting.next(), introspecting.next()) {
                (Some(_), Some(_)) => {
                    return Err(Error::config(
                        "several issuers introspect tokens, and an opaque token does not say whose \
                         it is; configure introspection on one issuer",
                    ));
                }
                (one, _) => one.map(|issuer| Arc::clone(&issuer.issuer)),
            }
        };
        let window = self.revocation_window.unwrap_or_else(|| {
            let window = super::revocation::DEFAULT_REVOCATION_WINDOW;
            self.max_age.map_or(window, |age| age.saturating_add(self.leeway))
        });
        let revocations = super::revocation_set::Revocations::new(window, self.max_revocations);
        let inner = VerifierInner {
            revocations,
            #[cfg(feature = "remote")]
            seen_events: super::signed_event::SeenEvents::default(),
            #[cfg(feature = "remote")]
            shared_revocations: self
                .shared_revocations
                .map(|(store, key)| super::shared_revocations::Sharing::new(store, key)),
            issuers,
            rules,
            cache,
            clock: self.clock,
            resource,
            dpop,
            #[cfg(feature = "remote")]
            tenants,
            #[cfg(feature = "remote")]
            introspecting,
        };
        Ok(Verifier { inner: Arc::new(inner) })
    }
}

/// Settings of remote key sets (feature `remote`).
#[cfg(feature = "remote")]
impl VerifierBuilder {
    /// Trusts the issuers of many tenants, resolved per request and discovered on first use;
    /// see [`Tenants`](crate::Tenants). The issuers configured with [`trust`](Self::trust)
    /// (if any) stay trusted beside them.
    pub fn tenants(mut self, tenants: crate::verifier::tenant::Tenants) -> Self {
        self.tenants = Some(tenants);
        self
    }

    /// Shares revocations with the other replicas of this API through `store`
    /// (`scopegate-redis`'s `RedisRevocations`, say), sealed with `key` (the same secret on
    /// every replica): a revocation taken by any replica is applied by all, and a replica that
    /// starts later reads the ones still in time. See
    /// [`SharedRevocations`](crate::verifier::SharedRevocations) for the guarantee, and
    /// [`build`](Self::build), which waits (at most two seconds) for the current set.
    pub fn shared_revocations(
        mut self,
        store: impl crate::verifier::SharedRevocations,
        key: crate::seal::SealingKey,
    ) -> Self {
        self.shared_revocations = Some((Arc::new(store), key));
        self
    }

    /// Introspects the opaque tokens (or all tokens) of the issuer set with
    /// [`issuer`](Self::issuer); see [`Introspection`](crate::remote::Introspection).
    pub fn introspection(mut self, introspection: crate::remote::Introspection) -> Self {
        self.primary().introspection = Some(introspection);
        self
    }

    /// Exchanges the tokens of the issuer set with [`issuer`](Self::issuer) for downstream
    /// ones (RFC 8693); see [`TokenExchange`](crate::remote::TokenExchange).
    pub fn token_exchange(mut self, exchange: crate::remote::TokenExchange) -> Self {
        self.primary().exchange = Some(exchange);
        self
    }

    /// Fetches key sets and discovery documents with `client`. Defaults to
    /// [`HttpsClient`](crate::remote::HttpsClient) (feature `https-client`).
    pub fn http_client(mut self, client: impl HttpClient) -> Self {
        self.remote.client = Some(Arc::new(client));
        self
    }

    /// The timeout of one fetch. Defaults to 5 seconds.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.remote.timeout = timeout;
        self
    }

    /// The least time between two refetches caused by unknown `kid`s or missing keys.
    /// Defaults to 30 seconds.
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.remote.cooldown = cooldown;
        self
    }

    /// How long a key set served without `Cache-Control: max-age` stays fresh. Defaults to 10
    /// minutes.
    pub fn keys_ttl(mut self, ttl: Duration) -> Self {
        self.remote.default_ttl = ttl;
        self
    }

    /// The bounds a key set's `max-age` is clamped to. Defaults to 1 minute .. 24 hours.
    pub fn keys_ttl_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.remote.ttl_bounds = (min, max);
        self
    }

    /// Allows plain `http` for non-loopback issuers and JWKS URLs. Off by default: keys
    /// fetched over plain http can be replaced by anyone on the path.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.remote.allow_http = allow;
        self
    }

    /// Fetches key sets on first use instead of at build time, so that the service starts
    /// while the identity provider is down (requests get `503` until the keys arrive). Off by
    /// default: the build fails when keys cannot be had.
    pub fn fetch_keys_lazily(mut self, lazy: bool) -> Self {
        self.remote.lazy = lazy;
        self
    }
}

impl std::fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let issuers: Vec<&str> =
            self.primary.iter().chain(&self.issuers).map(|i| i.issuer.as_str()).collect();
        f.debug_struct("VerifierBuilder")
            .field("issuers", &issuers)
            .field("audiences", &self.audiences)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// The remote key sets of this verifier.
    #[cfg(feature = "remote")]
    fn remote_sources(&self) -> impl Iterator<Item = &crate::remote::tasks::RemoteSource> + '_ {
        let configured = self.inner.issuers.values().filter_map(|issuer| match &issuer.keys {
            KeySource::Remote(remote) => Some(&**remote),
            KeySource::Static(_) => None,
        });
        configured.chain(self.inner.tenants.iter().flat_map(|tenants| tenants.shared_sources()))
    }

    /// Starts what runs in the background: the refreshers of remote key sets.
    fn start_background_work(&self) {
        #[cfg(feature = "remote")]
        for remote in self.remote_sources() {
            remote.spawn_refresher();
        }
    }
}
