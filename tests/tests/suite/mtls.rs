//! Certificate-bound tokens (RFC 8705) over real TLS on 127.0.0.1: scopegate's rustls serving
//! asks for client certificates, and the bearer layer checks `cnf.x5t#S256` against the
//! certificate of the connection. The client is rustls too, with and without certificates.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use scopegate::dpop::{Dpop, DpopMode};
use scopegate::tls::{TlsSettings, serve};
use scopegate::{
    Algorithm, BearerAuthLayer, ClientCertificate, ProtectedResource, ProtectedResourceMetadata,
    Verified, metadata_routes,
};
use scopegate_testkit::{TestCertificate, TestCertificateAuthority, TestIssuer, TestKey};

/// What a route saw: the subject, the certificate of the connection, and whether a
/// `Client-Cert` header reached it.
async fn whoami(
    claims: Verified,
    certificate: Option<Extension<ClientCertificate>>,
    headers: HeaderMap,
) -> String {
    let certificate = certificate.map_or("none".to_owned(), |c| c.thumbprint().to_string());
    let header = headers.contains_key("client-cert");
    format!("{} cert={certificate} header={header}", claims.subject().unwrap_or_default())
}

pub(crate) fn app(issuer: &TestIssuer, dpop: bool) -> Router {
    let resource = ProtectedResource::new("https://localhost/").unwrap().certificate_bound_tokens(true);
    let mut builder = issuer.verifier_builder().protected_resource(resource).audience(issuer.audience());
    if dpop {
        let dpop = Dpop::new(DpopMode::Allowed, "https://localhost").unwrap().algorithms([Algorithm::ES256]);
        builder = builder.dpop(dpop);
    }
    let verifier = builder.build_static().unwrap();
    let metadata = ProtectedResourceMetadata::for_verifier(&verifier).unwrap();
    Router::new()
        .route("/whoami", get(whoami))
        .route_layer(BearerAuthLayer::new(verifier).realm("orders"))
        .merge(metadata_routes(metadata))
}

pub(crate) struct Pki {
    pub(crate) ca: TestCertificateAuthority,
    pub(crate) server: TestCertificate,
}

impl Pki {
    pub(crate) fn new() -> Self {
        let ca = TestCertificateAuthority::new("scopegate clients and servers");
        let server = ca.server_certificate(&["localhost", "127.0.0.1"]);
        Self { ca, server }
    }

    fn settings(&self) -> TlsSettings {
        TlsSettings::from_pem(self.server.pem(), self.server.private_key_pem()).unwrap()
    }

    /// A client that trusts the CA and presents `identity`, if any.
    pub(crate) fn client(&self, identity: Option<&TestCertificate>) -> Arc<ClientConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from(self.ca.certificate_der())).unwrap();
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = match identity {
            None => builder.with_no_client_auth(),
            Some(identity) => {
                let chain = vec![CertificateDer::from(identity.der().to_vec())];
                let key = PrivateKeyDer::try_from(identity.private_key_der().to_vec()).unwrap();
                builder.with_client_auth_cert(chain, key).unwrap()
            }
        };
        Arc::new(config)
    }
}

async fn start(settings: TlsSettings, app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, settings, app));
    address
}

/// The status, `WWW-Authenticate` and body of `GET path` over TLS, or why the connection or
/// request failed (`Debug` of the error).
pub(crate) async fn get_over_tls(
    address: SocketAddr,
    client: Arc<ClientConfig>,
    path: &str,
    headers: Vec<(&'static str, String)>,
) -> Result<(StatusCode, Option<String>, String), String> {
    let tcp = tokio::net::TcpStream::connect(address).await.map_err(|e| format!("{e:?}"))?;
    let name = ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(client).connect(name, tcp).await.map_err(|e| format!("{e:?}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|e| format!("{e:?}"))?;
    let driver = tokio::spawn(connection);
    let mut request = Request::get(path).header(header::HOST, "localhost");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let sent = sender.send_request(request.body(Empty::<bytes::Bytes>::new()).unwrap()).await;
    let response = match sent {
        Ok(response) => response,
        // The server's refusal of a client certificate (TLS 1.3) arrives as an alert on the
        // first read: the connection task holds the error.
        Err(error) => {
            let ended = driver.await.unwrap();
            return Err(format!("{error:?} / {ended:?}"));
        }
    };
    let status = response.status();
    let challenge =
        response.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.map_err(|e| format!("{e:?}"))?.to_bytes();
    Ok((status, challenge, String::from_utf8(body.to_vec()).unwrap()))
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

fn invalid_token(description: &str) -> Option<String> {
    Some(format!(
        r#"Bearer error="invalid_token", error_description="{description}", resource_metadata="https://localhost/.well-known/oauth-protected-resource""#
    ))
}

fn invalid_token_body(description: &str) -> String {
    serde_json::json!({"error": "invalid_token", "error_description": description}).to_string()
}

#[tokio::test]
async fn a_bound_token_passes_only_with_its_certificate() {
    let pki = Pki::new();
    let issuer = TestIssuer::new();
    let settings = pki.settings().request_client_certificates(pki.ca.certificate_pem()).unwrap();
    let address = start(settings, app(&issuer, false)).await;
    let (alice, mallory) = (pki.ca.client_certificate("alice"), pki.ca.client_certificate("mallory"));
    let bound = issuer.token().subject("alice").bound_to_certificate(&alice).sign();
    let unbound = issuer.token().subject("bob").sign();
    let thumb = |certificate: &TestCertificate| certificate.thumbprint().to_string();

    let with = |identity: Option<&TestCertificate>, token: &str| {
        get_over_tls(address, pki.client(identity), "/whoami", bearer(token))
    };
    assert_eq!(
        with(Some(&alice), &bound).await.unwrap(),
        (StatusCode::OK, None, format!("alice cert={} header=false", thumb(&alice)))
    );
    assert_eq!(
        with(Some(&mallory), &bound).await.unwrap(),
        (
            StatusCode::UNAUTHORIZED,
            invalid_token("the request's TLS client certificate is not the one the token is bound to"),
            invalid_token_body("the request's TLS client certificate is not the one the token is bound to"),
        )
    );
    assert_eq!(
        with(None, &bound).await.unwrap(),
        (
            StatusCode::UNAUTHORIZED,
            invalid_token("the token is bound to a TLS client certificate and the request presented none"),
            invalid_token_body("the token is bound to a TLS client certificate and the request presented none"),
        )
    );
    // Unbound tokens are not affected by a certificate, or its absence.
    assert_eq!(
        with(Some(&mallory), &unbound).await.unwrap(),
        (StatusCode::OK, None, format!("bob cert={} header=false", thumb(&mallory)))
    );
    assert_eq!(with(None, &unbound).await.unwrap(), (StatusCode::OK, None, "bob cert=none header=false".to_owned()));
    // A token bound to a key and to a certificate, as a bearer token: refused for the key.
    let client_key = TestKey::ec_p256();
    let both = issuer.token().subject("alice").bound_to(&client_key).bound_to_certificate(&alice).sign();
    assert_eq!(
        with(Some(&alice), &both).await.unwrap().1,
        invalid_token("the token is sender-constrained (`cnf`) and cannot be used as a bearer token")
    );
    // The metadata says certificate-bound tokens are accepted.
    let path = "/.well-known/oauth-protected-resource";
    let (status, _, body) = get_over_tls(address, pki.client(None), path, vec![]).await.unwrap();
    let document: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, &document["tls_client_certificate_bound_access_tokens"]), (StatusCode::OK, &serde_json::json!(true)));
}

#[tokio::test]
async fn a_token_bound_to_a_key_and_a_certificate_needs_both() {
    let pki = Pki::new();
    let issuer = TestIssuer::new();
    let settings = pki.settings().request_client_certificates(pki.ca.certificate_pem()).unwrap();
    let address = start(settings, app(&issuer, true)).await;
    let (alice, mallory) = (pki.ca.client_certificate("alice"), pki.ca.client_certificate("mallory"));
    let client_key = TestKey::ec_p256();
    let token = issuer.token().subject("alice").bound_to(&client_key).bound_to_certificate(&alice).sign();
    let headers = || {
        let proof = client_key.dpop_proof("GET", "https://localhost/whoami").access_token(&token).sign();
        vec![("authorization", format!("DPoP {token}")), ("dpop", proof)]
    };
    let (status, challenge, body) =
        get_over_tls(address, pki.client(Some(&alice)), "/whoami", headers()).await.unwrap();
    assert_eq!((status, challenge), (StatusCode::OK, None));
    assert_eq!(body, format!("alice cert={} header=false", alice.thumbprint()));
    for (identity, description) in [
        (Some(&mallory), "the request's TLS client certificate is not the one the token is bound to"),
        (None, "the token is bound to a TLS client certificate and the request presented none"),
    ] {
        let (status, challenge, _) =
            get_over_tls(address, pki.client(identity), "/whoami", headers()).await.unwrap();
        let expected = format!(
            r#"DPoP error="invalid_token", error_description="{description}", algs="ES256", resource_metadata="https://localhost/.well-known/oauth-protected-resource""#
        );
        assert_eq!((status, challenge), (StatusCode::UNAUTHORIZED, Some(expected)));
    }
}

#[tokio::test]
async fn bad_client_certificates_end_the_handshake() {
    let pki = Pki::new();
    let issuer = TestIssuer::new();
    let requested = pki.settings().request_client_certificates(pki.ca.certificate_pem()).unwrap();
    let address = start(requested, app(&issuer, false)).await;
    let token = issuer.token().subject("bob").sign();
    let expired = pki.ca.expired_client_certificate("alice");
    let stranger = TestCertificateAuthority::new("another CA").client_certificate("alice");
    for (identity, alert) in [(&expired, "AlertReceived(CertificateExpired)"), (&stranger, "AlertReceived(UnknownCA)")] {
        let error = get_over_tls(address, pki.client(Some(identity)), "/whoami", bearer(&token)).await.unwrap_err();
        assert!(error.contains(alert), "{alert}: {error}");
    }
    // Required: a client without a certificate does not get in either.
    let required = pki.settings().require_client_certificates(pki.ca.certificate_pem()).unwrap();
    let address = start(required, app(&issuer, false)).await;
    let error = get_over_tls(address, pki.client(None), "/whoami", bearer(&token)).await.unwrap_err();
    assert!(error.contains("AlertReceived(CertificateRequired)"), "{error}");
    let alice = pki.ca.client_certificate("alice");
    let answer = get_over_tls(address, pki.client(Some(&alice)), "/whoami", bearer(&token)).await.unwrap();
    assert_eq!(answer, (StatusCode::OK, None, format!("bob cert={} header=false", alice.thumbprint())));
}

#[tokio::test]
async fn without_client_authentication_no_certificate_reaches_the_request() {
    let pki = Pki::new();
    let issuer = TestIssuer::new();
    let address = start(pki.settings(), app(&issuer, false)).await;
    let alice = pki.ca.client_certificate("alice");
    let bound = issuer.token().subject("alice").bound_to_certificate(&alice).sign();
    // The server never asked, so the client's certificate is not sent: a bound token fails.
    let answer = get_over_tls(address, pki.client(Some(&alice)), "/whoami", bearer(&bound)).await.unwrap();
    assert_eq!(answer.0, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.1, invalid_token("the token is bound to a TLS client certificate and the request presented none"));
}

#[test]
fn settings_refuse_what_cannot_serve() {
    let pki = Pki::new();
    let message = |result: Result<TlsSettings, scopegate::Error>| result.unwrap_err().message().to_owned();
    assert_eq!(message(TlsSettings::from_pem("", pki.server.private_key_pem())), "the server certificate chain holds no certificate");
    assert_eq!(message(TlsSettings::from_pem(pki.server.pem(), "junk")), "the server's private key is not a PEM private key");
    assert_eq!(message(pki.settings().request_client_certificates("")), "the client CA file holds no certificate");
    let other_key = pki.ca.client_certificate("x");
    let mismatched = TlsSettings::from_pem(pki.server.pem(), other_key.private_key_pem()).unwrap();
    assert_eq!(mismatched.server_config().unwrap_err().message(), "the server's private key does not fit its certificate");
    assert_eq!(
        message(TlsSettings::from_pem_files("/nonexistent/server.crt", "/nonexistent/server.key")),
        "/nonexistent/server.crt cannot be read: No such file or directory (os error 2)"
    );
}

/// A client that sends a request and never reads the answer is dropped after the write
/// timeout, so that it cannot keep its place: with room for one connection, the next client
/// gets in.
#[tokio::test]
async fn a_client_that_stops_reading_loses_its_place() {
    use tokio::io::AsyncWriteExt;
    let pki = Pki::new();
    let settings = pki.settings().max_connections(1).write_timeout(std::time::Duration::from_millis(500));
    let app = Router::new()
        .route("/big", get(|| async { vec![b'x'; 32 * 1024 * 1024] }))
        .route("/small", get(|| async { "small" }));
    let address = start(settings, app).await;
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut stalled = tokio_rustls::TlsConnector::from(pki.client(None)).connect(name, tcp).await.unwrap();
    stalled.write_all(b"GET /big HTTP/1.1\r\nhost: localhost\r\n\r\n").await.unwrap();
    stalled.flush().await.unwrap();
    let next = get_over_tls(address, pki.client(None), "/small", vec![]);
    let answer = tokio::time::timeout(std::time::Duration::from_secs(20), next).await;
    assert_eq!(answer.expect("the stalled client kept the only place").unwrap(), (StatusCode::OK, None, "small".to_owned()));
    drop(stalled);
}
