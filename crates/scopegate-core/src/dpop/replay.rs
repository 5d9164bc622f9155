//! Remembering the `jti` of every accepted DPoP proof for as long as the proof could be
//! replayed (RFC 9449 section 11.1): the [`ReplayStore`] trait and the identity of a proof.
//! The bounded in-memory store is [`InMemoryReplayStore`](super::InMemoryReplayStore).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::Error;

/// The future a [`ReplayStore`] returns: `Ok(true)` when the proof was new (and is now
/// remembered), `Ok(false)` when it was seen before.
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, Error>> + Send + 'a>>;

/// The identity of a proof for a replay store: the SHA-256 of its key's thumbprint and its
/// `jti`. A `jti` is unique per key (RFC 9449 section 11.1), so one client's `jti` never
/// blocks another's proofs. Neither the `jti` nor the thumbprint appears in clear, so store
/// keys (Redis key names, say) leak neither.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProofId {
    hash: [u8; 32],
    /// Which key made the proof (a 64-bit digest of its thumbprint), so that a store can keep
    /// what it must remember per key: one client's flood then costs only that client.
    key: u64,
}

impl ProofId {
    /// The identity of the proof with `jti` made with the key whose RFC 7638 thumbprint is
    /// `jkt`.
    pub fn new(jkt: &str, jti: &str) -> Self {
        let parts = [&b"dpop-jti:"[..], jkt.as_bytes(), b":", jti.as_bytes()];
        // A thumbprint and a `jti` of at most 256 bytes fit on the stack.
        let mut stack = [0u8; 320];
        let length: usize = parts.iter().map(|part| part.len()).sum();
        let mut heap = Vec::new();
        let input = match stack.get_mut(..length) {
            Some(input) => input,
            None => {
                heap.resize(length, 0);
                &mut heap[..]
            }
        };
        let mut at = 0;
        for part in parts {
            if let Some(slot) = input.get_mut(at..at + part.len()) {
                slot.copy_from_slice(part);
            }
            at += part.len();
        }
        Self { hash: crate::crypto::sha256(input), key: key_digest(jkt) }
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.hash
    }

    /// The bytes as lowercase hex (64 characters), for text keys.
    pub fn to_hex(&self) -> String {
        self.hash.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// A 64-bit digest of the thumbprint of the key that made the proof: equal for every proof
    /// of one key. A thumbprint is itself a SHA-256 a client cannot choose without grinding
    /// keys, so two clients' digests collide only by chance.
    pub fn key(&self) -> u64 {
        self.key
    }

    #[cfg(test)]
    pub(crate) fn from_parts(hash: [u8; 32], key: u64) -> Self {
        Self { hash, key }
    }
}

impl fmt::Debug for ProofId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofId({}..)", self.to_hex().get(..8).unwrap_or_default())
    }
}

/// Where seen proofs are remembered. One atomic check-and-insert per proof: two requests with
/// the same proof, at the same time, on any replica sharing the store, cannot both pass.
///
/// Implementations must fail closed: an error (the store is unreachable) refuses the request
/// with `503`, it never lets a proof through unchecked. A store that must forget before `ttl`
/// (it is full) must refuse, from then on, every proof not newer than what it forgot (see
/// [`InMemoryReplayStore`](super::InMemoryReplayStore)).
pub trait ReplayStore: Send + Sync + 'static {
    /// Remembers `proof`, issued at `issued_at` (its `iat`, seconds since the epoch), for `ttl`
    /// unless it is already remembered: `true` the first time, `false` for a replay. `ttl` is
    /// the same for every proof of a configuration ([`Dpop::replay_ttl`](super::Dpop::replay_ttl)):
    /// as long as any replica could accept the proof.
    fn check_and_remember(&self, proof: ProofId, issued_at: u64, ttl: Duration)
    -> ReplayFuture<'_>;
}

/// FNV-1a over the thumbprint's bytes: a digest, not a keyed hash (see [`ProofId::key`]).
fn key_digest(jkt: &str) -> u64 {
    jkt.bytes().fold(0xcbf2_9ce4_8422_2325, |digest, byte| {
        (digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_id_is_the_hash_of_its_thumbprint_and_jti_and_says_nothing_else() {
        let id = ProofId::new("thumb", "jti-1");
        assert_eq!(id.as_bytes(), &crate::crypto::sha256(b"dpop-jti:thumb:jti-1"));
        let hex: String = id.as_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(id.to_hex(), hex);
        assert_eq!(id.to_hex().len(), 64);
        assert_eq!(format!("{id:?}"), format!("ProofId({}..)", &hex[..8]));
        assert_ne!(ProofId::new("thumb", "jti-2").as_bytes(), id.as_bytes());
        // A `jti` too long for the stack buffer hashes the same way.
        let long = "j".repeat(400);
        let expected = crate::crypto::sha256(format!("dpop-jti:thumb:{long}").as_bytes());
        assert_eq!(ProofId::new("thumb", &long).as_bytes(), &expected);
    }

    #[test]
    fn the_key_digest_is_fnv_1a_of_the_thumbprint() {
        // FNV-1a 64 known answers: the offset basis for nothing, and for "a" and "foobar".
        assert_eq!(key_digest(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(key_digest("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(key_digest("foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(ProofId::new("foobar", "x").key(), ProofId::new("foobar", "y").key());
        assert_ne!(ProofId::new("foobar", "x").key(), ProofId::new("a", "x").key());
    }
}
