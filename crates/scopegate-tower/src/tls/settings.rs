//! [`TlsSettings`]: the server's certificate and key, and whether (and by which CAs) clients
//! are asked for certificates.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use scopegate_core::{Error, ErrorKind};

/// How long a TLS handshake may take before the connection is dropped, by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many connections are served at once, by default; more wait to be accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// How long a response may wait for the peer to read it before the connection is dropped,
/// by default.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// TLS for [`serve`](super::serve): the server's certificate chain and private key (PEM), and,
/// optionally, the CAs whose client certificates are accepted.
///
/// Client certificates are checked in the handshake (chain to one of the CAs, validity
/// period, the client-authentication key usage): an expired certificate, or one from another
/// CA, ends the connection before any request is read. A certificate that passed reaches each
/// request as a [`ClientCertificate`](crate::ClientCertificate).
#[derive(Clone)]
pub struct TlsSettings {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    client_roots: Option<Arc<RootCertStore>>,
    client_certificate_required: bool,
    pub(super) handshake_timeout: Duration,
    pub(super) max_connections: usize,
    pub(super) write_timeout: Duration,
}

impl TlsSettings {
    /// The server's certificate chain (leaf first) and private key (PKCS#8, PKCS#1 or SEC1),
    /// both PEM.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when the chain has no certificate or the key does
    /// not parse.
    pub fn from_pem(chain: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Result<Self, Error> {
        let chain = certificates(chain.as_ref(), "the server certificate chain")?;
        let key = PrivateKeyDer::from_pem_slice(key.as_ref())
            .map_err(|_| config("the server's private key is not a PEM private key"))?;
        Ok(Self {
            chain,
            key: Arc::new(key),
            client_roots: None,
            client_certificate_required: false,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
        })
    }

    /// [`from_pem`](Self::from_pem), read from files.
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem), and when a file cannot be read (naming it).
    pub fn from_pem_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        Self::from_pem(read(chain.as_ref())?, read(key.as_ref())?)
    }

    /// Asks clients for a certificate signed by one of the CAs in `ca_pem`; a client may also
    /// present none (its requests carry no [`ClientCertificate`](crate::ClientCertificate), so
    /// certificate-bound tokens are refused and others are not).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when `ca_pem` holds no usable CA certificate.
    pub fn request_client_certificates(self, ca_pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        self.client_cas(ca_pem.as_ref(), false)
    }

    /// As [`request_client_certificates`](Self::request_client_certificates), and a client
    /// without a certificate is refused in the handshake.
    ///
    /// # Errors
    ///
    /// As [`request_client_certificates`](Self::request_client_certificates).
    pub fn require_client_certificates(self, ca_pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        self.client_cas(ca_pem.as_ref(), true)
    }

    fn client_cas(mut self, ca_pem: &[u8], required: bool) -> Result<Self, Error> {
        let mut roots = RootCertStore::empty();
        for certificate in certificates(ca_pem, "the client CA file")? {
            roots.add(certificate).map_err(|_| config("a client CA certificate is not usable"))?;
        }
        self.client_roots = Some(Arc::new(roots));
        self.client_certificate_required = required;
        Ok(self)
    }

    /// How long a handshake may take. Defaults to [`DEFAULT_HANDSHAKE_TIMEOUT`].
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How many connections are served at once. Defaults to [`DEFAULT_MAX_CONNECTIONS`].
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How long a write may wait for the peer to read before the connection is dropped: a
    /// client that sends requests and never reads the answers cannot hold its place. Defaults
    /// to [`DEFAULT_WRITE_TIMEOUT`].
    #[must_use]
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Whether clients are asked for certificates.
    pub fn asks_for_client_certificates(&self) -> bool {
        self.client_roots.is_some()
    }

    /// The rustls configuration: TLS 1.2 and 1.3, ALPN `h2` and `http/1.1`, the crypto provider of
    /// this build (aws-lc-rs, or ring with `rust-crypto`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when the key does not match the certificate or is
    /// of a kind the provider cannot use.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, Error> {
        let provider = Arc::new(super::provider());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|_| config("the crypto provider supports no TLS version"))?;
        let builder = match &self.client_roots {
            None => builder.with_no_client_auth(),
            Some(roots) => {
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::clone(roots), provider);
                let verifier = if self.client_certificate_required {
                    verifier.build()
                } else {
                    verifier.allow_unauthenticated().build()
                };
                let verifier =
                    verifier.map_err(|_| config("the client CAs cannot verify certificates"))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|_| config("the server's private key does not fit its certificate"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Never the key.
impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("certificates", &self.chain.len())
            .field("asks_for_client_certificates", &self.client_roots.is_some())
            .field("client_certificate_required", &self.client_certificate_required)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("max_connections", &self.max_connections)
            .field("write_timeout", &self.write_timeout)
            .finish_non_exhaustive()
    }
}

fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| config(format!("{what} is not PEM")))?;
    if certificates.is_empty() {
        return Err(config(format!("{what} holds no certificate")));
    }
    Ok(certificates)
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|error| config(format!("{} cannot be read: {error}", path.display())))
}

fn config(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidConfiguration, message)
}
