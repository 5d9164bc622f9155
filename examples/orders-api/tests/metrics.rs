//! `/metrics` after a mixed batch of requests over real HTTP: every count exact.
//!
//! Its own test binary, because the Prometheus recorder is installed once per process and
//! requests of other tests would add to its counts.

#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orders_api::dev::DevIssuer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request line, its headers and the status it must get.
type Sent<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);

/// One HTTP/1.1 request on its own connection: the status and the body.
async fn send(address: &str, request_line: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request =
        format!("{request_line} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("content-length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap();
    (status, body)
}

#[tokio::test]
async fn metrics_count_a_mixed_batch_exactly() {
    let handle = orders_api::metrics::install().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let base = format!("http://{address}");
    let issuer = DevIssuer::new();
    let verifier =
        issuer.verifier_builder().dpop(issuer.dpop(&base).unwrap()).build_static().unwrap();
    let app = orders_api::app(verifier).merge(orders_api::metrics::routes(handle));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let tokens = issuer.tokens();
    let reader = format!("Bearer {}", tokens[0].token);
    let (head, signature) = tokens[0].token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("Bearer {head}.{flipped}{}", &signature[1..]);
    let dpop = issuer.dpop_reader(&format!("{base}/orders"));
    let dpop_authorization = format!("DPoP {}", dpop.token);
    let with_proof = [("authorization", dpop_authorization.as_str()), ("dpop", &dpop.proof)];

    let batch: [Sent<'_>; 9] = [
        ("GET /orders", vec![("authorization", &reader)], 200),
        ("GET /orders", vec![("authorization", &reader)], 200),
        ("GET /orders", vec![("authorization", &reader)], 200),
        ("POST /orders", vec![("authorization", &reader)], 403),
        ("GET /orders", vec![], 401),
        ("GET /orders", vec![("authorization", &tampered)], 401),
        ("GET /orders", vec![("authorization", "Bearer two words")], 400),
        ("GET /orders", with_proof.to_vec(), 200),
        // The same proof again: a replay.
        ("GET /orders", with_proof.to_vec(), 401),
    ];
    for (line, headers, expected) in &batch {
        let (status, body) = send(&address, line, headers).await;
        assert_eq!(status, *expected, "{line} {headers:?}: {body}");
    }

    let (status, text) = send(&address, "GET /metrics", &[]).await;
    assert_eq!(status, 200);
    let count = |series: &str| -> Option<u64> {
        text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    };
    // The layer verified the reader's token four times (the `POST` is then refused by the
    // route's scope guard) and the DPoP token once.
    assert_eq!(count(r#"scopegate_requests_admitted_total{scheme="Bearer"}"#), Some(4), "{text}");
    assert_eq!(count(r#"scopegate_requests_admitted_total{scheme="DPoP"}"#), Some(1), "{text}");
    let rejected = |class: &str, kind: &str| {
        count(&format!(r#"scopegate_requests_rejected_total{{class="{class}",kind="{kind}"}}"#))
    };
    assert_eq!(rejected("insufficient_scope", "insufficient_scope"), Some(1), "{text}");
    assert_eq!(rejected("missing", "none"), Some(1), "{text}");
    assert_eq!(rejected("invalid_token", "invalid_signature"), Some(1), "{text}");
    assert_eq!(rejected("invalid_request", "invalid_request"), Some(1), "{text}");
    assert_eq!(rejected("invalid_dpop_proof", "dpop_proof_replayed"), Some(1), "{text}");
    assert_eq!(count("scopegate_dpop_replays_refused_total"), Some(1), "{text}");
    // Misses: the reader's first request, the tampered token, `two words` (its syntax is
    // checked only once it fails to verify, to tell 400 from 401) and the DPoP token's first
    // request. Hits: the reader's three other requests and the replayed DPoP request.
    assert_eq!(count(r#"scopegate_token_cache_total{event="miss"}"#), Some(4), "{text}");
    assert_eq!(count(r#"scopegate_token_cache_total{event="hit"}"#), Some(4), "{text}");
    assert_eq!(count(r#"scopegate_token_cache_total{event="eviction"}"#), None, "{text}");
    let series = text.lines().filter(|line| line.starts_with("scopegate_")).count();
    assert_eq!(series, 10, "no series beyond those asserted: {text}");
    for token in [&tokens[0].token, &dpop.token, &dpop.proof] {
        assert!(!text.contains(token.as_str()), "a token leaked into the metrics");
    }
}
