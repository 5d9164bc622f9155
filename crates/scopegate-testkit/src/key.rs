//! Key pairs for signing test tokens.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use scopegate_core::{Algorithm, VerificationKey};
use serde_json::{Value, json};

enum Pair {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
    P384(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Hmac(Vec<u8>),
}

/// A signing key with its key ID and default algorithm. Cheap to clone.
#[derive(Clone)]
pub struct TestKey {
    pair: Arc<Pair>,
    kid: String,
    algorithm: Algorithm,
}

static NEXT_KID: AtomicUsize = AtomicUsize::new(1);

fn next_kid(prefix: &str) -> String {
    format!("{prefix}-{}", NEXT_KID.fetch_add(1, Ordering::Relaxed))
}

impl TestKey {
    fn new(pair: Pair, prefix: &str, algorithm: Algorithm) -> Self {
        Self { pair: Arc::new(pair), kid: next_kid(prefix), algorithm }
    }

    /// A fresh RSA 2048 key; signs `RS256` by default.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs cannot generate a key (it does not fail in practice).
    #[allow(clippy::expect_used)]
    pub fn rsa() -> Self {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        Self::new(Pair::Rsa(pair), "rsa", Algorithm::RS256)
    }

    /// A fresh RSA 4096 key, the largest a DPoP proof may have; signs `RS256` by default.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs cannot generate a key.
    #[allow(clippy::expect_used)]
    pub fn rsa_4096() -> Self {
        let pair = RsaKeyPair::generate(KeySize::Rsa4096).expect("RSA key generation");
        Self::new(Pair::Rsa(pair), "rsa", Algorithm::RS256)
    }

    /// A fresh RSA 8192 key, the largest scopegate accepts (slow to generate: seconds); signs
    /// `RS256` by default.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs cannot generate a key.
    #[allow(clippy::expect_used)]
    pub fn rsa_8192() -> Self {
        let pair = RsaKeyPair::generate(KeySize::Rsa8192).expect("RSA key generation");
        Self::new(Pair::Rsa(pair), "rsa", Algorithm::RS256)
    }

    /// A fresh P-256 key; signs `ES256`.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs cannot generate a key.
    #[allow(clippy::expect_used)]
    pub fn ec_p256() -> Self {
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
            .expect("P-256 key generation");
        Self::new(Pair::P256(pair), "p256", Algorithm::ES256)
    }

    /// A fresh P-384 key; signs `ES384`.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs cannot generate a key.
    #[allow(clippy::expect_used)]
    pub fn ec_p384() -> Self {
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_FIXED_SIGNING)
            .expect("P-384 key generation");
        Self::new(Pair::P384(pair), "p384", Algorithm::ES384)
    }

    /// A fresh Ed25519 key; signs `EdDSA`.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs cannot generate a key.
    #[allow(clippy::expect_used)]
    pub fn ed25519() -> Self {
        let pair = Ed25519KeyPair::generate().expect("Ed25519 key generation");
        Self::new(Pair::Ed25519(pair), "ed25519", Algorithm::EdDSA)
    }

    /// A shared HMAC secret; signs `HS256`.
    pub fn hmac(secret: impl Into<Vec<u8>>) -> Self {
        Self::new(Pair::Hmac(secret.into()), "hmac", Algorithm::HS256)
    }

    /// The same key under another key ID.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The same key with another default algorithm (`PS256` for an RSA key, say).
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The key ID put in tokens and in the JWK.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm tokens are signed with by default.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Signs `message` with `algorithm`. The algorithm may differ from the key's default
    /// (an RSA key signs both `RS*` and `PS*`).
    ///
    /// # Panics
    ///
    /// When the key cannot sign `algorithm` (an EC key and `RS256`, say): a bug in the test.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match (&*self.pair, algorithm) {
            (Pair::Rsa(pair), _) => {
                let padding: &'static dyn signature::RsaEncoding = match algorithm {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_SHA512,
                    other => panic!("an RSA key cannot sign {other:?}"),
                };
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut out).expect("RSA signing");
                out
            }
            (Pair::P256(pair), Algorithm::ES256) | (Pair::P384(pair), Algorithm::ES384) => {
                pair.sign(&rng, message).expect("ECDSA signing").as_ref().to_vec()
            }
            (Pair::Ed25519(pair), Algorithm::EdDSA) => pair.sign(message).as_ref().to_vec(),
            (Pair::Hmac(secret), Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => {
                hmac_sign(secret, algorithm, message)
            }
            (_, other) => panic!("this key cannot sign {other:?}"),
        }
    }

    /// The public key as a JWK with `kid`, `alg` and `use: sig`.
    ///
    /// # Panics
    ///
    /// Never in practice: the RSA public key aws-lc-rs writes always parses.
    #[allow(clippy::expect_used)]
    pub fn public_jwk(&self) -> Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let alg = self.algorithm.as_str();
        match &*self.pair {
            Pair::Rsa(pair) => {
                // The public key is a PKCS#1 `RSAPublicKey`; its integers, leading zeros removed.
                let public = pkcs1::RsaPublicKey::try_from(pair.public_key().as_ref())
                    .expect("aws-lc-rs writes a valid RSAPublicKey");
                json!({
                    "kty": "RSA", "kid": self.kid, "alg": alg, "use": "sig",
                    "n": b64(public.modulus.as_bytes()),
                    "e": b64(public.public_exponent.as_bytes()),
                })
            }
            Pair::P256(pair) | Pair::P384(pair) => {
                let point = pair.public_key().as_ref();
                let size = (point.len() - 1) / 2;
                let crv = if size == 32 { "P-256" } else { "P-384" };
                json!({
                    "kty": "EC", "kid": self.kid, "alg": alg, "use": "sig", "crv": crv,
                    "x": b64(point.get(1..=size).unwrap_or_default()),
                    "y": b64(point.get(1 + size..).unwrap_or_default()),
                })
            }
            Pair::Ed25519(pair) => json!({
                "kty": "OKP", "kid": self.kid, "alg": alg, "use": "sig", "crv": "Ed25519",
                "x": b64(pair.public_key().as_ref()),
            }),
            Pair::Hmac(secret) => {
                json!({ "kty": "oct", "kid": self.kid, "alg": alg, "k": b64(secret) })
            }
        }
    }

    /// The public key as a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`). For an HMAC
    /// key, the secret as text.
    #[allow(clippy::expect_used)]
    pub fn public_key_pem(&self) -> String {
        let der = match &*self.pair {
            Pair::Rsa(pair) => pair.public_key().as_der().expect("RSA SPKI").as_ref().to_vec(),
            Pair::P256(pair) | Pair::P384(pair) => {
                pair.public_key().as_der().expect("EC SPKI").as_ref().to_vec()
            }
            Pair::Ed25519(pair) => {
                pair.public_key().as_der().expect("Ed25519 SPKI").as_ref().to_vec()
            }
            Pair::Hmac(secret) => return String::from_utf8_lossy(secret).into_owned(),
        };
        pem("PUBLIC KEY", &der)
    }

    /// For an RSA key, the public key as a PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`).
    pub fn rsa_public_key_pkcs1_pem(&self) -> Option<String> {
        match &*self.pair {
            Pair::Rsa(pair) => Some(pem("RSA PUBLIC KEY", pair.public_key().as_ref())),
            _ => None,
        }
    }

    /// The public key in DER (SubjectPublicKeyInfo), or the HMAC secret.
    #[allow(clippy::expect_used)]
    pub fn public_key_der(&self) -> Vec<u8> {
        match &*self.pair {
            Pair::Rsa(pair) => pair.public_key().as_der().expect("RSA SPKI").as_ref().to_vec(),
            Pair::P256(pair) | Pair::P384(pair) => {
                pair.public_key().as_der().expect("EC SPKI").as_ref().to_vec()
            }
            Pair::Ed25519(pair) => {
                pair.public_key().as_der().expect("Ed25519 SPKI").as_ref().to_vec()
            }
            Pair::Hmac(secret) => secret.clone(),
        }
    }

    /// The key as scopegate verifies it: the public JWK (with `kid` and pinned `alg`), or the
    /// HMAC secret with its `kid`.
    ///
    /// # Panics
    ///
    /// If the JWK is refused, which would be a bug in scopegate or in this kit.
    #[allow(clippy::expect_used)]
    pub fn verification_key(&self) -> VerificationKey {
        match &*self.pair {
            Pair::Hmac(secret) => VerificationKey::hmac_secret(secret.clone())
                .expect("HMAC test secrets are at least 32 bytes")
                .with_key_id(self.kid.clone()),
            _ => VerificationKey::from_jwk_json(&self.public_jwk().to_string()).expect("test JWK"),
        }
    }
}

fn hmac_sign(secret: &[u8], algorithm: Algorithm, message: &[u8]) -> Vec<u8> {
    let hash = match algorithm {
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    hmac::sign(&hmac::Key::new(hash, secret), message).as_ref().to_vec()
}

/// Signs `message` with an arbitrary HMAC secret: for key-confusion tests, where the "secret"
/// is a public key.
pub(crate) fn sign_hmac_with(secret: &[u8], algorithm: Algorithm, message: &[u8]) -> Vec<u8> {
    hmac_sign(secret, algorithm, message)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}
