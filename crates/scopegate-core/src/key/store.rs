//! The keys of one issuer, prepared for verification and found by `kid` and `alg`.

use std::fmt;

use super::VerificationKey;
use crate::algorithm::{Algorithm, AlgorithmSet};
#[cfg(feature = "remote")]
use crate::crypto::KeyMaterial;
use crate::crypto::PreparedVerifier;

/// Keys ready to verify: each key parsed once per algorithm it may verify.
pub(crate) struct KeyStore {
    keys: Vec<StoredKey>,
}

struct StoredKey {
    key_id: Option<Box<str>>,
    /// Kept to tell, at the next refresh, whether this key left the set.
    #[cfg(feature = "remote")]
    material: KeyMaterial,
    verifiers: Vec<(Algorithm, PreparedVerifier)>,
}

impl KeyStore {
    /// Prepares `keys` for the algorithms in `allowed`. Keys that can verify none of them are
    /// left out, and so are keys the crypto backend refuses (logged at `warn`, by `kid` and
    /// kind): one bad key in a JWKS never makes the others unusable.
    pub(crate) fn new(keys: &[VerificationKey], allowed: AlgorithmSet) -> Self {
        let mut stored = Vec::with_capacity(keys.len());
        for key in keys {
            let mut verifiers = Vec::new();
            for &algorithm in key.algorithms() {
                if !allowed.contains(algorithm) {
                    continue;
                }
                match PreparedVerifier::new(key.material(), algorithm) {
                    Ok(verifier) => verifiers.push((algorithm, verifier)),
                    Err(error) => tracing::warn!(
                        kid = key.key_id(),
                        key = %key.material().describe(),
                        %algorithm,
                        reason = %error,
                        "the crypto backend refused a key; left out"
                    ),
                }
            }
            if verifiers.is_empty() {
                tracing::debug!(kid = key.key_id(), "key verifies no allowed algorithm; left out");
                continue;
            }
            stored.push(StoredKey {
                key_id: key.key_id().map(Box::from),
                #[cfg(feature = "remote")]
                material: key.material().clone(),
                verifiers,
            });
        }
        Self { keys: stored }
    }

    /// The prepared keys that may verify a token with this `kid` and `alg`.
    ///
    /// A key with an ID matches only tokens naming that ID; a key without one matches any
    /// token. A token without a `kid` is tried against every key of its algorithm.
    pub(crate) fn candidates<'a>(
        &'a self,
        key_id: Option<&'a str>,
        algorithm: Algorithm,
    ) -> impl Iterator<Item = &'a PreparedVerifier> + 'a {
        self.keys
            .iter()
            .filter(move |key| match (&key.key_id, key_id) {
                (Some(ours), Some(theirs)) => **ours == *theirs,
                (Some(_), None) | (None, _) => true,
            })
            .filter_map(move |key| {
                key.verifiers
                    .iter()
                    .find(|(candidate, _)| *candidate == algorithm)
                    .map(|(_, verifier)| verifier)
            })
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether some key of `self` is not in `next` (same ID and material): what it verified
    /// must no longer be trusted.
    #[cfg(feature = "remote")]
    pub(crate) fn loses_keys_in(&self, next: &KeyStore) -> bool {
        self.keys.iter().any(|key| {
            !next
                .keys
                .iter()
                .any(|other| other.key_id == key.key_id && other.material == key.material)
        })
    }

    /// The IDs of the keys that have one.
    pub(crate) fn key_ids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|key| key.key_id.as_deref().map(str::to_owned)).collect()
    }
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("keys", &self.len())
            .field("key_ids", &self.key_ids())
            .finish()
    }
}
