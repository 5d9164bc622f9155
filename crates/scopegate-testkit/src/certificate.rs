//! [`TestCertificateAuthority`] and [`TestCertificate`]: a CA, server and client certificates
//! for tests of TLS client authentication and certificate-bound tokens (RFC 8705), minted with
//! rcgen (ECDSA P-256, through aws-lc-rs).

use std::fmt;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, date_time_ymd,
};
use scopegate_core::CertificateThumbprint;

/// A certificate authority made for one test: it signs server and client certificates.
///
/// ```
/// use scopegate_testkit::{TestCertificateAuthority, TestIssuer};
///
/// let ca = TestCertificateAuthority::new("orders CA");
/// let alice = ca.client_certificate("alice");
/// let issuer = TestIssuer::new();
/// let bound = issuer.token().bound_to_certificate(&alice);
/// let (_, claims) = bound.parts();
/// assert_eq!(claims["cnf"]["x5t#S256"], alice.thumbprint().as_str());
/// let verifier = issuer.verifier();
/// let presented = alice.thumbprint();
/// assert!(verifier.verify_now_with_certificate(&bound.sign(), Some(&presented)).into_ready().unwrap().is_ok());
/// ```
pub struct TestCertificateAuthority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its private key.
#[derive(Clone)]
pub struct TestCertificate {
    der: Vec<u8>,
    pem: String,
    key_der: Vec<u8>,
    key_pem: String,
}

impl TestCertificateAuthority {
    /// A new self-signed CA whose common name is `name`.
    ///
    /// # Panics
    ///
    /// If the key or certificate cannot be made (never, with rcgen's defaults).
    #[allow(clippy::expect_used)]
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("a P-256 key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("a self-signed CA");
        Self { issuer }
    }

    /// The CA's certificate, PEM: what a server is told to trust for client certificates.
    pub fn certificate_pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA's certificate, DER.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// A server certificate for `names` (DNS names, or IP addresses such as `127.0.0.1`).
    ///
    /// # Panics
    ///
    /// If a name is neither a DNS name nor an IP address.
    #[allow(clippy::expect_used)]
    pub fn server_certificate(&self, names: &[&str]) -> TestCertificate {
        let names = names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>();
        let mut params = CertificateParams::new(names).expect("DNS names or IP addresses");
        params.distinguished_name.push(DnType::CommonName, "scopegate test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        self.sign(&params)
    }

    /// A client certificate whose common name is `name`, valid now.
    pub fn client_certificate(&self, name: &str) -> TestCertificate {
        self.sign(&client_params(name))
    }

    /// A client certificate whose common name is `name`, expired in 2001.
    pub fn expired_client_certificate(&self, name: &str) -> TestCertificate {
        let mut params = client_params(name);
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2001, 1, 1);
        self.sign(&params)
    }

    #[allow(clippy::expect_used)]
    fn sign(&self, params: &CertificateParams) -> TestCertificate {
        let key = KeyPair::generate().expect("a P-256 key");
        let certificate =
            params.signed_by(&key, &self.issuer).expect("a certificate signed by the CA");
        TestCertificate {
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn client_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params
}

impl fmt::Debug for TestCertificateAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCertificateAuthority").finish_non_exhaustive()
    }
}

impl TestCertificate {
    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The private key, PKCS#8 DER.
    pub fn private_key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// The private key, PKCS#8 PEM.
    pub fn private_key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The SHA-256 thumbprint a token bound to this certificate names (`cnf.x5t#S256`).
    pub fn thumbprint(&self) -> CertificateThumbprint {
        CertificateThumbprint::of_der(&self.der)
    }
}

/// The thumbprint only: never the private key.
impl fmt::Debug for TestCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCertificate").field("thumbprint", &self.thumbprint()).finish()
    }
}
