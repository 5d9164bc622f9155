//! A small set of JWS algorithms.

use jsonwebtoken::Algorithm;

/// Every algorithm scopegate verifies, in a fixed order.
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

/// A set of algorithms as a bit mask over [`ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// Every asymmetric algorithm: the default allowlist.
    pub(crate) fn asymmetric() -> Self {
        ALL.into_iter().filter(|a| !is_symmetric(*a)).collect()
    }

    pub(crate) fn contains(self, algorithm: Algorithm) -> bool {
        bit(algorithm).is_some_and(|bit| self.0 & bit != 0)
    }

    pub(crate) fn insert(&mut self, algorithm: Algorithm) {
        if let Some(bit) = bit(algorithm) {
            self.0 |= bit;
        }
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        ALL.into_iter().filter(move |a| self.contains(*a))
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

pub(crate) fn is_symmetric(algorithm: Algorithm) -> bool {
    matches!(algorithm, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

fn bit(algorithm: Algorithm) -> Option<u16> {
    ALL.iter().position(|a| *a == algorithm).map(|index| 1 << index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asymmetric_excludes_hmac() {
        let set = AlgorithmSet::asymmetric();
        assert_eq!(set.iter().count(), 9);
        assert!(!set.contains(Algorithm::HS256) && set.contains(Algorithm::EdDSA));
        assert_eq!(AlgorithmSet::default().iter().count(), 0);
    }
}
