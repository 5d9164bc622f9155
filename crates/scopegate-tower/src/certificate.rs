//! [`ClientCertificate`] and [`PeerAddress`]: what the connection under a request tells the
//! layer, as request extensions.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use scopegate_core::CertificateThumbprint;

/// The TLS client certificate of the connection a request came on (DER), with its SHA-256
/// thumbprint computed once per connection. Cheap to clone: one per connection, shared by its
/// requests.
///
/// [`BearerAuthLayer`](crate::BearerAuthLayer) reads [`ClientCertificate`] to check tokens
/// bound to a certificate (`cnf.x5t#S256`, RFC 8705). It is put there by the TLS serving of
/// this crate (feature `tls`) from the verified peer certificate, or by
/// [`ClientCertHeaderLayer`](crate::ClientCertHeaderLayer) from a trusted proxy's RFC 9440
/// `Client-Cert` header; never from anything else a client sends.
///
/// ```
/// use scopegate_tower::ClientCertificate;
///
/// let certificate = ClientCertificate::from_der(b"DER bytes of the client's certificate".to_vec());
/// assert_eq!(certificate.thumbprint().as_str().len(), 43);
/// assert_eq!(
///     format!("{certificate:?}"),
///     format!("ClientCertificate {{ thumbprint: \"{}\" }}", certificate.thumbprint())
/// );
/// ```
#[derive(Clone)]
pub struct ClientCertificate {
    der: Arc<[u8]>,
    thumbprint: CertificateThumbprint,
}

impl ClientCertificate {
    /// The certificate whose DER encoding is `der`. Only for a certificate the TLS stack (or a
    /// trusted proxy) verified: the layer trusts whatever this extension says.
    pub fn from_der(der: impl Into<Arc<[u8]>>) -> Self {
        let der = der.into();
        Self { thumbprint: CertificateThumbprint::of_der(&der), der }
    }

    /// The certificate, DER-encoded.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Its SHA-256 thumbprint, as `cnf.x5t#S256` names it.
    pub fn thumbprint(&self) -> &CertificateThumbprint {
        &self.thumbprint
    }
}

/// The thumbprint only: the certificate itself is long, and says who the client is.
impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate").field("thumbprint", &self.thumbprint.as_str()).finish()
    }
}

/// The address of the peer a request's connection came from, as the server accepted it: the
/// TLS serving of this crate puts it in every request's extensions, and
/// [`ClientCertHeaderLayer`](crate::ClientCertHeaderLayer) compares it with the trusted
/// proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddress(pub SocketAddr);
