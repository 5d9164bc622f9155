//! DPoP-bound opaque tokens (RFC 9449 section 6.2), checked against the specification's own
//! example request: the proof of figure 13, the access token of figure 12, and the
//! introspection answer of figure 11, at the example's time.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use scopegate::dpop::{Dpop, DpopMode};
use scopegate::remote::Introspection;
use scopegate::{Algorithm, BearerAuthLayer, Clock, Verified, Verifier};
use scopegate_testkit::{
    INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer, ManualClock, TestKey,
};
use serde_json::json;
use tower::ServiceExt;

/// RFC 9449 figure 12's access token.
const RFC_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
/// RFC 9449 figure 13's proof: `GET https://resource.example.org/protectedresource` at
/// `iat` 1562262618, `ath` of `RFC_TOKEN`, ES256 with the key of figure 4.
const RFC_PROOF: &str = concat!(
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik",
    "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR",
    "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE",
    "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIj",
    "oiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0Z",
    "WRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNF",
    "c05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71E",
    "OptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA",
);
/// RFC 9449 section 6.1: the thumbprint of figure 4's key.
const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const RFC_PROOF_TIME: u64 = 1_562_262_618;

async fn protected(claims: Verified) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

async fn verifier(server: &IssuerServer, clock: &ManualClock, mode: DpopMode) -> Verifier {
    let dpop = Dpop::new(mode, "https://resource.example.org").unwrap();
    Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .introspection(
            Introspection::new(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET)
                .allow_missing_audience(true),
        )
        .clock(clock.clone())
        .dpop(dpop)
        .build()
        .await
        .unwrap()
}

fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/protectedresource", get(protected))
        .route_layer(BearerAuthLayer::new(verifier))
}

async fn call(app: &Router, authorization: &str, proof: Option<&str>) -> (StatusCode, Vec<String>, String) {
    let mut request = Request::get("/protectedresource").header(header::AUTHORIZATION, authorization);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let challenges = response
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, challenges, String::from_utf8(body.to_vec()).unwrap())
}

/// Figure 11's answer, with the test server as issuer and an `exp` the server (which judges
/// activity by the real clock) still sees as active; the verifier's clock stands at the
/// example's time.
fn figure_11(server: &IssuerServer) -> scopegate_testkit::TokenBuilder {
    server
        .issuer()
        .token()
        .subject("someone@example.com")
        .without_claim("aud")
        .without_claim("iat")
        .without_claim("client_id")
        .without_claim("jti")
        .claim("nbf", 1_562_262_611)
        .expires_in(Duration::from_secs(3600))
        .claim("cnf", json!({"jkt": RFC_JKT}))
}

#[tokio::test]
async fn the_rfc_example_request_passes_and_every_change_fails() {
    let server = IssuerServer::start().await;
    server.opaque_token_as(RFC_TOKEN, figure_11(&server));
    let clock = ManualClock::at_secs(RFC_PROOF_TIME);
    let app = app(verifier(&server, &clock, DpopMode::Allowed).await);
    let dpop = format!("DPoP {RFC_TOKEN}");

    let (status, challenges, body) = call(&app, &dpop, Some(RFC_PROOF)).await;
    assert_eq!((status, challenges, body.as_str()), (StatusCode::OK, vec![], "someone@example.com"));

    // The same proof again is a replay.
    let (status, challenges, _) = call(&app, &dpop, Some(RFC_PROOF)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let algs = "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA";
    assert_eq!(
        challenges,
        [format!(r#"DPoP error="invalid_dpop_proof", error_description="the DPoP proof was used before", algs="{algs}""#)]
    );

    // As a bearer token, the bound token is refused.
    let (status, challenges, _) = call(&app, &format!("Bearer {RFC_TOKEN}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges,
        [
            r#"Bearer error="invalid_token", error_description="the token is sender-constrained (`cnf`) and cannot be used as a bearer token""#.to_owned(),
            format!(r#"DPoP realm="api", algs="{algs}""#),
        ]
    );
}

#[tokio::test]
async fn the_rfc_example_proof_is_too_old_a_minute_later() {
    let server = IssuerServer::start().await;
    server.opaque_token_as(RFC_TOKEN, figure_11(&server));
    let clock = ManualClock::at_secs(RFC_PROOF_TIME);
    clock.advance(Duration::from_secs(61));
    let app = app(verifier(&server, &clock, DpopMode::Required).await);
    let (status, challenges, _) = call(&app, &format!("DPoP {RFC_TOKEN}"), Some(RFC_PROOF)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenges[0].contains("the DPoP proof's `iat` is outside the accepted window"), "{challenges:?}");
    assert_eq!(server.introspections(), 0, "a bad proof is refused before the token is looked up");
}

#[tokio::test]
async fn an_introspected_token_bound_to_another_key_is_refused() {
    let server = IssuerServer::start().await;
    let client = TestKey::ec_p256();
    let token = server.opaque_token(server.issuer().token().bound_to(&client));
    let clock = ManualClock::now();
    let app = app(verifier(&server, &clock, DpopMode::Allowed).await);
    let now = clock.now_secs();
    let htu = "https://resource.example.org/protectedresource";
    let authorization = format!("DPoP {token}");

    let proof = client.dpop_proof("GET", htu).access_token(&token).issued_at(now).sign();
    let (status, _, body) = call(&app, &authorization, Some(&proof)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "test-user"));

    let thief = TestKey::ec_p256().with_algorithm(Algorithm::ES256);
    let stolen = thief.dpop_proof("GET", htu).access_token(&token).issued_at(now).sign();
    let (status, challenges, _) = call(&app, &authorization, Some(&stolen)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenges[0].starts_with(r#"DPoP error="invalid_token", error_description="the DPoP proof's key is not the key the token is bound to""#),
        "{challenges:?}"
    );
}
