//! Sealing what leaves the process: a value written to a store other processes can write
//! (Redis, say) comes back trusted only when its HMAC-SHA-256 tag, under a secret the replicas
//! share, verifies for the same purpose, the same key and an unexpired time.
//!
//! A sealed value is `tag (32 bytes) || valid until (8 bytes, big-endian seconds) || value`,
//! the tag computed over the purpose, the store key the value lives under, the time and the
//! value. So a value cannot be forged, moved to another key (another token, another API's
//! answer), used for another purpose, or brought back after it expired.
//!
//! ```
//! use scopegate_core::SealingKey;
//!
//! let key = SealingKey::new(b"0123456789abcdef0123456789abcdef".to_vec())?;
//! # let _ = key;
//! # Ok::<(), scopegate_core::Error>(())
//! ```

use std::fmt;

use zeroize::Zeroizing;

use crate::crypto::hmac_sha256;
use crate::error::Error;

/// The bytes a seal adds to a value.
pub const SEAL_BYTES: usize = 40;

/// The secret that seals shared state: the same on every replica, at least 32 bytes. Several
/// may open (for rotation: the first seals, every one opens). `Debug` never shows them.
#[derive(Clone)]
pub struct SealingKey {
    secrets: Vec<Zeroizing<Vec<u8>>>,
}

/// Why a sealed value was not opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "shared state needs `remote`"))]
pub(crate) enum Unsealed {
    /// Too short, or its tag does not verify: forged, moved, or sealed with another secret.
    Forged,
    /// Genuine, but past its time.
    Expired,
}

impl SealingKey {
    /// A key that seals with `secret` (at least 32 bytes; give every replica the same one).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for a secret
    /// shorter than 32 bytes.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        Ok(Self { secrets: vec![checked(secret.into())?] })
    }

    /// Also opens values sealed with `secret` (the one being rotated out).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn also_accept(mut self, secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        self.secrets.push(checked(secret.into())?);
        Ok(self)
    }

    /// `value`, sealed for `purpose` under the store key `binding`, valid until `until`
    /// (seconds since the epoch, exclusive).
    #[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "shared state needs `remote`"))]
    pub(crate) fn seal(
        &self,
        purpose: &[u8],
        binding: &[u8; 32],
        until: u64,
        value: &[u8],
    ) -> Vec<u8> {
        let secret = self.secrets.first().map_or(&[][..], |secret| secret.as_slice());
        let until = until.to_be_bytes();
        let mut sealed = Vec::with_capacity(SEAL_BYTES + value.len());
        sealed.extend_from_slice(&tag(secret, purpose, binding, &until, value));
        sealed.extend_from_slice(&until);
        sealed.extend_from_slice(value);
        sealed
    }

    /// A MAC of `data` for `purpose` under `binding`, with the first secret (the one that
    /// seals): a name only the replicas can compute.
    #[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "shared state needs `remote`"))]
    pub(crate) fn mac(&self, purpose: &[u8], binding: &[u8; 32], data: &[u8]) -> [u8; 32] {
        let secret = self.secrets.first().map_or(&[][..], |secret| secret.as_slice());
        tag(secret, purpose, binding, &[], data)
    }

    /// The value of `sealed` if one of the secrets sealed it for `purpose` under `binding`
    /// and it is still valid at `now`.
    #[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "shared state needs `remote`"))]
    pub(crate) fn open<'a>(
        &self,
        purpose: &[u8],
        binding: &[u8; 32],
        sealed: &'a [u8],
        now: u64,
    ) -> Result<&'a [u8], Unsealed> {
        self.open_timed(purpose, binding, sealed, now).map(|(value, _)| value)
    }

    /// [`open`](Self::open), with the time the value was sealed until.
    #[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "shared state needs `remote`"))]
    pub(crate) fn open_timed<'a>(
        &self,
        purpose: &[u8],
        binding: &[u8; 32],
        sealed: &'a [u8],
        now: u64,
    ) -> Result<(&'a [u8], u64), Unsealed> {
        let (sealed_tag, rest) = sealed.split_at_checked(32).ok_or(Unsealed::Forged)?;
        let (until, value) = rest.split_at_checked(8).ok_or(Unsealed::Forged)?;
        let genuine = self
            .secrets
            .iter()
            .any(|secret| same_bytes(&tag(secret, purpose, binding, until, value), sealed_tag));
        if !genuine {
            return Err(Unsealed::Forged);
        }
        let until = u64::from_be_bytes(until.try_into().map_err(|_| Unsealed::Forged)?);
        if now >= until {
            return Err(Unsealed::Expired);
        }
        Ok((value, until))
    }
}

/// The tag of `sealed` (its first 32 bytes), which names it: two values with one tag are the
/// same value, sealed once.
#[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "shared state needs `remote`"))]
pub(crate) fn tag_of(sealed: &[u8]) -> Option<[u8; 32]> {
    sealed.get(..32)?.try_into().ok()
}

fn checked(secret: Vec<u8>) -> Result<Zeroizing<Vec<u8>>, Error> {
    if secret.len() < 32 {
        return Err(Error::config("a sealing secret must be at least 32 bytes"));
    }
    Ok(Zeroizing::new(secret))
}

#[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "shared state needs `remote`"))]
fn tag(secret: &[u8], purpose: &[u8], binding: &[u8; 32], until: &[u8], value: &[u8]) -> [u8; 32] {
    let mut message = Vec::with_capacity(purpose.len() + 1 + 32 + until.len() + value.len());
    message.extend_from_slice(purpose);
    message.push(0);
    message.extend_from_slice(binding);
    message.extend_from_slice(until);
    message.extend_from_slice(value);
    hmac_sha256(secret, &message)
}

/// Every byte compared whatever the result: the time does not tell how much of a tag matched.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("secrets", &format!("[{} redacted]", self.secrets.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PURPOSE: &[u8] = b"test";

    #[test]
    fn a_sealed_value_opens_only_unchanged_in_place_and_in_time() {
        let key = SealingKey::new(vec![7; 32]).unwrap();
        let sealed = key.seal(PURPOSE, &[1; 32], 1_000, b"{\"active\":true}");
        assert_eq!(sealed.len(), SEAL_BYTES + 15);
        assert_eq!(key.open(PURPOSE, &[1; 32], &sealed, 999), Ok(&b"{\"active\":true}"[..]));
        assert_eq!(key.open(PURPOSE, &[1; 32], &sealed, 1_000), Err(Unsealed::Expired));
        assert_eq!(key.open(PURPOSE, &[2; 32], &sealed, 999), Err(Unsealed::Forged), "moved");
        assert_eq!(key.open(b"other", &[1; 32], &sealed, 999), Err(Unsealed::Forged));
        // Every single-byte change is caught: the tag, the time, the value.
        for index in 0..sealed.len() {
            let mut changed = sealed.clone();
            changed[index] ^= 0x20;
            assert_eq!(
                key.open(PURPOSE, &[1; 32], &changed, 999),
                Err(Unsealed::Forged),
                "{index}"
            );
        }
        // A later time with the old tag (bringing an answer back) is refused too.
        let mut later = sealed.clone();
        later[32..40].copy_from_slice(&5_000u64.to_be_bytes());
        assert_eq!(key.open(PURPOSE, &[1; 32], &later, 2_000), Err(Unsealed::Forged));
        for short in [&sealed[..0], &sealed[..31], &sealed[..39]] {
            assert_eq!(key.open(PURPOSE, &[1; 32], short, 999), Err(Unsealed::Forged));
        }
        let other = SealingKey::new(vec![8; 32]).unwrap();
        assert_eq!(other.open(PURPOSE, &[1; 32], &sealed, 999), Err(Unsealed::Forged));
    }

    #[test]
    fn rotation_and_redaction() {
        let old = SealingKey::new(vec![1; 32]).unwrap();
        let new = SealingKey::new(vec![2; 32]).unwrap().also_accept(vec![1; 32]).unwrap();
        let sealed = old.seal(PURPOSE, &[0; 32], 10, b"v");
        assert_eq!(new.open(PURPOSE, &[0; 32], &sealed, 5), Ok(&b"v"[..]));
        assert!(SealingKey::new(vec![0; 31]).is_err());
        assert_eq!(format!("{new:?}"), r#"SealingKey { secrets: "[2 redacted]" }"#);
    }
}
