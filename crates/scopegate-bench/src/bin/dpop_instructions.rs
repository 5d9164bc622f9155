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
    // A valid DPoP request (a fresh proof each), or with `junk_bearer` / `junk_rsa8192` the
    // hostile rows of the `paths` bench, refused.
    let mode = std::env::args().nth(2).unwrap_or_default();
    let junk_proof = (mode == "junk_rsa8192").then(rsa8192_proof);
    let request = || -> Request {
        let request = Request::builder().uri("/orders");
        let request = match mode.as_str() {
            "" => {
                let proof = client
                    .dpop_proof("GET", &format!("{ORIGIN}/orders"))
                    .access_token(&token)
                    .sign();
                request.header(header::AUTHORIZATION, format!("DPoP {token}")).header("dpop", proof)
            }
            "junk_bearer" => request.header(header::AUTHORIZATION, "Bearer junk.token.value"),
            _ => request
                .header(header::AUTHORIZATION, "DPoP junk.token.value")
                .header("dpop", junk_proof.as_deref().unwrap_or_default()),
        };
        request.body(Body::empty()).expect("request")
    };
    let expected = if mode.is_empty() { 200 } else { 401 };
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let run = |requests: Vec<Request>| {
        runtime.block_on(async {
            for request in requests {
                let response = router.clone().oneshot(request).await.expect("infallible");
                assert_eq!(response.status().as_u16(), expected);
            }
        });
    };
    run((0..100).map(|_| request()).collect());
    measured(&run, (0..count).map(|_| request()).collect());
}

/// What callgrind counts, with `--collect-atstart=no --toggle-collect='*measured*'`.
#[inline(never)]
fn measured(run: &dyn Fn(Vec<Request>), requests: Vec<Request>) {
    run(requests);
}

/// A proof with an RSA-8192 `jwk` (random modulus: it is refused before any signature work,
/// so no key needs generating) for a junk token.
fn rsa8192_proof() -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let modulus: Vec<u8> =
        (0..1024u32).map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x80).collect();
    let header = serde_json::json!({
        "typ": "dpop+jwt",
        "alg": "RS256",
        "jwk": {"kty": "RSA", "e": "AQAB", "n": URL_SAFE_NO_PAD.encode(modulus)},
    });
    let payload = serde_json::json!({
        "jti": "j-1", "htm": "GET", "htu": format!("{ORIGIN}/orders"), "iat": 1_700_000_000u64,
    });
    let part = |value: serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.{}", part(header), part(payload), URL_SAFE_NO_PAD.encode([7u8; 1024]))
}
