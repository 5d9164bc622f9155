//! DPoP nonces (RFC 9449 section 8) that need no shared state: a timestamp sealed with an
//! HMAC under a configured secret, so that any replica with the secret verifies any replica's
//! nonce.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::crypto::hmac_sha256;
use crate::error::Error;
use crate::seal::same_bytes;

/// Default lifetime of a nonce.
pub const DEFAULT_NONCE_LIFETIME: Duration = Duration::from_secs(300);

const LABEL: &[u8] = b"scopegate dpop nonce v1";
const TAG_BYTES: usize = 16;

/// Server-issued DPoP nonces: required in every proof once configured. A nonce is the time it
/// was issued, sealed under the first secret; any of the secrets opens it, so a secret can be
/// rotated by putting the new one first and keeping the old one for a lifetime.
///
/// ```
/// use std::time::Duration;
/// use scopegate_core::dpop::Nonces;
///
/// let nonces = Nonces::new(b"0123456789abcdef0123456789abcdef".to_vec())?;
/// let nonce = nonces.issue(1_700_000_000);
/// assert!(nonces.is_valid(&nonce, 1_700_000_100));
/// assert!(!nonces.is_valid(&nonce, 1_700_000_400), "older than five minutes");
/// assert!(!nonces.is_valid("made-up", 1_700_000_100));
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Nonces {
    secrets: Vec<Zeroizing<Vec<u8>>>,
    lifetime: Duration,
}

impl Nonces {
    /// Nonces sealed under `secret` (at least 32 bytes; the same on every replica).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for a secret
    /// shorter than 32 bytes.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        Ok(Self { secrets: vec![checked(secret.into())?], lifetime: DEFAULT_NONCE_LIFETIME })
    }

    /// Also opens nonces sealed under `secret` (the one being rotated out).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn also_accept(mut self, secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        self.secrets.push(checked(secret.into())?);
        Ok(self)
    }

    /// How long a nonce stays valid. Defaults to five minutes; a fresh one is sent once the
    /// proof's nonce is past half of it.
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.max(Duration::from_secs(2));
        self
    }

    /// A nonce for `now` (seconds since the epoch).
    pub fn issue(&self, now: u64) -> String {
        let secret = self.secrets.first().map_or(&[][..], |secret| secret.as_slice());
        let stamp = now.to_be_bytes();
        let mut sealed = Vec::with_capacity(8 + TAG_BYTES);
        sealed.extend_from_slice(&stamp);
        sealed.extend_from_slice(tag(secret, &stamp).get(..TAG_BYTES).unwrap_or_default());
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// When `nonce` was issued, if one of the secrets sealed it.
    fn issued_at(&self, nonce: &str) -> Option<u64> {
        if nonce.len() > 64 {
            return None;
        }
        let sealed = crate::jose::base64url::decode(nonce.as_bytes()).ok()?;
        let (stamp, sealed_tag) = sealed.split_at_checked(8)?;
        let issued: [u8; 8] = stamp.try_into().ok()?;
        if sealed_tag.len() != TAG_BYTES {
            return None;
        }
        let opened = self.secrets.iter().any(|secret| {
            let expected = tag(secret, stamp);
            same_bytes(expected.get(..TAG_BYTES).unwrap_or_default(), sealed_tag)
        });
        opened.then(|| u64::from_be_bytes(issued))
    }

    /// Whether `nonce` is one of ours and younger than the lifetime at `now`.
    pub fn is_valid(&self, nonce: &str, now: u64) -> bool {
        self.issued_at(nonce).is_some_and(|issued| {
            issued <= now.saturating_add(5) && now.saturating_sub(issued) <= self.lifetime.as_secs()
        })
    }

    /// Whether a valid `nonce` is old enough that the client should get a fresh one.
    pub(crate) fn is_due_for_renewal(&self, nonce: &str, now: u64) -> bool {
        self.issued_at(nonce)
            .is_none_or(|issued| now.saturating_sub(issued) > self.lifetime.as_secs() / 2)
    }
}

fn checked(secret: Vec<u8>) -> Result<Zeroizing<Vec<u8>>, Error> {
    if secret.len() < 32 {
        return Err(Error::config("a DPoP nonce secret must be at least 32 bytes"));
    }
    Ok(Zeroizing::new(secret))
}

fn tag(secret: &[u8], stamp: &[u8]) -> [u8; 32] {
    let mut message = Vec::with_capacity(LABEL.len() + stamp.len());
    message.extend_from_slice(LABEL);
    message.extend_from_slice(stamp);
    hmac_sha256(secret, &message)
}

impl fmt::Debug for Nonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nonces")
            .field("secrets", &format!("[{} redacted]", self.secrets.len()))
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_and_tampering() {
        let old = Nonces::new(vec![1; 32]).unwrap();
        let new = Nonces::new(vec![2; 32]).unwrap().also_accept(vec![1; 32]).unwrap();
        let nonce = old.issue(1_000);
        assert!(new.is_valid(&nonce, 1_010), "the old secret still opens it");
        assert!(!Nonces::new(vec![2; 32]).unwrap().is_valid(&nonce, 1_010));
        // A well-formed nonce with a changed time (decodes, right length): only the MAC can
        // refuse it. (Flipping a character of the text made invalid base64 instead, which
        // the decoder refused before the MAC was ever checked.)
        let mut sealed = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        sealed[7] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(&sealed);
        assert!(new.issued_at(&forged).is_none(), "the MAC refuses a changed time");
        assert!(!new.is_valid(&forged, 1_010));
        // The same bytes re-encoded unchanged still open: the refusal is the MAC's.
        sealed[7] ^= 1;
        assert_eq!(new.issued_at(&URL_SAFE_NO_PAD.encode(&sealed)), Some(1_000));
        assert!(!new.is_valid(&new.issue(2_000), 1_000), "from the future");
        assert!(Nonces::new(vec![0; 31]).is_err());
        assert_eq!(format!("{new:?}"), r#"Nonces { secrets: "[2 redacted]", lifetime: 300s }"#);
    }

    #[test]
    fn renewal_after_half_the_lifetime() {
        let nonces = Nonces::new(vec![3; 32]).unwrap();
        let nonce = nonces.issue(1_000);
        assert!(!nonces.is_due_for_renewal(&nonce, 1_100));
        assert!(nonces.is_due_for_renewal(&nonce, 1_200));
        // Exactly half of the five minutes is not yet past half.
        assert!(!nonces.is_due_for_renewal(&nonce, 1_150));
        assert!(nonces.is_due_for_renewal(&nonce, 1_151));
    }
}
