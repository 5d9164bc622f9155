//! Configuring a [`Verifier`]: issuers, audiences, keys, and the rules tokens must pass.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::rules::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, MAX_LEEWAY, Rules};
use super::{IssuerEntry, Verifier, VerifierInner};
use crate::algorithms::{AlgorithmSet, is_symmetric};
use crate::claims::ClaimMapping;
use crate::error::Error;
use crate::key::store::KeyStore;
use crate::key::{KeySet, VerificationKey};
use crate::scope::ScopePolicy;

/// The largest token size cap a verifier accepts.
pub const MAX_TOKEN_BYTES_LIMIT: usize = 64 * 1024;

/// One issuer a verifier trusts, with its own keys and, optionally, its own audiences and
/// algorithms.
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
pub struct TrustedIssuer {
    issuer: String,
    audiences: Vec<String>,
    keys: Vec<VerificationKey>,
    algorithms: Option<AlgorithmSet>,
}

impl TrustedIssuer {
    /// Trusts `issuer`: tokens whose `iss` equals it exactly (no normalisation, so
    /// `https://id.example.com/` is a different issuer) are verified with this issuer's keys.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self { issuer: issuer.into(), audiences: Vec::new(), keys: Vec::new(), algorithms: None }
    }

    /// Accepts tokens whose `aud` includes `audience`. Without any, the verifier's audiences
    /// apply.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Adds one key.
    #[must_use]
    pub fn key(mut self, key: VerificationKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds every key of a key set.
    #[must_use]
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.keys.extend(keys);
        self
    }

    /// Restricts this issuer's tokens to these algorithms, overriding the verifier's list.
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }
}

/// Builds a [`Verifier`]; start with [`Verifier::builder`].
///
/// The shorthand methods ([`issuer`](Self::issuer), [`key`](Self::key), [`keys`](Self::keys))
/// configure one issuer; [`trust`](Self::trust) adds more.
#[derive(Clone, Debug)]
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

    /// Adds a key of the issuer set with [`issuer`](Self::issuer).
    pub fn key(mut self, key: VerificationKey) -> Self {
        self.primary().keys.push(key);
        self
    }

    /// Adds the keys of the issuer set with [`issuer`](Self::issuer).
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.primary().keys.extend(keys);
        self
    }

    /// Trusts another issuer, with its own keys.
    pub fn trust(mut self, issuer: TrustedIssuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Accepts tokens whose `aud` includes `audience` (for every issuer without audiences of
    /// its own). At least one audience is required: a resource server that skips the audience
    /// check accepts tokens meant for other APIs.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
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

    /// Where scopes and roles are read from. Defaults to [`ClaimMapping::default`].
    pub fn claim_mapping(mut self, mapping: ClaimMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// How required scopes match granted ones. Defaults to [`ScopePolicy::exact`].
    pub fn scope_policy(mut self, policy: ScopePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds the verifier. Waits for nothing when every issuer has static keys.
    ///
    /// # Errors
    ///
    /// As [`build_static`](Self::build_static).
    pub async fn build(self) -> Result<Verifier, Error> {
        self.build_static()
    }

    /// Builds a verifier whose issuers all have static keys, without an async runtime.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when no
    /// issuer is configured, an issuer is empty or repeated, has no audience or no key that
    /// verifies an allowed algorithm, `HS*` is allowed without an HMAC secret, the leeway is
    /// over 5 minutes, or the token size cap is 0 or over 64 KiB.
    pub fn build_static(self) -> Result<Verifier, Error> {
        if self.leeway > MAX_LEEWAY {
            return Err(Error::config("the leeway may be at most 5 minutes"));
        }
        if self.max_token_bytes == 0 || self.max_token_bytes > MAX_TOKEN_BYTES_LIMIT {
            return Err(Error::config("the token size cap must be between 1 byte and 64 KiB"));
        }
        let mut issuers = HashMap::new();
        for issuer in self.primary.iter().chain(&self.issuers) {
            let entry = self.issuer_entry(issuer)?;
            if issuers.insert(entry.issuer.clone(), entry).is_some() {
                return Err(Error::config("an issuer is configured twice"));
            }
        }
        if issuers.is_empty() {
            return Err(Error::config("no issuer is configured"));
        }
        let rules = Rules {
            leeway: self.leeway.as_secs(),
            max_age: self.max_age.map(|age| age.as_secs()),
            rfc9068: self.rfc9068,
            max_token_bytes: self.max_token_bytes,
            mapping: self.mapping,
            policy: self.policy,
        };
        Ok(Verifier { inner: Arc::new(VerifierInner { issuers, rules }) })
    }

    fn issuer_entry(&self, issuer: &TrustedIssuer) -> Result<IssuerEntry, Error> {
        if issuer.issuer.is_empty() {
            return Err(Error::config(
                "an issuer is empty; call `issuer(...)` with the `iss` tokens carry",
            ));
        }
        let name = &issuer.issuer;
        let audiences =
            if issuer.audiences.is_empty() { &self.audiences } else { &issuer.audiences };
        if audiences.is_empty() {
            return Err(Error::config(format!(
                "the issuer {name} has no audience; call `audience(...)`"
            )));
        }
        let has_secret = issuer.keys.iter().any(VerificationKey::is_symmetric);
        let algorithms = match issuer.algorithms.or(self.algorithms) {
            Some(chosen) => {
                if !has_secret && chosen.iter().any(is_symmetric) {
                    return Err(Error::config(format!(
                        "HS* is allowed for {name}, which has no HMAC secret"
                    )));
                }
                chosen
            }
            None => {
                let mut defaults = AlgorithmSet::asymmetric();
                if has_secret {
                    for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                        defaults.insert(algorithm);
                    }
                }
                defaults
            }
        };
        let keys = KeyStore::new(&issuer.keys, algorithms)?;
        if keys.len() == 0 {
            return Err(Error::config(format!(
                "the issuer {name} has no key for an allowed algorithm"
            )));
        }
        Ok(IssuerEntry {
            issuer: name.as_str().into(),
            audiences: audiences.iter().map(|a| a.as_str().into()).collect(),
            algorithms,
            keys,
        })
    }
}
