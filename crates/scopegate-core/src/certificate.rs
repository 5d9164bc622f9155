//! [`CertificateThumbprint`]: the SHA-256 thumbprint of a TLS client certificate, which a
//! certificate-bound token names in `cnf.x5t#S256` (RFC 8705 section 3.1).
//!
//! The certificate comes from the connection (scopegate-tower's TLS serving) or from a trusted
//! TLS-terminating proxy (the RFC 9440 `Client-Cert` header); core only hashes its DER bytes
//! and compares.
//!
//! ```
//! use scopegate_core::CertificateThumbprint;
//!
//! let thumbprint = CertificateThumbprint::of_der(b"not really a certificate");
//! assert_eq!(thumbprint.as_str().len(), 43); // 32 bytes, base64url without padding
//! assert_eq!(thumbprint, CertificateThumbprint::of_der(b"not really a certificate"));
//! assert_ne!(thumbprint, CertificateThumbprint::of_der(b"another one"));
//! ```

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::crypto::sha256;

/// The base64url (unpadded) SHA-256 of a certificate's DER encoding: what `x5t#S256` holds.
/// A certificate is public, and so is its thumbprint: `Debug` shows it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CertificateThumbprint(Box<str>);

impl CertificateThumbprint {
    /// The thumbprint of the certificate whose DER encoding is `der`.
    pub fn of_der(der: &[u8]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(sha256(der)).into_boxed_str())
    }

    /// The thumbprint as `x5t#S256` writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CertificateThumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CertificateThumbprint").field(&self.as_str()).finish()
    }
}

impl fmt::Display for CertificateThumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-256("abc") from FIPS 180-2, base64url: the hash and the encoding are the standard
    /// ones, not a look-alike.
    #[test]
    fn known_answer() {
        assert_eq!(
            CertificateThumbprint::of_der(b"abc").as_str(),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
