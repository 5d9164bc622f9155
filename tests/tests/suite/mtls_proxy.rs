//! Certificate-bound tokens (RFC 8705) behind a TLS-terminating proxy: the RFC 9440
//! `Client-Cert` header is read only from the proxy addresses configured, and removed from
//! every request, over real HTTP on 127.0.0.1 with axum's `ConnectInfo`.

use std::net::SocketAddr;

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use scopegate::ClientCertHeaderLayer;
use scopegate_testkit::{TestCertificate, TestCertificateAuthority, TestIssuer};

use super::mtls::app;

/// Serves `app` behind `layer` with axum's `ConnectInfo`, on 127.0.0.1.
async fn start(app: Router, layer: ClientCertHeaderLayer) -> SocketAddr {
    let layer = layer.peer_address(|extensions| {
        extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
    });
    let app = app.layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    address
}

fn client_cert(certificate: &TestCertificate) -> String {
    format!(":{}:", STANDARD.encode(certificate.der()))
}

/// Status, `WWW-Authenticate` error description and body of `GET /whoami`.
async fn get(address: SocketAddr, token: &str, client_cert: Option<&str>) -> (StatusCode, String) {
    let mut request = reqwest::Client::new()
        .get(format!("http://{address}/whoami"))
        .header("authorization", format!("Bearer {token}"));
    if let Some(value) = client_cert {
        request = request.header("client-cert", value);
    }
    let response = request.send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.text().await.unwrap())
}

fn refused(description: &str) -> (StatusCode, String) {
    let body = serde_json::json!({"error": "invalid_token", "error_description": description});
    (StatusCode::UNAUTHORIZED, body.to_string())
}

const MISSING: &str = "the token is bound to a TLS client certificate and the request presented none";
const MISMATCH: &str = "the request's TLS client certificate is not the one the token is bound to";

#[tokio::test]
async fn the_header_is_believed_only_from_a_trusted_proxy_and_never_reaches_the_route() {
    let issuer = TestIssuer::new();
    let ca = TestCertificateAuthority::new("clients");
    let (alice, mallory) = (ca.client_certificate("alice"), ca.client_certificate("mallory"));
    let bound = issuer.token().subject("alice").bound_to_certificate(&alice).sign();
    let unbound = issuer.token().subject("bob").sign();

    let trusted = start(app(&issuer, false), ClientCertHeaderLayer::trusting(["127.0.0.1"]).unwrap()).await;
    assert_eq!(
        get(trusted, &bound, Some(&client_cert(&alice))).await,
        (StatusCode::OK, format!("alice cert={} header=false", alice.thumbprint()))
    );
    assert_eq!(get(trusted, &bound, Some(&client_cert(&mallory))).await, refused(MISMATCH));
    assert_eq!(get(trusted, &bound, None).await, refused(MISSING));
    // A header that does not parse is no certificate (RFC 8941: ignored), never a panic.
    for junk in [":not base64!:", "MIIB", ":AAAA:", &"A".repeat(20_000)] {
        assert_eq!(get(trusted, &bound, Some(junk)).await, refused(MISSING), "{junk:.20}");
    }
    assert_eq!(
        get(trusted, &unbound, Some(":not base64!:")).await,
        (StatusCode::OK, "bob cert=none header=false".to_owned())
    );

    // From an address that is not a trusted proxy, the header is removed and not believed.
    let untrusted = start(app(&issuer, false), ClientCertHeaderLayer::trusting(["10.0.0.0/8"]).unwrap()).await;
    assert_eq!(get(untrusted, &bound, Some(&client_cert(&alice))).await, refused(MISSING));
    assert_eq!(
        get(untrusted, &unbound, Some(&client_cert(&alice))).await,
        (StatusCode::OK, "bob cert=none header=false".to_owned())
    );
}
