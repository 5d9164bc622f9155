//! Keys that verify token signatures, from PEM, JWK, JWKS or an HMAC secret.
//!
//! A [`VerificationKey`] is public key material (or an HMAC secret) with an optional key ID
//! (`kid`) and an optional pinned algorithm. Each key verifies only the algorithms of its own
//! kind: an RSA key never verifies `HS256`, a P-256 key only `ES256`, a key pinned to `RS256`
//! never `PS256`. A [`KeySet`] is a JWKS.
//!
//! ```
//! use scopegate_core::{Algorithm, VerificationKey};
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

mod epoch;
pub(crate) mod jwk;
pub(crate) mod jwk_members;
mod pem;
mod set;
pub(crate) mod store;

pub(crate) use epoch::Epoch;
pub use set::{KeySet, MAX_JWKS_BYTES, MAX_JWKS_KEYS};

pub use crate::crypto::{MAX_RSA_BITS, MAX_RSA_EXPONENT_BITS, MIN_RSA_BITS};

use std::fmt;

use zeroize::Zeroizing;

use crate::algorithm::Algorithm;
use crate::crypto::KeyMaterial;
use crate::error::Error;

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

    /// Uses `secret` for `HS256` (32 bytes or more), `HS384` (48 or more) and `HS512` (64 or
    /// more). Tokens with HMAC algorithms are accepted only by issuers configured with a
    /// secret.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) for a secret shorter than 32
    /// bytes (RFC 7518 section 3.2).
    pub fn hmac_secret(secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        KeyMaterial::hmac(Zeroizing::new(secret.into())).map(Self::new)
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
                "this {} key cannot verify {algorithm}",
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
        // `with_algorithm` admits only an algorithm of the key's family.
        match &self.algorithm {
            Some(_) => self.algorithm.as_slice(),
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
    fn debug_never_prints_the_secret() {
        let key =
            VerificationKey::hmac_secret(b"0123456789abcdef0123456789abcdef".to_vec()).unwrap();
        let printed = format!("{key:?}");
        assert!(!printed.contains("0123456789"), "{printed}");
    }
}
