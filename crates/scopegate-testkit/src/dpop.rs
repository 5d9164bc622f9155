//! DPoP proofs (RFC 9449 section 4.2), valid or deliberately broken, and the thumbprint a
//! bound token carries.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scopegate_core::{Algorithm, NumericDate};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::key::TestKey;
use crate::token::signing_input;

static NEXT_PROOF: AtomicU64 = AtomicU64::new(1);

/// Builds one DPoP proof. Start with [`TestKey::dpop_proof`].
///
/// The defaults make a valid proof: header `typ: dpop+jwt`, the key's `alg` and its public
/// `jwk`; claims a unique `jti`, `htm`, `htu` and `iat` now. Add `ath` with
/// [`access_token`](Self::access_token).
///
/// ```
/// use scopegate_testkit::{TestIssuer, TestKey};
///
/// let client = TestKey::ec_p256();
/// let issuer = TestIssuer::new();
/// let token = issuer.token().bound_to(&client).sign();
/// let proof = client.dpop_proof("GET", "https://api.example.com/orders").access_token(&token).sign();
/// assert_eq!(proof.split('.').count(), 3);
/// ```
#[derive(Clone)]
#[must_use]
pub struct DpopProofBuilder {
    key: TestKey,
    algorithm: Algorithm,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl TestKey {
    /// A proof for a `method` request to `uri`, signed with this key.
    pub fn dpop_proof(&self, method: &str, uri: &str) -> DpopProofBuilder {
        DpopProofBuilder::new(self.clone(), method, uri)
    }

    /// The public JWK as a DPoP proof carries it: key type and key members only.
    pub fn dpop_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        if let Value::Object(members) = &mut jwk {
            for name in ["kid", "alg", "use"] {
                members.remove(name);
            }
        }
        jwk
    }

    /// The RFC 7638 thumbprint of the public key: the `cnf.jkt` of a token bound to it.
    ///
    /// # Panics
    ///
    /// For an HMAC key, which has no public key.
    #[allow(clippy::expect_used)]
    pub fn thumbprint(&self) -> String {
        scopegate_core::dpop::jwk_thumbprint(&self.dpop_jwk().to_string())
            .expect("an asymmetric test key has a thumbprint")
    }
}

/// `ath`: the base64url SHA-256 of an access token (RFC 9449 section 4.2).
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

impl DpopProofBuilder {
    fn new(key: TestKey, method: &str, uri: &str) -> Self {
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert("jwk".into(), key.dpop_jwk());
        let mut claims = Map::new();
        // Unique within the process and unguessable across processes, as RFC 9449 asks.
        let mut random = [0u8; 12];
        let _ = aws_lc_rs::rand::fill(&mut random);
        let jti = format!(
            "{}-{}",
            NEXT_PROOF.fetch_add(1, Ordering::Relaxed),
            URL_SAFE_NO_PAD.encode(random)
        );
        for (name, value) in [
            ("jti", json!(jti)),
            ("htm", json!(method)),
            ("htu", json!(uri)),
            ("iat", json!(NumericDate::now().as_secs())),
        ] {
            claims.insert(name.into(), value);
        }
        Self { algorithm: key.algorithm(), key, header, claims }
    }

    /// Sets `ath` to the hash of `token`.
    pub fn access_token(self, token: &str) -> Self {
        self.claim("ath", access_token_hash(token))
    }

    /// Sets `nonce`.
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", nonce)
    }

    /// Sets `iat` (seconds since the epoch).
    pub fn issued_at(self, secs: u64) -> Self {
        self.claim("iat", secs)
    }

    /// Sets `jti`.
    pub fn jti(self, jti: &str) -> Self {
        self.claim("jti", jti)
    }

    /// Sets any claim to any JSON value.
    ///
    /// # Panics
    ///
    /// If `value` cannot be represented as JSON.
    #[allow(clippy::expect_used)]
    pub fn claim(mut self, name: &str, value: impl Serialize) -> Self {
        self.claims.insert(name.into(), serde_json::to_value(value).expect("JSON value"));
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets any header member to any JSON value (`typ`, `jwk`, `alg`).
    ///
    /// # Panics
    ///
    /// If `value` cannot be represented as JSON.
    #[allow(clippy::expect_used)]
    pub fn header(mut self, name: &str, value: impl Serialize) -> Self {
        self.header.insert(name.into(), serde_json::to_value(value).expect("JSON value"));
        self
    }

    /// Removes a header member.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with `algorithm` and says so in `alg`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Signs with the key whose `jwk` the header carries.
    pub fn sign(self) -> String {
        let key = self.key.clone();
        self.sign_with(&key)
    }

    /// Signs with another key, keeping the header's `jwk`: the signature does not verify.
    pub fn sign_with(self, key: &TestKey) -> String {
        let mut header = self.header;
        header.entry("alg").or_insert_with(|| json!(self.algorithm.as_str()));
        let input = signing_input(&header, &self.claims);
        let signature = key.sign(self.algorithm, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

impl fmt::Debug for DpopProofBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopProofBuilder")
            .field("algorithm", &self.algorithm)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
