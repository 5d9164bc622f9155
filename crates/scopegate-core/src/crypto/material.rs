//! Key material as the backends consume it: RSA components, EC points, Ed25519 keys, secrets.

use zeroize::Zeroizing;

use crate::algorithm::Algorithm;
use crate::error::Error;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits (larger keys make verification a denial of service).
pub const MAX_RSA_BITS: usize = 8192;
/// The largest RSA public exponent accepted, in bits: what both backends accept (aws-lc's
/// and the `rsa` crate's limit is 2^33 - 1).
pub const MAX_RSA_EXPONENT_BITS: usize = 33;

/// The elliptic curves supported for ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    /// The length of one coordinate, in bytes.
    pub(crate) const fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    /// The JWK `crv` name.
    pub(crate) const fn jwk_name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
        }
    }
}

/// Public key material, or an HMAC secret, checked for size and shape when made.
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
    /// The algorithms a key of this kind (and size) can verify.
    pub(crate) fn family_algorithms(&self) -> &'static [Algorithm] {
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

    /// For an RSA key: its modulus size in bits and its public exponent.
    pub(crate) fn rsa_size(&self) -> Option<(usize, u64)> {
        let Self::Rsa { modulus, exponent } = self else { return None };
        let value = exponent.iter().fold(0u64, |value, byte| (value << 8) | u64::from(*byte));
        Some((bit_length(modulus), value))
    }

    /// What kind of key this is, for messages (never the key itself).
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Rsa { modulus, .. } => format!("RSA {}", bit_length(modulus)),
            Self::Ec { curve, .. } => format!("EC {}", curve.jwk_name()),
            Self::Ed25519 { .. } => "Ed25519".to_owned(),
            Self::Hmac { .. } => "HMAC secret".to_owned(),
        }
    }

    pub(crate) fn rsa(modulus: &[u8], exponent: &[u8]) -> Result<Self, Error> {
        let (modulus, exponent) = (strip_zeros(modulus), strip_zeros(exponent));
        let bits = bit_length(modulus);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(Error::key(format!(
                "RSA keys must have {MIN_RSA_BITS} to {MAX_RSA_BITS} bits; this one has {bits}"
            )));
        }
        // Odd, at least 3, at most 33 bits: every backend's range, so that a key the parser
        // accepts is never refused later (which would make a whole key set unusable).
        if bit_length(exponent) > MAX_RSA_EXPONENT_BITS
            || exponent == [1]
            || exponent.last().is_none_or(|byte| byte & 1 == 0)
        {
            return Err(Error::key(
                "the RSA public exponent must be an odd integer from 3 to 2^33 - 1",
            ));
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

    pub(crate) fn hmac(secret: Zeroizing<Vec<u8>>) -> Result<Self, Error> {
        if secret.len() < 32 {
            return Err(Error::key(
                "an HMAC secret must be at least 32 bytes (RFC 7518 section 3.2)",
            ));
        }
        Ok(Self::Hmac { secret })
    }
}

fn strip_zeros(mut integer: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = integer {
        integer = rest;
    }
    integer
}

/// The number of significant bits of a big-endian integer.
pub(crate) fn bit_length(integer: &[u8]) -> usize {
    let integer = strip_zeros(integer);
    match integer.first() {
        Some(first) => integer.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn exponents_outside_every_backends_range_are_refused_by_the_parser() {
        let n = [0xff; 256];
        assert!(KeyMaterial::rsa(&n, &[1]).is_err(), "e = 1");
        assert!(KeyMaterial::rsa(&n, &[3]).is_ok());
        // 2^33 - 1: the largest both backends take.
        assert!(KeyMaterial::rsa(&n, &[0x01, 0xff, 0xff, 0xff, 0xff]).is_ok());
        // 2^33 + 1: 34 bits.
        let error = KeyMaterial::rsa(&n, &[0x02, 0, 0, 0, 1]).err().unwrap();
        assert_eq!(
            error.message(),
            "the RSA public exponent must be an odd integer from 3 to 2^33 - 1"
        );
        assert!(KeyMaterial::rsa(&n, &[0x01, 0, 0, 0, 0, 0, 0, 1]).is_err());
        assert_eq!(KeyMaterial::rsa(&n, &[1, 0, 1]).unwrap().rsa_size(), Some((2048, 65_537)));
    }

    #[test]
    fn leading_zeros_do_not_make_another_key() {
        let mut padded = vec![0, 0];
        padded.extend([0xff; 256]);
        let a = KeyMaterial::rsa(&padded, &[0, 1, 0, 1]).unwrap();
        let b = KeyMaterial::rsa(&[0xff; 256], &[1, 0, 1]).unwrap();
        assert!(a == b);
    }
}
