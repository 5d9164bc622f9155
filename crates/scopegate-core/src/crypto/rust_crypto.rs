//! The RustCrypto backend, through jsonwebtoken's `rust_crypto` provider.
//!
//! jsonwebtoken's verifiers are not `Send`, so one is built per verification from a key kept
//! in jsonwebtoken's form. This backend is 5-12x slower than aws-lc-rs for RSA and ECDSA; it
//! exists for builds that cannot compile aws-lc.

use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::error::Error;
use crate::key::KeyMaterial;

/// A key made ready to verify one algorithm.
pub(crate) struct PreparedVerifier {
    key: DecodingKey,
    algorithm: Algorithm,
}

impl PreparedVerifier {
    /// Prepares `material` for `algorithm`. The caller has checked that they belong together.
    pub(crate) fn new(material: &KeyMaterial, algorithm: Algorithm) -> Result<Self, Error> {
        let key = match material {
            KeyMaterial::Rsa { modulus, exponent } => {
                DecodingKey::from_rsa_raw_components(modulus, exponent)
            }
            KeyMaterial::Ec { point, .. } => DecodingKey::from_ec_der(point),
            KeyMaterial::Ed25519 { public } => DecodingKey::from_ed_der(public),
            KeyMaterial::Hmac { secret } => DecodingKey::from_secret(secret),
        };
        // Fail at load time, not on the first request.
        (DEFAULT_PROVIDER.verifier_factory)(&algorithm, &key)
            .map_err(|_| Error::key("the key material was rejected by the crypto backend"))?;
        Ok(Self { key, algorithm })
    }

    /// Whether `signature` is a valid signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match (DEFAULT_PROVIDER.verifier_factory)(&self.algorithm, &self.key) {
            Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
            Err(_) => false,
        }
    }
}
