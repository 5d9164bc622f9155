//! The `metrics` counters of the remote paths, exact: key fetches per issuer, introspection
//! calls, cache hits and inactive answers, and no token in any label. Recorded with
//! `metrics-util`'s debugging recorder, local to this test's thread (a current-thread runtime
//! runs every task there), so other tests running at the same time add nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use scopegate::remote::Introspection;
use scopegate::{BearerAuthLayer, Verifier};
use scopegate_testkit::{
    EndpointBehaviour, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer,
};
use tower::ServiceExt;

/// Every counter as `name{label=value,...}` and its count.
fn counters(recorder: &DebuggingRecorder) -> BTreeMap<String, u64> {
    let snapshot = recorder.snapshotter().snapshot().into_vec();
    snapshot
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let DebugValue::Counter(count) = value else { return None };
            let key = key.key();
            let labels: Vec<_> =
                key.labels().map(|label| format!("{}={}", label.key(), label.value())).collect();
            Some((format!("{}{{{}}}", key.name(), labels.join(",")), count))
        })
        .collect()
}

async fn status(app: &Router, token: &str) -> StatusCode {
    let request = Request::get("/orders")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(request).await.unwrap().status()
}

#[test]
fn remote_paths_are_counted_exactly() {
    let recorder = DebuggingRecorder::new();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (issuer, tokens) = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let server = IssuerServer::start().await;
            let verifier = Verifier::builder()
                .issuer(server.issuer().issuer())
                .audience(server.issuer().audience())
                .introspection(Introspection::new(
                    INTROSPECTION_CLIENT_ID,
                    INTROSPECTION_CLIENT_SECRET,
                ))
                .fetch_timeout(Duration::from_millis(500))
                .build()
                .await
                .unwrap();
            let app = Router::new()
                .route("/orders", get(|| async { "ok" }))
                .route_layer(BearerAuthLayer::new(verifier));
            let token = || server.issuer().token().subject("ann").scopes(["orders.read"]);
            let jwt = token().sign();
            let opaque = server.opaque_token(token());
            let revoked = server.opaque_token(token());
            server.revoke(&revoked);
            assert_eq!(status(&app, &jwt).await, StatusCode::OK);
            assert_eq!(status(&app, &opaque).await, StatusCode::OK);
            assert_eq!(status(&app, &opaque).await, StatusCode::OK);
            assert_eq!(status(&app, &revoked).await, StatusCode::UNAUTHORIZED);
            // A second verifier for the same issuer whose JWKS fetch fails: `503` on start.
            server.set_jwks_behaviour(EndpointBehaviour::Status(500));
            let failing = Verifier::builder()
                .issuer(server.issuer().issuer())
                .audience(server.issuer().audience())
                .fetch_timeout(Duration::from_millis(500))
                .build()
                .await;
            assert!(failing.is_err());
            (server.issuer().issuer().to_owned(), [jwt, opaque, revoked])
        })
    });
    let counters = counters(&recorder);
    let expected: BTreeMap<String, u64> = [
        (format!("scopegate_key_fetches_total{{issuer={issuer},outcome=ok}}"), 1),
        (format!("scopegate_key_fetches_total{{issuer={issuer},outcome=error}}"), 1),
        ("scopegate_introspections_total{outcome=call}".to_owned(), 2),
        ("scopegate_introspections_total{outcome=cache_hit}".to_owned(), 1),
        ("scopegate_introspections_total{outcome=inactive}".to_owned(), 1),
        ("scopegate_requests_admitted_total{scheme=Bearer}".to_owned(), 3),
        ("scopegate_requests_rejected_total{class=invalid_token,kind=inactive_token}".to_owned(), 1),
        ("scopegate_token_cache_total{event=miss}".to_owned(), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(counters, expected);
    for token in &tokens {
        assert!(counters.keys().all(|series| !series.contains(token.as_str())));
    }
}
