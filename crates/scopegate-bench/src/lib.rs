//! Fixtures shared by the benchmarks: one token per algorithm, the keys that verify it in each
//! contender's form, and the routers under test. See `README.md` for how to run them.

#![forbid(unsafe_code)]
// Fixtures are built once before measuring; a failure there is a broken benchmark.
#![allow(clippy::expect_used, clippy::missing_panics_doc)]

pub mod interleave;
mod peer;
pub mod table;

pub use peer::aliri;

use std::convert::Infallible;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scopegate::{Algorithm, BearerAuthLayer, RequireScope, Verified, Verifier, scope};
use scopegate_testkit::{TestIssuer, TestKey};
use serde_json::Value;

/// The audience every fixture token carries.
pub const AUDIENCE: &str = "orders-api";

/// One algorithm's token and everything that verifies it.
pub struct Fixture {
    /// `RS256`, `ES256`, `EdDSA` or `HS256`.
    pub name: &'static str,
    /// The test issuer that signed the token.
    pub issuer: TestIssuer,
    /// A valid token with scope `orders.read`.
    pub token: String,
    /// The floor: the signature check alone, with a key parsed once.
    pub raw: RawVerifier,
}

/// A signature check with a pre-parsed key: the least any verifier must do.
pub enum RawVerifier {
    /// RSA, ECDSA and Ed25519.
    Public(ParsedPublicKey),
    /// HMAC.
    Hmac(Box<hmac::Key>),
}

impl std::fmt::Debug for RawVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Public(_) => "RawVerifier::Public",
            Self::Hmac(_) => "RawVerifier::Hmac",
        })
    }
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").field("name", &self.name).finish_non_exhaustive()
    }
}

impl RawVerifier {
    /// Checks `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Public(key) => key.verify_sig(message, signature).is_ok(),
            Self::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
        }
    }
}

/// The HMAC secret of the HS256 fixture.
pub const HMAC_SECRET: &[u8] = b"scopegate-bench-hmac-secret-0123456789";

fn b64(value: &Value, member: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(value[member].as_str().expect("JWK member")).expect("base64url")
}

fn raw_verifier(key: &TestKey) -> RawVerifier {
    let jwk = key.public_jwk();
    match key.algorithm() {
        Algorithm::RS256 => {
            let components =
                aws_lc_rs::rsa::PublicKeyComponents { n: b64(&jwk, "n"), e: b64(&jwk, "e") };
            RawVerifier::Public(
                components
                    .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
                    .expect("RSA"),
            )
        }
        Algorithm::ES256 => {
            let mut point = vec![4];
            point.extend(b64(&jwk, "x"));
            point.extend(b64(&jwk, "y"));
            RawVerifier::Public(
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).expect("P-256"),
            )
        }
        Algorithm::EdDSA => RawVerifier::Public(
            ParsedPublicKey::new(&signature::ED25519, b64(&jwk, "x")).expect("Ed25519"),
        ),
        _ => RawVerifier::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, HMAC_SECRET))),
    }
}

/// One fixture per algorithm, in the order RS256, ES256, EdDSA, HS256.
pub fn fixtures() -> Vec<Fixture> {
    [
        ("RS256", TestKey::rsa()),
        ("ES256", TestKey::ec_p256()),
        ("EdDSA", TestKey::ed25519()),
        ("HS256", TestKey::hmac(HMAC_SECRET.to_vec())),
    ]
    .into_iter()
    .map(|(name, key)| {
        let issuer = TestIssuer::named("https://id.bench.test")
            .with_audience(AUDIENCE)
            .with_key(key.clone());
        let token = issuer
            .token()
            .subject("42")
            .scopes(["orders.read"])
            .expires_in(std::time::Duration::from_secs(24 * 3600))
            .sign();
        Fixture { name, raw: raw_verifier(&key), issuer, token }
    })
    .collect()
}

impl Fixture {
    /// The compact token split for the floor: `(signing input, signature)`.
    pub fn signed_parts(&self) -> (Vec<u8>, Vec<u8>) {
        let (input, signature) = self.token.rsplit_once('.').expect("three segments");
        (input.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(signature).expect("signature"))
    }

    /// A scopegate verifier for this fixture.
    pub fn verifier(&self, cached: bool) -> Verifier {
        let builder = self.issuer.verifier_builder();
        let builder = if cached { builder } else { builder.disable_token_cache() };
        builder.build_static().expect("verifier")
    }

    /// A scopegate verifier for this fixture whose token cache is keyed by `key`.
    pub fn verifier_keyed_by(&self, key: scopegate::TokenCacheKey) -> Verifier {
        self.issuer.verifier_builder().token_cache_key(key).build_static().expect("verifier")
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// jsonwebtoken's view of the key and the checks a plain middleware would make.
    pub fn jsonwebtoken(&self) -> (jsonwebtoken::DecodingKey, jsonwebtoken::Validation) {
        let key = self.issuer.key();
        let algorithm = key.algorithm();
        let decoding = match algorithm {
            Algorithm::HS256 => jsonwebtoken::DecodingKey::from_secret(HMAC_SECRET),
            _ => {
                let jwk: jsonwebtoken::jwk::Jwk =
                    serde_json::from_value(key.public_jwk()).expect("JWK");
                jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("decoding key")
            }
        };
        let algorithm: jsonwebtoken::Algorithm = algorithm.as_str().parse().expect("same names");
        let mut validation = jsonwebtoken::Validation::new(algorithm);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[self.issuer.issuer()]);
        (decoding, validation)
    }
}

async fn ok() -> &'static str {
    "ok"
}

async fn ok_with_scope(_: RequireScope<scope!("orders.read")>, claims: Verified) -> StatusCode {
    if claims.subject().is_some() { StatusCode::OK } else { StatusCode::INTERNAL_SERVER_ERROR }
}

/// Row 1, the baseline: the same router and request, no authentication.
pub fn no_auth() -> Router {
    Router::new().route("/orders", get(ok))
}

/// Rows 4 and 5: scopegate's layer in front of the same handler.
pub fn scopegate(verifier: Verifier) -> Router {
    Router::new().route("/orders", get(ok)).layer(BearerAuthLayer::new(verifier))
}

/// Row 6: scopegate's layer, and the handler declares `RequireScope` and takes `Verified`.
pub fn scopegate_with_extractors(verifier: Verifier) -> Router {
    Router::new().route("/orders", get(ok_with_scope)).layer(BearerAuthLayer::new(verifier))
}

/// Row 3: a plain middleware around `jsonwebtoken::decode`, as many services write it.
pub fn jsonwebtoken_middleware(fixture: &Fixture) -> Router {
    // jsonwebtoken picks its backend process-wide; the bench crate enables aws-lc-rs only.
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    let shared = std::sync::Arc::new(fixture.jsonwebtoken());
    let check = move |mut request: Request, next: Next| {
        let shared = std::sync::Arc::clone(&shared);
        async move {
            let (key, validation) = &*shared;
            let token = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "));
            let Some(token) = token else {
                return Ok::<Response, Infallible>(StatusCode::UNAUTHORIZED.into_response());
            };
            match jsonwebtoken::decode::<Value>(token, key, validation) {
                Ok(data) => {
                    request.extensions_mut().insert(data.claims);
                    Ok(next.run(request).await)
                }
                Err(_) => Ok(StatusCode::UNAUTHORIZED.into_response()),
            }
        }
    };
    Router::new().route("/orders", get(ok)).layer(middleware::from_fn(check))
}

/// A request for `/orders` with `authorization`.
pub fn request(authorization: &str) -> Request {
    Request::builder()
        .uri("/orders")
        .header(header::AUTHORIZATION, authorization)
        .body(Body::empty())
        .expect("request")
}

/// A DPoP proof for `GET htu` made with `key` for the access token `token`: every cheap check
/// passes, whatever the token is worth. The hostile rows' proofs.
pub fn junk_dpop_proof(key: &TestKey, htu: &str, token: &str) -> String {
    key.dpop_proof("GET", htu).access_token(token).sign()
}

/// The floor under a DPoP request: `proof`'s ES256 signature checked alone, with `client`'s
/// public key parsed on each check, as a proof's `jwk` is.
pub fn proof_signature_check(client: &TestKey, proof: &str) -> impl Fn() -> bool + use<> {
    let (input, signature) = proof.rsplit_once('.').expect("compact JWS");
    let (input, signature) =
        (input.to_owned(), URL_SAFE_NO_PAD.decode(signature).expect("base64url"));
    let jwk = client.dpop_jwk();
    let coordinate = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk.get(name).and_then(|v| v.as_str()).expect("coordinate"))
            .expect("base64url")
    };
    let point = [vec![4u8], coordinate("x"), coordinate("y")].concat();
    let key = signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point);
    move || key.verify(input.as_bytes(), &signature).is_ok()
}
