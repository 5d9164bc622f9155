//! [`TrustedIssuer`]: one issuer a verifier trusts, and how it becomes an [`IssuerEntry`].

use jsonwebtoken::Algorithm;
use std::sync::Arc;

use super::issuer::{IssuerEntry, KeySource};
use crate::algorithms::{AlgorithmSet, is_symmetric};
use crate::error::Error;
use crate::key::store::KeyStore;
use crate::key::{KeySet, VerificationKey};
#[cfg(feature = "remote")]
use crate::remote::{checked_uri, keys::RemoteKeys, settings::RemoteSettings};

/// The remote settings the builder hands each issuer: none without the `remote` feature.
#[cfg(feature = "remote")]
pub(super) type RemoteOptions = Option<RemoteSettings>;
/// The remote settings the builder hands each issuer: none without the `remote` feature.
#[cfg(not(feature = "remote"))]
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RemoteOptions;

/// One issuer a verifier trusts, with its own keys and, optionally, its own audiences and
/// algorithms.
///
/// Keys come from, in order of precedence: [`jwks_uri`](Self::jwks_uri) (feature `remote`),
/// static [`key`](Self::key)s, or else discovery from the issuer URL (feature `remote`).
///
/// ```
/// use scopegate_core::{TrustedIssuer, Verifier};
///
/// # let (realm_a, realm_b) = (scopegate_testkit::TestIssuer::new(), scopegate_testkit::TestIssuer::new());
/// let verifier = Verifier::builder()
///     .trust(TrustedIssuer::new("https://id.example.com/realms/a").audience("orders-api").keys(realm_a.key_set()))
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
        }
    }

    /// Accepts tokens whose `aud` includes `audience`. Without any, the verifier's audiences
    /// apply.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
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

    /// Whether the keys of this issuer are fetched rather than given.
    pub(super) fn is_remote(&self) -> bool {
        self.jwks_uri.is_some() || self.keys.is_empty()
    }

    /// The issuer as the verifier holds it, with `audiences` and `algorithms` as the defaults
    /// for what this issuer does not set.
    pub(super) fn entry(
        &self,
        audiences: &[String],
        algorithms: Option<AlgorithmSet>,
        remote: &RemoteOptions,
    ) -> Result<IssuerEntry, Error> {
        let name = &self.issuer;
        if name.is_empty() {
            return Err(Error::config(
                "an issuer is empty; call `issuer(...)` with the `iss` tokens carry",
            ));
        }
        let audiences = if self.audiences.is_empty() { audiences } else { &self.audiences };
        if audiences.is_empty() {
            return Err(Error::config(format!(
                "the issuer {name} has no audience; call `audience(...)`"
            )));
        }
        let algorithms = self.allowed_algorithms(algorithms)?;
        let keys = if self.is_remote() {
            self.remote_keys(remote, algorithms)?
        } else {
            let store = KeyStore::new(&self.keys, algorithms)?;
            if store.len() == 0 {
                return Err(Error::config(format!(
                    "the issuer {name} has no key for an allowed algorithm"
                )));
            }
            KeySource::Static(store)
        };
        Ok(IssuerEntry {
            issuer: Arc::from(name.as_str()),
            audiences: audiences.iter().map(|a| a.as_str().into()).collect(),
            algorithms,
            keys,
        })
    }

    /// The allowlist: as configured, or every asymmetric algorithm plus `HS*` when the issuer
    /// has an HMAC secret.
    fn allowed_algorithms(&self, default: Option<AlgorithmSet>) -> Result<AlgorithmSet, Error> {
        let has_secret = self.keys.iter().any(VerificationKey::is_symmetric);
        match self.algorithms.or(default) {
            Some(chosen) if !has_secret && chosen.iter().any(is_symmetric) => Err(Error::config(
                format!("HS* is allowed for {}, which has no HMAC secret", self.issuer),
            )),
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
    fn remote_keys(&self, _: &RemoteOptions, _: AlgorithmSet) -> Result<KeySource, Error> {
        Err(Error::config(format!(
            "the issuer {} has no keys; add keys, or enable the `remote` feature for discovery",
            self.issuer
        )))
    }

    #[cfg(feature = "remote")]
    fn remote_keys(
        &self,
        settings: &RemoteOptions,
        algorithms: AlgorithmSet,
    ) -> Result<KeySource, Error> {
        let name = &self.issuer;
        if !self.keys.is_empty() {
            return Err(Error::config(format!(
                "the issuer {name} has both static keys and a jwks_uri; choose one"
            )));
        }
        let Some(settings) = settings else {
            return Err(Error::config(format!(
                "the issuer {name} fetches its keys, but no HTTP client is configured: enable the \
                 `https-client` feature or call `http_client(...)`"
            )));
        };
        let jwks_uri = match &self.jwks_uri {
            Some(uri) => Some(checked_uri(uri, settings.allow_http, "jwks_uri")?),
            None => {
                // Discovery: check the issuer URL now rather than on the first request.
                checked_uri(name, settings.allow_http, "issuer")?;
                None
            }
        };
        let keys = RemoteKeys::new(name, jwks_uri, settings.clone(), algorithms);
        Ok(KeySource::Remote(Arc::new(keys)))
    }
}
