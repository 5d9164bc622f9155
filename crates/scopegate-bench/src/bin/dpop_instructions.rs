//! A DPoP request with a cached token, repeated: run under callgrind to see what each step of
//! the DPoP path costs (the proofs are made before anything is counted).
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured*' \
//!     target/release/dpop_instructions 1000
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -60
//! ```

#![forbid(unsafe_code)]
#![allow(clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::routing::get;
use scopegate::dpop::{Dpop, DpopMode, InMemoryReplayStore};
use scopegate::{Algorithm, BearerAuthLayer};
use scopegate_bench::interleave::served;
use scopegate_testkit::{TestIssuer, TestKey};
use tower::ServiceExt;

const ORIGIN: &str = "https://api.example.com";

fn main() {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let issuer = TestIssuer::new();
    let client = TestKey::ec_p256();
    let dpop = Dpop::new(DpopMode::Allowed, ORIGIN)
        .expect("origin")
        .algorithms([Algorithm::ES256])
        .replay_store(InMemoryReplayStore::new(1_000_000));
    let verifier = issuer.verifier_builder().dpop(dpop).build_static().expect("verifier");
    let router = served(
        Router::new()
            .route("/orders", get(|| async { "ok" }))
            .layer(BearerAuthLayer::new(verifier)),
    );
    let token = issuer.token().subject("42").bound_to(&client).sign();
    let requests = |count: usize| -> Vec<Request> {
        (0..count)
            .map(|_| {
                let proof = client
                    .dpop_proof("GET", &format!("{ORIGIN}/orders"))
                    .access_token(&token)
                    .sign();
                Request::builder()
                    .uri("/orders")
                    .header(header::AUTHORIZATION, format!("DPoP {token}"))
                    .header("dpop", proof)
                    .body(Body::empty())
                    .expect("request")
            })
            .collect()
    };
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let run = |requests: Vec<Request>| {
        runtime.block_on(async {
            for request in requests {
                let response = router.clone().oneshot(request).await.expect("infallible");
                assert!(response.status().is_success());
            }
        });
    };
    run(requests(100));
    measured(&run, requests(count));
}

/// What callgrind counts, with `--collect-atstart=no --toggle-collect='*measured*'`.
#[inline(never)]
fn measured(run: &dyn Fn(Vec<Request>), requests: Vec<Request>) {
    run(requests);
}
