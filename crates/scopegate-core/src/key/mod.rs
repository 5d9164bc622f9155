//! Keys that verify token signatures, from PEM, JWK, JWKS or an HMAC secret.
//!
//! A [`VerificationKey`] is public key material (or an HMAC secret) with an optional key ID
//! (`kid`) and an optional pinned algorithm. Each key verifies only the algorithms of its own
//! kind: an RSA key never verifies `HS256`, a P-256 key only `ES256`, a key pinned to `RS256`
//! never `PS256`. A [`KeySet`] is a JWKS.
//!
//! ```
//! use jsonwebtoken::Algorithm;
//! use scopegate_core::VerificationKey;
//!
//! # let pem = scopegate_testkit::TestKey::rsa().public_key_pem();
//! let key = VerificationKey::from_pem(&pem)?
//!     .with_key_id("2024-rotation")
//!     .with_algorithm(Algorithm::RS256)?;
//! assert_eq!(key.algorithms(), [Algorithm::RS256]);
//! assert_eq!(format!("{key:?}"), r#"VerificationKey { kid: Some("2024-rotation"), kind: "RSA 2048", key: "[redacted]" }"#);
//!
//! let too_short = VerificationKey::hmac_secret(b"short".to_vec());
//! assert!(too_short.is_err());
//! # Ok::<(), scopegate_core::Error>(())
//! ```

mod der;
mod jwk;
mod set;
pub(crate) mod store;

pub use set::{KeySet, MAX_JWKS_BYTES, MAX_JWKS_KEYS};

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey};
use zeroize::Zeroizing;

use crate::error::Error;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits (larger keys make verification a denial of service).
pub const MAX_RSA_BITS: usize = 8192;

/// The elliptic curves supported for ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Curve {
    P256,
    P384,
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum KeyMaterial {
    /// Big-endian modulus and exponent, without leading zeros.
    Rsa { modulus: Vec<u8>, exponent: Vec<u8> },
    /// An uncompressed SEC 1 point: `0x04 || x || y`.
    Ec { curve: Curve, point: Vec<u8> },
    /// The 32-byte public key.
    Ed25519 { public: Vec<u8> },
    /// A shared secret of at least 32 bytes.
    Hmac { secret: Zeroizing<Vec<u8>> },
}

impl KeyMaterial {
    fn family_algorithms(&self) -> &'static [Algorithm] {
        match self {
            Self::Rsa { .. } => &[
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
            ],
            Self::Ec { curve: Curve::P256, .. } => &[Algorithm::ES256],
            Self::Ec { curve: Curve::P384, .. } => &[Algorithm::ES384],
            Self::Ed25519 { .. } => &[Algorithm::EdDSA],
            // RFC 7518 section 3.2: the secret must be at least as long as the hash output.
            Self::Hmac { secret } if secret.len() >= 64 => {
                &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
            }
            Self::Hmac { secret } if secret.len() >= 48 => &[Algorithm::HS256, Algorithm::HS384],
            Self::Hmac { .. } => &[Algorithm::HS256],
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Rsa { modulus, .. } => format!("RSA {}", bit_length(modulus)),
            Self::Ec { curve: Curve::P256, .. } => "EC P-256".to_owned(),
            Self::Ec { curve: Curve::P384, .. } => "EC P-384".to_owned(),
            Self::Ed25519 { .. } => "Ed25519".to_owned(),
            Self::Hmac { .. } => "HMAC secret".to_owned(),
        }
    }

    pub(crate) fn rsa(modulus: &[u8], exponent: &[u8]) -> Result<Self, Error> {
        let bits = bit_length(modulus);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(Error::key(format!(
                "RSA keys must have {MIN_RSA_BITS} to {MAX_RSA_BITS} bits; this one has {bits}"
            )));
        }
        if exponent.is_empty()
            || exponent.len() > 8
            || exponent.last().is_none_or(|byte| byte & 1 == 0)
        {
            return Err(Error::key("the RSA public exponent is not a valid odd integer"));
        }
        Ok(Self::Rsa { modulus: modulus.to_vec(), exponent: exponent.to_vec() })
    }

    pub(crate) fn ec(point: Vec<u8>) -> Result<Self, Error> {
        let curve = match (point.first(), point.len()) {
            (Some(0x04), 65) => Curve::P256,
            (Some(0x04), 97) => Curve::P384,
            _ => {
                return Err(Error::key(
                    "only uncompressed P-256 and P-384 public keys are supported",
                ));
            }
        };
        Ok(Self::Ec { curve, point })
    }

    pub(crate) fn ed25519(public: Vec<u8>) -> Result<Self, Error> {
        if public.len() == 32 {
            Ok(Self::Ed25519 { public })
        } else {
            Err(Error::key("an Ed25519 public key is 32 bytes"))
        }
    }
}

fn bit_length(integer: &[u8]) -> usize {
    let mut integer = integer;
    while let [0, rest @ ..] = integer {
        integer = rest;
    }
    match integer.first() {
        Some(first) => integer.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// A key that verifies token signatures. See the [module docs](self).
#[derive(Clone)]
pub struct VerificationKey {
    key_id: Option<String>,
    algorithm: Option<Algorithm>,
    material: KeyMaterial,
}

impl VerificationKey {
    pub(crate) fn new(material: KeyMaterial) -> Self {
        Self { key_id: None, algorithm: None, material }
    }

    /// Reads a public key in PEM form: `PUBLIC KEY` (SubjectPublicKeyInfo with RSA, EC P-256 or
    /// P-384, or Ed25519), `RSA PUBLIC KEY` (PKCS#1), or a `CERTIFICATE` whose key is used as is
    /// (the certificate itself is not validated).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) for anything else, including
    /// private keys: a resource server never needs one.
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        let pem = pem.as_ref();
        if pem.windows(11).any(|window| window == b"PRIVATE KEY") {
            return Err(Error::key(
                "a private key was given; a resource server needs only the public key",
            ));
        }
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            let der =
                key.try_get_as_bytes().map_err(|_| Error::key("unreadable RSA public key"))?;
            let (modulus, exponent) = der::rsa_public_key(der)
                .ok_or_else(|| Error::key("the PEM does not hold an RSA public key"))?;
            return KeyMaterial::rsa(modulus, exponent).map(Self::new);
        }
        if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            let point =
                key.try_get_as_bytes().map_err(|_| Error::key("unreadable EC public key"))?;
            return KeyMaterial::ec(point.to_vec()).map(Self::new);
        }
        if let Ok(key) = DecodingKey::from_ed_pem(pem) {
            let public =
                key.try_get_as_bytes().map_err(|_| Error::key("unreadable Ed25519 public key"))?;
            return KeyMaterial::ed25519(public.to_vec()).map(Self::new);
        }
        Err(Error::key("the PEM does not hold an RSA, EC (P-256, P-384) or Ed25519 public key"))
    }

    /// Uses `secret` for `HS256` (32 bytes or more), `HS384` (48 or more) and `HS512` (64 or
    /// more). Tokens with HMAC algorithms are accepted only by issuers configured with a
    /// secret.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) for a secret shorter than 32
    /// bytes (RFC 7518 section 3.2).
    pub fn hmac_secret(secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let secret = Zeroizing::new(secret.into());
        if secret.len() < 32 {
            return Err(Error::key(
                "an HMAC secret must be at least 32 bytes (RFC 7518 section 3.2)",
            ));
        }
        Ok(Self::new(KeyMaterial::Hmac { secret }))
    }

    /// Sets the key ID (`kid`) tokens name this key by.
    #[must_use]
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }

    /// Pins the key to one algorithm (as a JWK's `alg` does).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) when the key cannot verify
    /// `algorithm` (an EC key and `RS256`, or a 32-byte secret and `HS512`).
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self, Error> {
        if !self.material.family_algorithms().contains(&algorithm) {
            return Err(Error::key(format!(
                "this {} key cannot verify {algorithm:?}",
                self.material.describe()
            )));
        }
        self.algorithm = Some(algorithm);
        Ok(self)
    }

    /// The key ID, if any.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// The algorithms this key verifies.
    pub fn algorithms(&self) -> &[Algorithm] {
        match self.algorithm {
            Some(pinned) => {
                let family = self.material.family_algorithms();
                let index = family.iter().position(|a| *a == pinned).unwrap_or(0);
                family.get(index..=index).unwrap_or(family)
            }
            None => self.material.family_algorithms(),
        }
    }

    /// Whether this is an HMAC secret rather than a public key.
    pub fn is_symmetric(&self) -> bool {
        matches!(self.material, KeyMaterial::Hmac { .. })
    }

    pub(crate) fn material(&self) -> &KeyMaterial {
        &self.material
    }
}

/// Prints the key ID and kind, never the key.
impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.key_id)
            .field("kind", &self.material.describe())
            .field("key", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn bit_length_ignores_leading_zeros() {
        assert_eq!(bit_length(&[0, 0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[]), 0);
    }

    #[test]
    fn small_or_huge_rsa_keys_are_refused() {
        let error = KeyMaterial::rsa(&[0xff; 128], &[1, 0, 1]).err().unwrap();
        assert_eq!(error.message(), "RSA keys must have 2048 to 8192 bits; this one has 1024");
        assert!(KeyMaterial::rsa(&[0xff; 1025], &[1, 0, 1]).is_err());
        assert!(KeyMaterial::rsa(&[0xff; 256], &[1, 0, 0]).is_err());
        assert!(KeyMaterial::rsa(&[0xff; 256], &[1, 0, 1]).is_ok());
    }

    #[test]
    fn hmac_secrets_need_the_hash_length() {
        assert_eq!(
            VerificationKey::hmac_secret(vec![7; 31]).unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
        assert_eq!(
            VerificationKey::hmac_secret(vec![7; 32]).unwrap().algorithms(),
            [Algorithm::HS256]
        );
        assert_eq!(VerificationKey::hmac_secret(vec![7; 64]).unwrap().algorithms().len(), 3);
        let pinned =
            VerificationKey::hmac_secret(vec![7; 32]).unwrap().with_algorithm(Algorithm::HS512);
        assert_eq!(pinned.unwrap_err().message(), "this HMAC secret key cannot verify HS512");
    }

    #[test]
    fn private_keys_and_garbage_are_refused() {
        let private =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        assert_eq!(VerificationKey::from_pem(private).unwrap_err().kind(), ErrorKind::InvalidKey);
        assert_eq!(
            VerificationKey::from_pem("not a pem").unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let key =
            VerificationKey::hmac_secret(b"0123456789abcdef0123456789abcdef".to_vec()).unwrap();
        let printed = format!("{key:?}");
        assert!(!printed.contains("0123456789"), "{printed}");
    }
}
