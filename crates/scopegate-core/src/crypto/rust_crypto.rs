//! The RustCrypto backend: pure Rust (`rsa`, `p256`, `p384`, `ed25519-dalek`, `hmac`, `sha2`),
//! for builds that cannot compile aws-lc. Keys are parsed once, at load time. RSA and ECDSA are
//! 5-12x slower than aws-lc-rs.

use hmac::{Hmac, Mac};
use rsa::BigUint;
use rsa::signature::Verifier as _;
use sha2::{Sha256, Sha384, Sha512};

use super::material::{Curve, KeyMaterial};
use crate::algorithm::Algorithm;
use crate::error::Error;

/// A key made ready to verify one algorithm.
pub(crate) enum PreparedVerifier {
    Rs256(rsa::pkcs1v15::VerifyingKey<Sha256>),
    Rs384(rsa::pkcs1v15::VerifyingKey<Sha384>),
    Rs512(rsa::pkcs1v15::VerifyingKey<Sha512>),
    Ps256(rsa::pss::VerifyingKey<Sha256>),
    Ps384(rsa::pss::VerifyingKey<Sha384>),
    Ps512(rsa::pss::VerifyingKey<Sha512>),
    Es256(p256::ecdsa::VerifyingKey),
    Es384(p384::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
    Hmac(Algorithm, zeroize::Zeroizing<Vec<u8>>),
}

impl PreparedVerifier {
    /// Prepares `material` for `algorithm`. The caller has checked that they belong together.
    pub(crate) fn new(material: &KeyMaterial, algorithm: Algorithm) -> Result<Self, Error> {
        let rejected = || Error::key("the key material was rejected by the crypto backend");
        let prepared = match (material, algorithm) {
            (KeyMaterial::Rsa { modulus, exponent }, _) => {
                // The `rsa` crate's default cap is 4096 bits: take what the parser takes.
                let key = rsa::RsaPublicKey::new_with_max_size(
                    BigUint::from_bytes_be(modulus),
                    BigUint::from_bytes_be(exponent),
                    super::material::MAX_RSA_BITS,
                )
                .map_err(|_| rejected())?;
                match algorithm {
                    // `new` expects the DigestInfo prefix of RFC 8017 section 9.2 (`From`
                    // would expect none).
                    Algorithm::RS256 => Self::Rs256(rsa::pkcs1v15::VerifyingKey::new(key)),
                    Algorithm::RS384 => Self::Rs384(rsa::pkcs1v15::VerifyingKey::new(key)),
                    Algorithm::RS512 => Self::Rs512(rsa::pkcs1v15::VerifyingKey::new(key)),
                    Algorithm::PS256 => Self::Ps256(rsa::pss::VerifyingKey::new(key)),
                    Algorithm::PS384 => Self::Ps384(rsa::pss::VerifyingKey::new(key)),
                    Algorithm::PS512 => Self::Ps512(rsa::pss::VerifyingKey::new(key)),
                    _ => return Err(Error::key("an RSA key cannot verify this algorithm")),
                }
            }
            (KeyMaterial::Ec { curve: Curve::P256, point }, Algorithm::ES256) => Self::Es256(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| rejected())?,
            ),
            (KeyMaterial::Ec { curve: Curve::P384, point }, Algorithm::ES384) => Self::Es384(
                p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| rejected())?,
            ),
            (KeyMaterial::Ed25519 { public }, Algorithm::EdDSA) => {
                let bytes: &[u8; 32] = public.as_slice().try_into().map_err(|_| rejected())?;
                Self::EdDsa(ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| rejected())?)
            }
            (
                KeyMaterial::Hmac { secret },
                Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512,
            ) => Self::Hmac(algorithm, secret.clone()),
            _ => return Err(Error::key("the key cannot verify this algorithm")),
        };
        Ok(prepared)
    }

    /// Whether `signature` is a valid signature of `message`. HMAC tags compare in constant
    /// time.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Rs256(key) => pkcs1(key, message, signature),
            Self::Rs384(key) => pkcs1(key, message, signature),
            Self::Rs512(key) => pkcs1(key, message, signature),
            Self::Ps256(key) => pss(key, message, signature),
            Self::Ps384(key) => pss(key, message, signature),
            Self::Ps512(key) => pss(key, message, signature),
            Self::Es256(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            Self::Es384(key) => p384::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            Self::EdDsa(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify_strict(message, &signature).is_ok()),
            Self::Hmac(algorithm, secret) => hmac(*algorithm, secret, message, signature),
        }
    }
}

fn pkcs1<D>(key: &rsa::pkcs1v15::VerifyingKey<D>, message: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + rsa::pkcs8::AssociatedOid,
{
    rsa::pkcs1v15::Signature::try_from(signature)
        .is_ok_and(|signature| key.verify(message, &signature).is_ok())
}

fn pss<D>(key: &rsa::pss::VerifyingKey<D>, message: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
{
    rsa::pss::Signature::try_from(signature)
        .is_ok_and(|signature| key.verify(message, &signature).is_ok())
}

fn hmac(algorithm: Algorithm, secret: &[u8], message: &[u8], tag: &[u8]) -> bool {
    macro_rules! verify_with {
        ($digest:ty) => {
            match <Hmac<$digest> as Mac>::new_from_slice(secret) {
                Ok(mut mac) => {
                    mac.update(message);
                    mac.verify_slice(tag).is_ok()
                }
                Err(_) => false,
            }
        };
    }
    match algorithm {
        Algorithm::HS256 => verify_with!(Sha256),
        Algorithm::HS384 => verify_with!(Sha384),
        _ => verify_with!(Sha512),
    }
}

/// SHA-256 of `data` (JWK thumbprints, DPoP `ath`, cache keys).
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    Sha256::digest(data).into()
}

/// HMAC-SHA-256 of `data` under `key` (DPoP nonces).
#[allow(clippy::expect_used, reason = "HMAC accepts keys of any length")]
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}
