//! [`TrustedIssuer`]: one issuer a verifier trusts, and how it becomes an [`IssuerEntry`].

use std::sync::Arc;

#[cfg(feature = "remote")]
use super::introspect::IntrospectionState;
use super::issuer::{IssuerEntry, KeySource};
#[cfg(feature = "remote")]
use super::signed_answer::{AnswerKeys, SignedAnswerCheck};
use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::claims::ClaimMapping;
#[cfg(feature = "remote")]
use crate::clock::Clock;
use crate::error::Error;
use crate::key::store::KeyStore;
use crate::key::{KeySet, VerificationKey};
#[cfg(feature = "remote")]
use crate::remote::HttpClient;
#[cfg(feature = "remote")]
use crate::remote::introspection::{Introspection, Introspector};
#[cfg(feature = "remote")]
use crate::remote::metadata::IssuerMetadata;
#[cfg(feature = "remote")]
use crate::remote::{checked_uri, keys::RemoteKeys, settings::RemoteSettings, tasks::RemoteSource};
use crate::scope::ScopePolicy;

/// One issuer a verifier trusts, with its own keys and, optionally, its own audiences,
/// algorithms, scope policy and claim mapping (each defaults to the verifier's).
///
/// Keys come from, in order of precedence: [`jwks_uri`](Self::jwks_uri) (feature `remote`),
/// static [`key`](Self::key)s, or else discovery from the issuer URL (feature `remote`).
///
/// The scope policy and the claim mapping belong to the issuer because they describe how its
/// tokens are written: one realm names scopes as a tree (`order:item`), another uses Auth0's
/// `read:posts`, where a hierarchy would let `read` grant every `read:*`.
///
/// ```
/// use scopegate_core::{ScopePolicy, TrustedIssuer, Verifier};
///
/// # let (realm_a, realm_b) = (scopegate_testkit::TestIssuer::new(), scopegate_testkit::TestIssuer::new());
/// let verifier = Verifier::builder()
///     .trust(
///         TrustedIssuer::new("https://id.example.com/realms/a")
///             .audience("orders-api")
///             .scope_policy(ScopePolicy::hierarchical(':'))
///             .keys(realm_a.key_set()),
///     )
///     .trust(TrustedIssuer::new("https://id.example.com/realms/b").audience("billing-api").keys(realm_b.key_set()))
///     .build_static()?;
/// assert_eq!(verifier.issuers().count(), 2);
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct TrustedIssuer {
    pub(super) issuer: String,
    pub(super) audiences: Vec<String>,
    pub(super) keys: Vec<VerificationKey>,
    pub(super) algorithms: Option<AlgorithmSet>,
    pub(super) jwks_uri: Option<String>,
    pub(super) policy: Option<ScopePolicy>,
    pub(super) mapping: Option<ClaimMapping>,
    pub(super) cognito_clients: Option<Vec<String>>,
    #[cfg(feature = "remote")]
    pub(super) event_audience: Option<String>,
    #[cfg(feature = "remote")]
    pub(super) introspection: Option<Introspection>,
    #[cfg(feature = "remote")]
    pub(super) exchange: Option<crate::remote::TokenExchange>,
}

/// An authorization server endpoint (if configured), the client to call it with, and the
/// discovery document that finds it otherwise.
#[cfg(feature = "remote")]
type ServerEndpoint = (Option<http::Uri>, Arc<dyn HttpClient>, Arc<IssuerMetadata>);

/// What the verifier gives each issuer that does not set its own.
pub(crate) struct Defaults<'a> {
    pub(super) audiences: &'a [String],
    pub(super) algorithms: Option<AlgorithmSet>,
    pub(super) policy: &'a ScopePolicy,
    pub(super) mapping: &'a ClaimMapping,
    #[cfg(feature = "remote")]
    pub(super) clock: &'a Arc<dyn Clock>,
    #[cfg(feature = "remote")]
    pub(super) remote: &'a RemoteSettings,
    /// The clock leeway, in seconds.
    #[cfg(feature = "remote")]
    pub(super) leeway: u64,
    /// Whether discovery documents must keep their endpoints on the issuer's origin (tenants).
    #[cfg(feature = "remote")]
    pub(super) confined: bool,
}

impl TrustedIssuer {
    /// Trusts `issuer`: tokens whose `iss` equals it exactly (no normalisation, so
    /// `https://id.example.com/` is a different issuer) are verified with this issuer's keys.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audiences: Vec::new(),
            keys: Vec::new(),
            algorithms: None,
            jwks_uri: None,
            policy: None,
            mapping: None,
            cognito_clients: None,
            #[cfg(feature = "remote")]
            event_audience: None,
            #[cfg(feature = "remote")]
            introspection: None,
            #[cfg(feature = "remote")]
            exchange: None,
        }
    }

    /// AWS Cognito access tokens: they carry no `aud`, so this issuer's tokens are accepted
    /// only when `client_id` is one of `app_clients` (the app clients allowed to call this
    /// API) and `token_use` is `access` (an ID token of the same pool is refused). Replaces
    /// the audience check for this issuer; `aud`, if a token has one, is not read.
    ///
    /// ```
    /// use scopegate_core::TrustedIssuer;
    ///
    /// let cognito = TrustedIssuer::new("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf")
    ///     .cognito_app_clients(["4g6s3ndtqrlvq0rbb0hnvq5h5u"]);
    /// # let _ = cognito;
    /// ```
    pub fn cognito_app_clients<I, S>(mut self, app_clients: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cognito_clients = Some(app_clients.into_iter().map(Into::into).collect());
        self
    }

    /// Accepts this issuer's tokens only when their `aud` includes `audience`, replacing any
    /// audience set before. Without one, the verifier's audiences apply.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences = vec![audience.into()];
        self
    }

    /// Also accepts tokens whose `aud` includes `audience`, besides those set with
    /// [`audience`](Self::audience) (an API known by two names during a migration, say).
    pub fn also_accept_audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The `aud` this issuer's logout tokens and security events name (this API's client id
    /// at the provider, OpenID Connect Back-Channel Logout section 2.4), instead of the access
    /// tokens' audiences: the client id then need not be accepted as an access-token audience.
    #[cfg(feature = "remote")]
    pub fn event_audience(mut self, client_id: impl Into<String>) -> Self {
        self.event_audience = Some(client_id.into());
        self
    }

    /// Adds one static key.
    pub fn key(mut self, key: VerificationKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds every key of a static key set.
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.keys.extend(keys);
        self
    }

    /// Fetches the issuer's keys from this JWKS URL, skipping discovery.
    #[cfg(feature = "remote")]
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Restricts this issuer's tokens to these algorithms, overriding the verifier's list.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// How this issuer's granted scopes match required ones. Defaults to the verifier's
    /// ([`ScopePolicy::exact`] unless set there).
    pub fn scope_policy(mut self, policy: ScopePolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Where this issuer puts scopes and roles. Defaults to the verifier's
    /// ([`ClaimMapping::default`] unless set there).
    pub fn claim_mapping(mut self, mapping: ClaimMapping) -> Self {
        self.mapping = Some(mapping);
        self
    }

    /// Introspects this issuer's opaque tokens (or all its tokens) at its introspection
    /// endpoint (RFC 7662). At most one issuer of a verifier may take opaque tokens, since an
    /// opaque token does not say whose it is.
    #[cfg(feature = "remote")]
    pub fn introspection(mut self, introspection: Introspection) -> Self {
        self.introspection = Some(introspection);
        self
    }

    /// Exchanges this issuer's tokens for downstream ones (RFC 8693); see
    /// [`TokenExchange`](crate::remote::TokenExchange).
    #[cfg(feature = "remote")]
    pub fn token_exchange(mut self, exchange: crate::remote::TokenExchange) -> Self {
        self.exchange = Some(exchange);
        self
    }

    /// The issuer, as tokens name it.
    pub fn name(&self) -> &str {
        &self.issuer
    }

    /// Whether the keys of this issuer are fetched rather than given.
    fn is_remote(&self) -> bool {
        self.jwks_uri.is_some() || self.keys.is_empty()
    }

    /// These settings for another issuer (a tenant of a pattern).
    #[cfg(feature = "remote")]
    pub(crate) fn renamed(&self, issuer: &str) -> Self {
        Self { issuer: issuer.to_owned(), ..self.clone() }
    }

    /// The issuer as the verifier holds it, with `defaults` for what this issuer does not set.
    pub(super) fn entry(&self, defaults: &Defaults<'_>) -> Result<IssuerEntry, Error> {
        #[cfg(feature = "remote")]
        return self.entry_sharing(defaults, None);
        #[cfg(not(feature = "remote"))]
        self.entry_sharing(defaults)
    }

    /// [`entry`](Self::entry), with the key set `shared` by every tenant of a pattern, if any.
    pub(super) fn entry_sharing(
        &self,
        defaults: &Defaults<'_>,
        #[cfg(feature = "remote")] shared: Option<Arc<RemoteSource>>,
    ) -> Result<IssuerEntry, Error> {
        let name = &self.issuer;
        if name.is_empty() {
            return Err(Error::config(
                "an issuer is empty; call `issuer(...)` with the `iss` tokens carry",
            ));
        }
        let audiences =
            if self.audiences.is_empty() { defaults.audiences } else { &self.audiences };
        if let Some(clients) = &self.cognito_clients
            && clients.is_empty()
        {
            return Err(Error::config(format!("the issuer {name} has an empty app client list")));
        }
        if audiences.is_empty() && self.cognito_clients.is_none() {
            return Err(Error::config(format!(
                "the issuer {name} has no audience; call `audience(...)`"
            )));
        }
        let algorithms = self.allowed_algorithms(defaults.algorithms)?;
        #[cfg(feature = "remote")]
        let metadata = if shared.is_some() { None } else { self.metadata(defaults)? };
        #[cfg(feature = "remote")]
        if let Some(shared) = shared {
            return self.finish_entry(defaults, algorithms, KeySource::Remote(shared), metadata);
        }
        let keys = if self.is_remote() {
            #[cfg(feature = "remote")]
            let keys = self.remote_keys(defaults, algorithms, metadata.clone())?;
            #[cfg(not(feature = "remote"))]
            let keys = self.remote_keys(defaults, algorithms)?;
            keys
        } else {
            let store = KeyStore::new(&self.keys, algorithms);
            if store.len() == 0 {
                return Err(Error::config(format!(
                    "the issuer {name} has no key for an allowed algorithm"
                )));
            }
            KeySource::Static(Arc::new(store))
        };
        #[cfg(feature = "remote")]
        return self.finish_entry(defaults, algorithms, keys, metadata);
        #[cfg(not(feature = "remote"))]
        self.finish_entry(defaults, algorithms, keys)
    }

    fn finish_entry(
        &self,
        defaults: &Defaults<'_>,
        algorithms: AlgorithmSet,
        keys: KeySource,
        #[cfg(feature = "remote")] metadata: Option<Arc<IssuerMetadata>>,
    ) -> Result<IssuerEntry, Error> {
        let audiences =
            if self.audiences.is_empty() { defaults.audiences } else { &self.audiences };
        let issuer: Arc<str> = Arc::from(self.issuer.as_str());
        Ok(IssuerEntry {
            tenant: None,
            #[cfg(feature = "remote")]
            exchange: self.exchange_state(defaults, &issuer, metadata.clone())?,
            #[cfg(feature = "remote")]
            introspection: self
                .introspection_state(defaults, &issuer, algorithms, &keys, metadata)?,
            issuer,
            audiences: audiences.iter().map(|a| a.as_str().into()).collect(),
            algorithms,
            keys,
            policy: Arc::new(self.policy.clone().unwrap_or_else(|| defaults.policy.clone())),
            mapping: self.mapping.clone().unwrap_or_else(|| defaults.mapping.clone()),
            cognito_clients: self
                .cognito_clients
                .as_ref()
                .map(|clients| clients.iter().map(|client| client.as_str().into()).collect()),
            #[cfg(feature = "remote")]
            event_audience: self.event_audience.as_deref().map(Into::into),
        })
    }

    /// The allowlist: as configured, or every asymmetric algorithm plus `HS*` when the issuer
    /// has an HMAC secret.
    pub(super) fn allowed_algorithms(
        &self,
        default: Option<AlgorithmSet>,
    ) -> Result<AlgorithmSet, Error> {
        let has_secret = self.keys.iter().any(VerificationKey::is_symmetric);
        match self.algorithms.or(default) {
            Some(chosen) if chosen.is_empty() => {
                Err(Error::config(format!("the algorithm list of {} is empty", self.issuer)))
            }
            Some(chosen) if !has_secret && chosen.iter().any(Algorithm::is_symmetric) => {
                Err(Error::config(format!(
                    "HS* is allowed for {}, which has no HMAC secret",
                    self.issuer
                )))
            }
            Some(chosen) => Ok(chosen),
            None => {
                let mut defaults = AlgorithmSet::asymmetric();
                if has_secret {
                    for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                        defaults.insert(algorithm);
                    }
                }
                Ok(defaults)
            }
        }
    }

    #[cfg(not(feature = "remote"))]
    fn remote_keys(&self, _: &Defaults<'_>, _: AlgorithmSet) -> Result<KeySource, Error> {
        Err(Error::config(format!(
            "the issuer {} has no keys; add keys, or enable the `remote` feature for discovery",
            self.issuer
        )))
    }

    /// The issuer's discovery document, shared by its keys and its introspection; `None` when
    /// neither needs it.
    #[cfg(feature = "remote")]
    fn metadata(&self, defaults: &Defaults<'_>) -> Result<Option<Arc<IssuerMetadata>>, Error> {
        let needs_keys = self.is_remote() && self.jwks_uri.is_none();
        let needs_endpoint = self
            .introspection
            .as_ref()
            .is_some_and(|introspection| introspection.endpoint.is_none())
            || self.exchange.as_ref().is_some_and(|exchange| exchange.endpoint.is_none());
        if !needs_keys && !needs_endpoint {
            return Ok(None);
        }
        let settings = defaults.remote;
        // Discovery: check the issuer URL now rather than on the first request.
        checked_uri(&self.issuer, settings.allow_http, "issuer")?;
        let client = settings.client_for(&self.issuer)?;
        let metadata = IssuerMetadata::new(&self.issuer, settings.clone(), client);
        Ok(Some(Arc::new(metadata.confined(defaults.confined))))
    }

    /// An authorization server endpoint of this issuer: `configured` (checked now), or the one
    /// discovery will find; with the HTTP client and the discovery document to ask.
    #[cfg(feature = "remote")]
    fn endpoint_of(
        &self,
        defaults: &Defaults<'_>,
        configured: Option<&str>,
        what: &str,
        metadata: Option<Arc<IssuerMetadata>>,
    ) -> Result<ServerEndpoint, Error> {
        let settings = defaults.remote;
        let endpoint =
            configured.map(|url| checked_uri(url, settings.allow_http, what)).transpose()?;
        let client = settings.client_for(&self.issuer)?;
        // Without a configured endpoint, `metadata` is there: `metadata()` made sure.
        let metadata = metadata.unwrap_or_else(|| {
            Arc::new(IssuerMetadata::new(&self.issuer, settings.clone(), Arc::clone(&client)))
        });
        Ok((endpoint, client, metadata))
    }

    #[cfg(feature = "remote")]
    fn exchange_state(
        &self,
        defaults: &Defaults<'_>,
        issuer: &Arc<str>,
        metadata: Option<Arc<IssuerMetadata>>,
    ) -> Result<Option<Arc<super::exchange::ExchangeState>>, Error> {
        let Some(config) = &self.exchange else { return Ok(None) };
        let settings = defaults.remote;
        let (endpoint, client, metadata) =
            self.endpoint_of(defaults, config.endpoint.as_deref(), "token endpoint", metadata)?;
        let exchanger = crate::remote::exchange::Exchanger::new(
            Arc::clone(issuer),
            config.clone(),
            endpoint,
            metadata,
            client,
            settings.timeout,
        );
        Ok(Some(Arc::new(super::exchange::ExchangeState::new(exchanger, settings.timeout))))
    }

    #[cfg(feature = "remote")]
    fn introspection_state(
        &self,
        defaults: &Defaults<'_>,
        issuer: &Arc<str>,
        algorithms: AlgorithmSet,
        keys: &KeySource,
        metadata: Option<Arc<IssuerMetadata>>,
    ) -> Result<Option<Arc<IntrospectionState>>, Error> {
        let Some(config) = &self.introspection else { return Ok(None) };
        let settings = defaults.remote;
        let (endpoint, client, metadata) = self.endpoint_of(
            defaults,
            config.endpoint.as_deref(),
            "introspection endpoint",
            metadata,
        )?;
        let introspector = Introspector::new(
            Arc::clone(issuer),
            config.clone(),
            endpoint,
            metadata,
            client,
            settings.timeout,
        );
        // Signed answers (RFC 9701) are checked with the keys the issuer's tokens are.
        let signed = config.signed_answers.then(|| SignedAnswerCheck {
            issuer: Arc::clone(issuer),
            audience: config.client_id.as_str().into(),
            algorithms,
            keys: AnswerKeys::of(keys),
            leeway: defaults.leeway,
        });
        let state = IntrospectionState::new(introspector, signed, settings.timeout);
        Ok(Some(Arc::new(state)))
    }

    #[cfg(feature = "remote")]
    fn remote_keys(
        &self,
        defaults: &Defaults<'_>,
        algorithms: AlgorithmSet,
        metadata: Option<Arc<IssuerMetadata>>,
    ) -> Result<KeySource, Error> {
        let name = &self.issuer;
        if !self.keys.is_empty() {
            return Err(Error::config(format!(
                "the issuer {name} has both static keys and a jwks_uri; choose one"
            )));
        }
        let settings = defaults.remote;
        let client = settings.client_for(name)?;
        let jwks_uri = match &self.jwks_uri {
            Some(uri) => Some(checked_uri(uri, settings.allow_http, "jwks_uri")?),
            None => None,
        };
        let metadata = metadata.unwrap_or_else(|| {
            Arc::new(IssuerMetadata::new(name, settings.clone(), Arc::clone(&client)))
        });
        let keys = RemoteKeys::new(
            name,
            jwks_uri,
            metadata,
            settings.clone(),
            client,
            algorithms,
            Arc::clone(defaults.clock),
        );
        // A tenant's key set (discovery confined to its origin) is not named in metrics.
        let keys = if defaults.confined { keys.of_tenant() } else { keys };
        Ok(KeySource::Remote(Arc::new(RemoteSource::new(keys))))
    }
}
