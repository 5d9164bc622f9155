//! An identity provider in a box: an issuer name, its keys, and the verifier that trusts it.

use scopegate_core::{KeySet, Verifier, VerifierBuilder};
use serde_json::{Value, json};

use crate::key::TestKey;
use crate::token::TokenBuilder;

/// The issuer name [`TestIssuer::new`] uses.
pub const DEFAULT_ISSUER: &str = "https://id.scopegate.test";
/// The audience tokens carry unless told otherwise, and the verifier accepts.
pub const DEFAULT_AUDIENCE: &str = "https://api.scopegate.test";

/// A test identity provider: an issuer name and signing keys (the first signs by default).
///
/// ```
/// use scopegate_testkit::{TestIssuer, TestKey};
///
/// let issuer = TestIssuer::named("https://realm-a.test").with_key(TestKey::ec_p256());
/// assert_eq!(issuer.issuer(), "https://realm-a.test");
/// let token = issuer.token().sign();
/// assert!(issuer.verifier().verify_now(&token).into_ready().unwrap().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct TestIssuer {
    issuer: String,
    audience: String,
    keys: Vec<TestKey>,
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIssuer {
    /// [`DEFAULT_ISSUER`] with a fresh RSA key.
    pub fn new() -> Self {
        Self::named(DEFAULT_ISSUER)
    }

    /// An issuer called `issuer`, with a fresh RSA key.
    pub fn named(issuer: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            keys: vec![TestKey::rsa()],
        }
    }

    /// Replaces the keys with `key` alone.
    #[must_use]
    pub fn with_key(mut self, key: TestKey) -> Self {
        self.keys = vec![key];
        self
    }

    /// Adds a key to the published set (the first key still signs by default).
    #[must_use]
    pub fn add_key(mut self, key: TestKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Uses `audience` as the default `aud` of tokens and of [`verifier`](Self::verifier).
    #[must_use]
    pub fn with_audience(mut self, audience: &str) -> Self {
        self.audience = audience.to_owned();
        self
    }

    /// The issuer name (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The default audience.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The signing key.
    ///
    /// # Panics
    ///
    /// Never: an issuer always has a key.
    #[allow(clippy::expect_used)]
    pub fn key(&self) -> &TestKey {
        self.keys.first().expect("a test issuer always has a key")
    }

    /// Every key, signing key first.
    pub fn keys(&self) -> &[TestKey] {
        &self.keys
    }

    /// A token signed by the first key, with valid defaults (see [`TokenBuilder`]).
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(self.key().clone(), &self.issuer, &self.audience)
    }

    /// A token signed by `key` (its `kid` and `alg` in the header).
    pub fn token_with_key(&self, key: &TestKey) -> TokenBuilder {
        TokenBuilder::new(key.clone(), &self.issuer, &self.audience)
    }

    /// The public keys as a JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(TestKey::public_jwk).collect::<Vec<_>>() })
    }

    /// The public keys as JWKS text.
    pub fn jwks_json(&self) -> String {
        self.jwks().to_string()
    }

    /// The keys as scopegate verifies them.
    pub fn key_set(&self) -> KeySet {
        self.keys.iter().map(TestKey::verification_key).collect()
    }

    /// A verifier builder that trusts this issuer and its default audience; add settings and
    /// call `build_static`.
    pub fn verifier_builder(&self) -> VerifierBuilder {
        Verifier::builder()
            .issuer(self.issuer.clone())
            .audience(self.audience.clone())
            .keys(self.key_set())
    }

    /// A verifier with default settings that trusts this issuer and its default audience.
    ///
    /// # Panics
    ///
    /// If the verifier cannot be built, which would be a bug in scopegate or in this kit.
    #[allow(clippy::expect_used)]
    pub fn verifier(&self) -> Verifier {
        self.verifier_builder().build_static().expect("test verifier")
    }
}
