//! The attack suite's harness: one router (layer + scope guard), one issuer with RSA and P-256
//! keys, and a table runner that asserts status and the exact `WWW-Authenticate` header.

#![allow(dead_code, unreachable_pub)]
// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{HeaderValue, Request, StatusCode, header};
use scopegate_core::Verifier;
use scopegate_testkit::{TestIssuer, TestKey};
use scopegate_tower::{BearerAuthLayer, RequireScopeLayer};
use tower::ServiceExt;

/// The scope the guarded route requires.
pub const REQUIRED: &str = "orders.read";

/// The issuer under attack: an RSA key (first, pinned to RS256) and a P-256 key.
pub struct Target {
    pub issuer: TestIssuer,
    pub rsa: TestKey,
    pub ec: TestKey,
    pub verifier: Verifier,
}

impl Target {
    pub fn new() -> Self {
        let rsa = TestKey::rsa().with_kid("rsa-1");
        let ec = TestKey::ec_p256().with_kid("ec-1");
        let issuer = TestIssuer::new().with_key(rsa.clone()).add_key(ec.clone());
        let verifier = issuer.verifier_builder().disable_token_cache().build_static().unwrap();
        Self { issuer, rsa, ec, verifier }
    }

    /// `GET /orders` behind the layer (with a token cookie) and a guard for [`REQUIRED`].
    pub fn app(&self) -> Router {
        Self::app_with(self.verifier.clone())
    }

    /// [`app`](Self::app) with another verifier of this issuer.
    pub fn app_with(verifier: Verifier) -> Router {
        Router::new()
            .route("/orders", get(|| async { "orders" }))
            .route_layer(RequireScopeLayer::all_of([REQUIRED]).unwrap())
            .layer(BearerAuthLayer::new(verifier).realm("orders-api").token_cookie("access_token"))
    }

    /// A valid token with the required scope.
    pub fn valid(&self) -> String {
        self.issuer.token().scopes([REQUIRED]).sign()
    }
}

/// What a case expects.
pub enum Expect {
    /// 200.
    Allowed,
    /// 401 `invalid_token` with this description.
    InvalidToken(&'static str),
    /// 400 `invalid_request` with this description.
    InvalidRequest(&'static str),
    /// 403 `insufficient_scope` for [`REQUIRED`].
    Forbidden,
}

/// One attack: a name, the request's `Authorization` values (several for duplicate headers)
/// and cookie, and the expected answer.
pub struct Case {
    pub name: String,
    pub authorization: Vec<Vec<u8>>,
    pub cookie: Option<String>,
    pub expect: Expect,
}

impl Case {
    /// `Authorization: Bearer <token>`.
    pub fn token(name: impl Into<String>, token: impl AsRef<[u8]>, expect: Expect) -> Self {
        let mut value = b"Bearer ".to_vec();
        value.extend_from_slice(token.as_ref());
        Self { name: name.into(), authorization: vec![value], cookie: None, expect }
    }

    /// A raw `Authorization` value.
    pub fn header(name: impl Into<String>, value: impl AsRef<[u8]>, expect: Expect) -> Self {
        Self {
            name: name.into(),
            authorization: vec![value.as_ref().to_vec()],
            cookie: None,
            expect,
        }
    }
}

/// Runs every case through `app` and fails with the list of cases that misbehaved.
pub async fn run(app: &Router, cases: Vec<Case>) -> usize {
    let mut failures = Vec::new();
    let count = cases.len();
    for case in cases {
        let mut request = Request::builder().uri("/orders");
        for value in &case.authorization {
            request =
                request.header(header::AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
        }
        if let Some(cookie) = &case.cookie {
            request = request.header(header::COOKIE, format!("access_token={cookie}"));
        }
        let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let (want_status, want_challenge) = match case.expect {
            Expect::Allowed => (StatusCode::OK, None),
            Expect::InvalidToken(description) => (
                StatusCode::UNAUTHORIZED,
                Some(format!(r#"Bearer error="invalid_token", error_description="{description}""#)),
            ),
            Expect::InvalidRequest(description) => (
                StatusCode::BAD_REQUEST,
                Some(format!(
                    r#"Bearer error="invalid_request", error_description="{description}""#
                )),
            ),
            Expect::Forbidden => (
                StatusCode::FORBIDDEN,
                Some(format!(r#"Bearer error="insufficient_scope", scope="{REQUIRED}""#)),
            ),
        };
        if status != want_status || challenge != want_challenge {
            failures.push(format!(
                "{}: got {status} {challenge:?}, want {want_status} {want_challenge:?}",
                case.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    count
}

/// Messages the verifier gives, so that the tables read as what they check.
pub mod says {
    pub const SIGNATURE: &str = "the token's signature is invalid";
    pub const NONE: &str = "unsecured tokens (`alg: none`) are never accepted";
    pub const ALG_UNSUPPORTED: &str = "the token's `alg` is not supported";
    pub const ALG_NOT_ALLOWED: &str = "the token's `alg` is not allowed for its issuer";
    pub const UNKNOWN_KEY: &str = "no key of the issuer matches the token's `kid` and `alg`";
    pub const MALFORMED_SHAPE: &str = "the token must have three dot-separated segments";
    pub const JWE: &str = "encrypted tokens (JWE) are not supported";
    pub const TOO_LARGE: &str = "the token is larger than this resource accepts";
    pub const HEADER_B64: &str = "the token header is not valid unpadded base64url";
    pub const PAYLOAD_B64: &str = "the token payload is not valid unpadded base64url";
    pub const SIGNATURE_B64: &str = "the token signature is not valid unpadded base64url";
    pub const HEADER_JSON: &str = "the token header is not a JSON object";
    pub const PAYLOAD_JSON: &str = "the token payload is not a JSON object";
    pub const HEADER_DUPLICATE: &str = "the token header repeats a member name";
    pub const PAYLOAD_DUPLICATE: &str = "the token payload repeats a claim name";
    pub const TOO_DEEP: &str = "the token nests JSON too deeply";
    pub const CRIT: &str = "critical header extensions (`crit`) are not supported";
    pub const B64: &str = "unencoded payloads (`b64`) are not supported";
    pub const CHARACTERS: &str = "the access token has characters RFC 6750 does not allow";
    pub const SCOPE_SYNTAX: &str = "the token's scopes break the RFC 6749 scope syntax";
    pub const EXPIRED: &str = "the token has expired";
    pub const AUDIENCE: &str = "the token was not issued for this resource (`aud`)";
    pub const ISSUER: &str = "the token's issuer is not trusted";
    pub const NUMERIC_DATE: &str =
        "the `exp` claim must be a NumericDate: a non-negative number of seconds before year 10000";
}
