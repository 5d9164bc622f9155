//! [`RequestFacts`]: what the verifier may know of the request a token came with.

use crate::certificate::CertificateThumbprint;

/// What the verifier may know of the request a token came with, beyond the token: the TLS
/// client certificate (for certificate-bound tokens, RFC 8705) and the tenant the request
/// names (its host, a path segment or a header, for [`Tenants`](crate::Tenants)). The tower
/// layer fills both in; by hand:
///
/// ```
/// use scopegate_core::{CertificateThumbprint, RequestFacts};
///
/// let certificate = CertificateThumbprint::of_der(b"the client's certificate (DER)");
/// let facts = RequestFacts::new().certificate(Some(&certificate)).tenant(Some("acme"));
/// assert_eq!(facts.tenant_named(), Some("acme"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use]
pub struct RequestFacts<'a> {
    pub(crate) certificate: Option<&'a CertificateThumbprint>,
    pub(crate) tenant: Option<&'a str>,
}

impl<'a> RequestFacts<'a> {
    /// No certificate, no tenant named.
    pub fn new() -> Self {
        Self::default()
    }

    /// The TLS client certificate the request came with (`None` without one).
    pub fn certificate(mut self, certificate: Option<&'a CertificateThumbprint>) -> Self {
        self.certificate = certificate;
        self
    }

    /// The tenant the request names (`None` when it names none: every tenant's token is
    /// accepted).
    pub fn tenant(mut self, tenant: Option<&'a str>) -> Self {
        self.tenant = tenant;
        self
    }

    /// The tenant the request names.
    pub fn tenant_named(&self) -> Option<&'a str> {
        self.tenant
    }
}
