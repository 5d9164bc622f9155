//! Remote keys when the identity provider misbehaves: down, slow, huge or broken answers.
//! Nothing panics, nothing waits past the fetch timeout, cached keys keep working.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use scopegate_core::{ErrorKind, Verifier, VerifierBuilder};
use scopegate_testkit::{IssuerServer, EndpointBehaviour, ManualClock, TestKey};
use scopegate_tower::BearerAuthLayer;
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

fn builder(server: &IssuerServer) -> VerifierBuilder {
    Verifier::builder().issuer(server.issuer().issuer()).audience(server.issuer().audience())
}

/// The error and its sources, one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn cached_keys_outlive_the_server() {
    let server = IssuerServer::start().await;
    let verifier = builder(&server).build().await.unwrap();
    server.stop();
    for _ in 0..3 {
        assert!(verifier.verify(&server.issuer().token().sign()).await.is_ok());
    }
    // An unknown kid needs the server: the token may be fine, so this is "unavailable".
    let rotated = server.issuer().token_with_key(&TestKey::rsa()).sign();
    let error = verifier.verify(&rotated).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable);
    let stats = &verifier.key_source_stats()[0];
    assert_eq!((stats.fetches, stats.fetch_failures, stats.keys), (2, 1, 1));
    assert!(
        stats.last_error.as_deref().is_some_and(|e| e.contains("could not be reached")),
        "{stats:?}"
    );
}

#[tokio::test]
async fn a_server_down_from_the_start_fails_the_build_or_answers_503() {
    let server = IssuerServer::start().await;
    server.stop();
    let error = builder(&server).build().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable);
    let lazy = builder(&server).fetch_keys_lazily(true).build().await.unwrap();
    let error = lazy.verify(&server.issuer().token().sign()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable);
    // Through the layer: 503, no challenge.
    let service = ServiceBuilder::new().layer(BearerAuthLayer::new(lazy)).service_fn(
        |_: Request<String>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
        },
    );
    let token = server.issuer().token().sign();
    let request = Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(String::new())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    let body: serde_json::Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
}

#[tokio::test]
async fn lazy_keys_arrive_with_the_first_request_through_the_layer() {
    let server = IssuerServer::start().await;
    let verifier = builder(&server).fetch_keys_lazily(true).build_static().unwrap();
    assert_eq!(server.jwks_fetches(), 0);
    let service = ServiceBuilder::new().layer(BearerAuthLayer::new(verifier)).service_fn(
        |request: Request<String>| async move {
            let subject = request
                .extensions()
                .get::<scopegate_core::Claims>()
                .and_then(|c| c.subject().map(str::to_owned));
            Ok::<_, std::convert::Infallible>(http::Response::new(subject.unwrap_or_default()))
        },
    );
    let token = server.issuer().token().subject("first").sign();
    let request = Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(String::new())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "first");
    assert_eq!(server.jwks_fetches(), 1);
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = IssuerServer::start().await;
    server.set_jwks_behaviour(EndpointBehaviour::Hang);
    let started = Instant::now();
    let error =
        builder(&server).fetch_timeout(Duration::from_millis(300)).build().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable);
    assert!(error.message().contains("did not answer within 300ms"), "{error}");
    // A request waiting for keys waits no longer than the timeout either.
    let lazy = builder(&server)
        .fetch_timeout(Duration::from_millis(300))
        .fetch_keys_lazily(true)
        .build()
        .await
        .unwrap();
    let started = Instant::now();
    let error = lazy.verify(&server.issuer().token().sign()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable);
}

#[tokio::test]
async fn huge_or_broken_key_sets_are_refused() {
    let server = IssuerServer::start().await;
    let cases = [
        (
            EndpointBehaviour::Huge { bytes: 100 * 1024 * 1024, declared: true },
            "larger than 524288 bytes",
        ),
        (
            EndpointBehaviour::Huge { bytes: 100 * 1024 * 1024, declared: false },
            "larger than 524288 bytes",
        ),
        (EndpointBehaviour::Body(b"<html>oops</html>".to_vec()), "unusable"),
        (EndpointBehaviour::Body(br#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#.to_vec()), "unusable"),
        (
            EndpointBehaviour::Body(format!("{{\"keys\":{}}}", "[".repeat(10_000)).into_bytes()),
            "unusable",
        ),
        (EndpointBehaviour::Status(500), "answered 500"),
        (EndpointBehaviour::Reset, "could not be reached"),
        (EndpointBehaviour::Status(404), "answered 404"),
    ];
    for (behaviour, expected) in cases {
        server.set_jwks_behaviour(behaviour.clone());
        let started = Instant::now();
        let error = builder(&server).jwks_uri(server.jwks_uri()).build().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable, "{behaviour:?}");
        let chain = chain(&error);
        assert!(chain.contains(expected), "{behaviour:?}: {chain}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{behaviour:?}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_good_keys() {
    let server = IssuerServer::start().await;
    let clock = ManualClock::now();
    let verifier = builder(&server)
        .refetch_cooldown(Duration::from_secs(10))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    server.set_jwks_behaviour(EndpointBehaviour::Body(b"garbage".to_vec()));
    clock.advance(Duration::from_secs(11));
    let unknown = server.issuer().token().key_id("new").sign();
    assert_eq!(
        verifier.verify(&unknown).await.unwrap_err().kind(),
        ErrorKind::KeySourceUnavailable
    );
    assert!(verifier.verify(&server.issuer().token().sign()).await.is_ok());
    server.publish_raw(json!({"keys": []}));
    server.set_jwks_behaviour(EndpointBehaviour::Serve);
    clock.advance(Duration::from_secs(11));
    assert_eq!(
        verifier.verify(&unknown).await.unwrap_err().kind(),
        ErrorKind::KeySourceUnavailable
    );
    assert!(verifier.verify(&server.issuer().token().sign()).await.is_ok());
}
