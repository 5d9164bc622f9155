//! The aws-lc-rs backend: keys are parsed into `EVP_PKEY`s once, at load time.

use super::material::{Curve, KeyMaterial};
use crate::algorithm::Algorithm;
use crate::error::Error;
use aws_lc_rs::hmac;
use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters};

/// A key made ready to verify one algorithm.
pub(crate) enum PreparedVerifier {
    Public(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl PreparedVerifier {
    /// Prepares `material` for `algorithm`. The caller has checked that they belong together.
    pub(crate) fn new(material: &KeyMaterial, algorithm: Algorithm) -> Result<Self, Error> {
        let rejected = |_| Error::key("the key material was rejected by the crypto backend");
        let prepared = match (material, algorithm) {
            (KeyMaterial::Rsa { modulus, exponent }, _) => {
                let components =
                    PublicKeyComponents { n: modulus.as_slice(), e: exponent.as_slice() };
                Self::Public(
                    components
                        .to_parsed_public_key(rsa_parameters(algorithm)?)
                        .map_err(rejected)?,
                )
            }
            (KeyMaterial::Ec { curve: Curve::P256, point }, Algorithm::ES256) => Self::Public(
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .map_err(rejected)?,
            ),
            (KeyMaterial::Ec { curve: Curve::P384, point }, Algorithm::ES384) => Self::Public(
                ParsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .map_err(rejected)?,
            ),
            (KeyMaterial::Ed25519 { public }, Algorithm::EdDSA) => {
                Self::Public(ParsedPublicKey::new(&signature::ED25519, public).map_err(rejected)?)
            }
            (KeyMaterial::Hmac { secret }, Algorithm::HS256) => {
                Self::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret)))
            }
            (KeyMaterial::Hmac { secret }, Algorithm::HS384) => {
                Self::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA384, secret)))
            }
            (KeyMaterial::Hmac { secret }, Algorithm::HS512) => {
                Self::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA512, secret)))
            }
            _ => return Err(Error::key("the key cannot verify this algorithm")),
        };
        Ok(prepared)
    }

    /// Whether `signature` is a valid signature of `message`. HMAC tags compare in constant
    /// time.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Public(key) => key.verify_sig(message, signature).is_ok(),
            Self::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
        }
    }
}

fn rsa_parameters(algorithm: Algorithm) -> Result<&'static RsaParameters, Error> {
    Ok(match algorithm {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return Err(Error::key("an RSA key cannot verify this algorithm")),
    })
}

/// SHA-256 of `data` (JWK thumbprints, DPoP `ath`, cache keys).
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// HMAC-SHA-256 of `data` under `key` (DPoP nonces).
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}
