//! The layer inside a real hyper server, over loopback, with a raw HTTP/1.1 client.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::convert::Infallible;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use scopegate_core::Claims;
use scopegate_testkit::TestIssuer;
use scopegate_tower::BearerAuthLayer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceBuilder;

async fn hello(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let subject = request.extensions().get::<Claims>().and_then(|c| c.subject().map(str::to_owned));
    Ok(Response::new(format!("hello {}", subject.unwrap_or_default())))
}

async fn exchange(address: std::net::SocketAddr, authorization: Option<&str>) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut request = "GET /orders HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n".to_owned();
    if let Some(value) = authorization {
        request.push_str(&format!("Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn the_layer_serves_hyper_over_loopback() {
    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(hello);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });

    let token = issuer.token().subject("42").sign();
    let ok = exchange(address, Some(&format!("Bearer {token}"))).await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(ok.ends_with("\r\n\r\nhello 42"), "{ok}");

    let missing = exchange(address, None).await;
    assert!(missing.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{missing}");
    assert!(missing.contains("\r\nwww-authenticate: Bearer realm=\"api\"\r\n"), "{missing}");

    let expired =
        exchange(address, Some(&format!("Bearer {}", issuer.token().expired().sign()))).await;
    assert!(expired.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{expired}");
    assert!(
        expired.contains("\r\nwww-authenticate: Bearer error=\"invalid_token\", error_description=\"the token has expired\"\r\n"),
        "{expired}"
    );
    assert!(
        expired
            .ends_with(r#"{"error":"invalid_token","error_description":"the token has expired"}"#),
        "{expired}"
    );
}
