//! Attacks on DPoP (RFC 9449) that the review found: proofs whose attacker-chosen key makes a
//! junk request expensive, a proof's key or signature checked before the token, paths whose
//! dot segments leave the API's public URL, and targets lost under `Router::nest`.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Request, StatusCode, header};
use scopegate::dpop::{Dpop, DpopMode};
use scopegate::{Algorithm, BearerAuthLayer, Verifier, original_uri};
use scopegate_testkit::{TestIssuer, TestKey};
use serde_json::json;
use tower::ServiceExt;

const ALGS: &str = "RS256 ES256";

fn verifier(issuer: &TestIssuer, public_url: &str) -> Verifier {
    let dpop = Dpop::new(DpopMode::Allowed, public_url).unwrap().algorithms([Algorithm::RS256, Algorithm::ES256]);
    issuer.verifier_builder().dpop(dpop).build_static().unwrap()
}

async fn send(app: Router, uri: &str, token: &str, proof: &str) -> (StatusCode, Vec<String>) {
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("DPoP {token}"))
        .header("dpop", proof)
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let challenges = response
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    (response.status(), challenges)
}

fn dpop_error(code: &str, description: &str) -> Vec<String> {
    vec![format!(r#"DPoP error="{code}", error_description="{description}", algs="{ALGS}""#)]
}

/// An RSA JWK with a made-up modulus of `bits` bits and exponent `e` (big-endian bytes): no
/// key generation needed, since the proof must be refused before anything uses it.
fn rsa_jwk(bits: usize, e: &[u8]) -> serde_json::Value {
    let mut modulus = vec![0xc5u8; bits / 8];
    if let Some(last) = modulus.last_mut() {
        *last |= 1;
    }
    json!({ "kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&modulus), "e": URL_SAFE_NO_PAD.encode(e) })
}

/// The review's measurement: a junk token with an RSA-8192 proof was served at 0.08x the rate
/// of a junk Bearer token, because the proof's signature was checked first. Now the key's size
/// is a cheap check, and the token comes before any signature.
#[tokio::test]
async fn an_attacker_chosen_proof_key_costs_no_signature_check() {
    let issuer = TestIssuer::new();
    let app = Router::new().route("/orders", get(|| async { "orders" })).layer(BearerAuthLayer::new(verifier(&issuer, "https://api.example.com")));
    let client = TestKey::rsa();
    let junk = "junk.token.value";
    let proof = |jwk: serde_json::Value| {
        client.dpop_proof("GET", "https://api.example.com/orders").access_token(junk).algorithm(Algorithm::RS256).header("jwk", jwk).sign()
    };
    let too_large = dpop_error(
        "invalid_dpop_proof",
        "the DPoP proof's RSA key is over 4096 bits or its exponent over 2^32 + 1",
    );
    for (name, jwk) in [
        ("8192 bits", rsa_jwk(8192, &[1, 0, 1])),
        ("4104 bits", rsa_jwk(4104, &[1, 0, 1])),
        ("exponent 2^32 + 3", rsa_jwk(2048, &[1, 0, 0, 0, 3])),
    ] {
        assert_eq!(send(app.clone(), "/orders", junk, &proof(jwk)).await, (StatusCode::UNAUTHORIZED, too_large.clone()), "{name}");
    }
    // A 4096-bit key with a signature that cannot verify, on a junk token: refused for the
    // token, the signature never checked.
    let (status, challenges) = send(app.clone(), "/orders", junk, &proof(rsa_jwk(4096, &[1, 0, 1]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenges[0].starts_with(r#"DPoP error="invalid_token", "#), "{challenges:?}");
    // The proof's own key, a signature that verifies, the same junk token: the same answer.
    let signed = client.dpop_proof("GET", "https://api.example.com/orders").access_token(junk).algorithm(Algorithm::RS256).sign();
    assert_eq!(send(app, "/orders", junk, &signed).await, (status, challenges));
}

/// A bound token with a proof made by another key and a bad signature: the binding decides,
/// before the signature is worth checking.
#[tokio::test]
async fn the_binding_is_checked_before_the_signature() {
    let issuer = TestIssuer::new();
    let app = Router::new().route("/orders", get(|| async { "orders" })).layer(BearerAuthLayer::new(verifier(&issuer, "https://api.example.com")));
    let (client, stranger) = (TestKey::ec_p256(), TestKey::ec_p256());
    let token = issuer.token().bound_to(&client).sign();
    let proof = stranger.dpop_proof("GET", "https://api.example.com/orders").access_token(&token).sign_with(&client);
    let expected = dpop_error("invalid_token", "the DPoP proof's key is not the key the token is bound to");
    assert_eq!(send(app.clone(), "/orders", &token, &proof).await, (StatusCode::UNAUTHORIZED, expected));
    // With the right key named, a bad signature is still caught.
    let forged = client.dpop_proof("GET", "https://api.example.com/orders").access_token(&token).sign_with(&stranger);
    let expected = dpop_error("invalid_dpop_proof", "the DPoP proof's signature does not verify with its `jwk`");
    assert_eq!(send(app, "/orders", &token, &forged).await, (StatusCode::UNAUTHORIZED, expected));
}

/// The API is published at `https://api.example.com/v1`; another API lives at
/// `https://api.example.com/admin`. A request path with dot segments used to resolve out of
/// `/v1`, so a proof made for the other API passed here.
#[tokio::test]
async fn dot_segments_cannot_leave_the_public_url() {
    let issuer = TestIssuer::new();
    let app = Router::new().fallback(|| async { "anything" }).layer(BearerAuthLayer::new(verifier(&issuer, "https://api.example.com/v1")));
    let client = TestKey::ec_p256();
    let token = issuer.token().bound_to(&client).sign();
    let expected = dpop_error("invalid_dpop_proof", "the request's path cannot be a DPoP target");
    for (path, htu) in [
        ("/../admin", "https://api.example.com/admin"),
        ("/orders/%2e%2e/%2E%2E/admin", "https://api.example.com/admin"),
        ("/./orders", "https://api.example.com/v1/orders"),
    ] {
        let proof = client.dpop_proof("GET", htu).access_token(&token).sign();
        assert_eq!(send(app.clone(), path, &token, &proof).await, (StatusCode::UNAUTHORIZED, expected.clone()), "{path}");
    }
    let proof = client.dpop_proof("GET", "https://api.example.com/v1/orders").access_token(&token).sign();
    assert_eq!(send(app, "/orders", &token, &proof).await.0, StatusCode::OK);
}

/// Under `Router::nest("/v1", ..)` the layer sees `/orders`; the client signed
/// `https://api.example.com/v1/orders`. With axum's original URI the two meet.
#[tokio::test]
async fn a_nested_router_finds_the_uri_the_client_signed() {
    let issuer = TestIssuer::new();
    let client = TestKey::ec_p256();
    let token = issuer.token().bound_to(&client).sign();
    let proof = || client.dpop_proof("GET", "https://api.example.com/v1/orders").access_token(&token).sign();
    let nested = |layer: BearerAuthLayer| {
        let inner = Router::new().route("/orders", get(|| async { "orders" })).layer(layer);
        Router::new().nest("/v1", inner)
    };
    let layer = BearerAuthLayer::new(verifier(&issuer, "https://api.example.com"));
    let with_original = nested(layer.clone().original_uri(original_uri));
    assert_eq!(send(with_original, "/v1/orders", &token, &proof()).await.0, StatusCode::OK);
    let without = nested(layer);
    let expected = dpop_error("invalid_dpop_proof", "the DPoP proof's `htu` is not the request's URI");
    assert_eq!(send(without, "/v1/orders", &token, &proof()).await, (StatusCode::UNAUTHORIZED, expected));
}
