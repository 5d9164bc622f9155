//! The JWS algorithms scopegate verifies (RFC 7518 section 3, RFC 8037).
//!
//! [`Algorithm`] is scopegate's own: the crate's public API does not change when a dependency
//! changes its types.
//!
//! ```
//! use scopegate_core::Algorithm;
//!
//! let algorithm: Algorithm = "ES256".parse()?;
//! assert_eq!(algorithm, Algorithm::ES256);
//! assert_eq!(algorithm.as_str(), "ES256");
//! assert!(!algorithm.is_symmetric());
//! assert!("none".parse::<Algorithm>().is_err());
//! assert!("es256".parse::<Algorithm>().is_err(), "names are case-sensitive");
//! # Ok::<(), scopegate_core::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// A JWS signature algorithm. `none` is not one: unsecured tokens are never accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// EdDSA on Ed25519 (RFC 8037).
    EdDSA,
    /// HMAC with SHA-256: only with a configured shared secret.
    HS256,
    /// HMAC with SHA-384: only with a configured shared secret.
    HS384,
    /// HMAC with SHA-512: only with a configured shared secret.
    HS512,
}

/// Every algorithm, in a fixed order (the order of [`AlgorithmSet`] bits).
pub(crate) const ALL: [Algorithm; 12] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
];

impl Algorithm {
    /// The name as JOSE writes it in `alg`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
        }
    }

    /// Whether this is an HMAC algorithm (a shared secret rather than a public key).
    pub const fn is_symmetric(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }

    /// The algorithm named `name` exactly (names are case-sensitive, RFC 7518), if scopegate
    /// verifies it.
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.into_iter().find(|algorithm| algorithm.as_str() == name)
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// # Errors
    ///
    /// [`ErrorKind::DisallowedAlgorithm`] for `none` in any spelling and for names scopegate
    /// does not verify.
    fn from_str(name: &str) -> Result<Self, Error> {
        Self::from_name(name).ok_or_else(|| {
            let message = if name.trim().eq_ignore_ascii_case("none") {
                "unsecured tokens (`alg: none`) are never accepted"
            } else {
                "the `alg` is not supported"
            };
            Error::new(ErrorKind::DisallowedAlgorithm, message)
        })
    }
}

/// A set of algorithms as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// Every asymmetric algorithm: the default allowlist.
    pub(crate) fn asymmetric() -> Self {
        ALL.into_iter().filter(|a| !a.is_symmetric()).collect()
    }

    pub(crate) fn contains(self, algorithm: Algorithm) -> bool {
        self.0 & algorithm.bit() != 0
    }

    pub(crate) fn insert(&mut self, algorithm: Algorithm) {
        self.0 |= algorithm.bit();
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        ALL.into_iter().filter(move |a| self.contains(*a))
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(algorithms: I) -> Self {
        let mut set = Self::default();
        for algorithm in algorithms {
            set.insert(algorithm);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asymmetric_excludes_hmac() {
        let set = AlgorithmSet::asymmetric();
        assert_eq!(set.iter().count(), 9);
        assert!(!set.contains(Algorithm::HS256) && set.contains(Algorithm::EdDSA));
        assert!(AlgorithmSet::default().is_empty());
    }

    #[test]
    fn names_round_trip() {
        for algorithm in ALL {
            assert_eq!(algorithm.as_str().parse::<Algorithm>().unwrap(), algorithm);
            assert_eq!(algorithm.to_string(), format!("{algorithm:?}"));
        }
        for name in ["none", "None", " none", "rs256", "ES512", "Ed25519", ""] {
            let error = name.parse::<Algorithm>().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::DisallowedAlgorithm, "{name}");
        }
    }
}
