//! Every row of the error contract (DESIGN.md section 4), through `ServiceBuilder` and
//! `oneshot`, with exact statuses, challenges and bodies.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use bytes::Bytes;
use common::{Answer, bearer, echo, plain, send, with_auth};
use http::{Request, Response, StatusCode, header};
use scopegate_core::{Error, ErrorKind};
use scopegate_testkit::{TestIssuer, TestKey};
use scopegate_tower::{
    BearerAuthLayer, CookieCsrf, DefaultResponder, Rejection, RequireRoleLayer, RequireScopeLayer,
    Responder, ResponseContext,
};
use serde_json::json;
use tower::{ServiceBuilder, service_fn};

fn invalid_token(answer: &Answer, description: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let expected = format!(r#"Bearer error="invalid_token", error_description="{description}""#);
    assert_eq!(answer.challenge.as_deref(), Some(expected.as_str()));
    assert_eq!(answer.body, json!({"error": "invalid_token", "error_description": description}));
}

fn invalid_request(answer: &Answer, description: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let expected = format!(r#"Bearer error="invalid_request", error_description="{description}""#);
    assert_eq!(answer.challenge.as_deref(), Some(expected.as_str()));
    assert_eq!(answer.body, json!({"error": "invalid_request", "error_description": description}));
}

#[tokio::test]
async fn no_token_is_401_with_a_realm_and_no_error() {
    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    let answer = send(service, plain()).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api""#));
    assert_eq!(
        answer.body,
        json!({"error": "unauthorized", "error_description": "this resource needs an access token"})
    );
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");

    let named = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()).realm("orders-api"))
        .service_fn(echo);
    assert_eq!(
        send(named, plain()).await.challenge.as_deref(),
        Some(r#"Bearer realm="orders-api""#)
    );
}

#[tokio::test]
async fn other_schemes_count_as_no_token() {
    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    for value in ["Basic dXNlcjpwYXNz", "DPoP eyJhbGciOi.x.y"] {
        let answer = send(service.clone(), with_auth(value)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{value}");
        assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api""#));
    }
}

#[tokio::test]
async fn malformed_requests_are_400_invalid_request() {
    let issuer = TestIssuer::new();
    let token = issuer.token().sign();
    let layer = BearerAuthLayer::new(issuer.verifier()).token_cookie("access_token");
    let service = ServiceBuilder::new().layer(layer).service_fn(echo);

    let mut two = bearer(&token);
    two.headers_mut().append(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    invalid_request(
        &send(service.clone(), two).await,
        "the request has more than one Authorization header",
    );

    let mut both = bearer(&token);
    both.headers_mut().insert(header::COOKIE, format!("access_token={token}").parse().unwrap());
    let answer = send(service.clone(), both).await;
    invalid_request(&answer, "the token was sent both in the Authorization header and in a cookie");

    let syntax = "the Authorization header does not follow `Bearer <token>` (RFC 6750)";
    invalid_request(&send(service.clone(), with_auth(&format!("Bearer\t{token}"))).await, syntax);
    let empty = "the Authorization header has the Bearer scheme but no token";
    invalid_request(&send(service.clone(), with_auth("Bearer")).await, empty);
    invalid_request(&send(service.clone(), with_auth("Bearer ")).await, empty);
    let characters = "the access token has characters RFC 6750 does not allow";
    invalid_request(&send(service.clone(), with_auth("Bearer a,b")).await, characters);

    let mut non_ascii = plain();
    non_ascii.headers_mut().insert(
        header::AUTHORIZATION,
        http::HeaderValue::from_bytes(b"Bearer caf\xc3\xa9").unwrap(),
    );
    invalid_request(&send(service.clone(), non_ascii).await, characters);
    let mut not_utf8 = plain();
    let latin1 = http::HeaderValue::from_bytes(b"Bearer caf\xe9").unwrap();
    not_utf8.headers_mut().insert(header::AUTHORIZATION, latin1);
    invalid_request(
        &send(service, not_utf8).await,
        "the Authorization header is not visible ASCII",
    );
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    let cases = [
        (issuer.token().sign_with(&TestKey::rsa()), "the token's signature is invalid"),
        (issuer.token().expired().sign(), "the token has expired"),
        (
            issuer.token().audience("billing-api").sign(),
            "the token was not issued for this resource (`aud`)",
        ),
        (issuer.token().issuer("https://evil.example").sign(), "the token's issuer is not trusted"),
        (issuer.token().unsigned("none"), "unsecured tokens (`alg: none`) are never accepted"),
        (issuer.token().typ("JOSE").sign(), "the token's `typ` is not an access-token type"),
        (
            issuer.token().claim("pad", "x".repeat(9000)).sign(),
            "the token is larger than this resource accepts",
        ),
        ("e30.e30.c2ln".to_owned(), "the token header has no `alg`"),
    ];
    for (token, description) in cases {
        invalid_token(&send(service.clone(), bearer(&token)).await, description);
    }
}

#[tokio::test]
async fn missing_scope_is_403_with_the_required_scopes() {
    let issuer = TestIssuer::new();
    let token = issuer.token().scopes(["orders.read"]).sign();
    let all = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()))
        .layer(RequireScopeLayer::all_of(["orders.read", "orders.write"]).unwrap())
        .service_fn(echo);
    let answer = send(all, bearer(&token)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.read orders.write""#)
    );
    assert_eq!(
        answer.body,
        json!({
            "error": "insufficient_scope",
            "error_description": "the token lacks a scope this resource requires",
            "required_scopes": ["orders.read", "orders.write"],
        })
    );

    let any = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()))
        .layer(RequireScopeLayer::any_of(["orders.approve", "admin"]).unwrap())
        .service_fn(echo);
    let answer = send(any, bearer(&token)).await;
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.approve admin""#)
    );
    assert_eq!(
        answer.body["error_description"],
        "the token has none of the scopes this resource accepts"
    );
}

#[tokio::test]
async fn missing_role_is_403_without_scope() {
    let issuer = TestIssuer::new();
    let service = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()))
        .layer(RequireRoleLayer::role("operator"))
        .service_fn(echo);
    let answer = send(service.clone(), bearer(&issuer.token().roles(["viewer"]).sign())).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer error="insufficient_scope""#));
    assert_eq!(
        answer.body,
        json!({"error": "insufficient_scope", "error_description": "the token lacks a role this resource requires"})
    );
    let allowed = send(service, bearer(&issuer.token().roles(["operator"]).sign())).await;
    assert_eq!(allowed.status, StatusCode::OK);
}

#[tokio::test]
async fn guard_without_the_layer_is_500() {
    let service = ServiceBuilder::new()
        .layer(RequireScopeLayer::all_of(["orders.read"]).unwrap())
        .service_fn(echo);
    let answer = send(service, plain()).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.challenge, None);
    assert_eq!(
        answer.body,
        json!({"error": "server_error", "error_description": "the server's authentication is misconfigured"})
    );
}

#[test]
fn unavailable_keys_are_503_without_a_challenge() {
    // End to end with a key server that is down: see the remote-keys tests.
    let error = Error::new(ErrorKind::KeySourceUnavailable, "the JWKS could not be fetched");
    let context = ResponseContext::new("api");
    let response = DefaultResponder.respond(&Rejection::Unavailable(error), &context);
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(
        body,
        json!({
            "error": "temporarily_unavailable",
            "error_description": "the token cannot be verified right now; retry later",
        })
    );
}

/// Replaces the bad-token body and adds a header to the no-token and the missing-scope
/// answers; the rest stays standard.
struct Teapot;

impl Responder for Teapot {
    fn respond(&self, rejection: &Rejection, context: &ResponseContext<'_>) -> Response<Bytes> {
        let mut response = rejection.default_response(context);
        match rejection {
            Rejection::InvalidToken(_) => {
                *response.body_mut() = Bytes::from_static(b"{\"custom\":true}");
            }
            Rejection::MissingToken => {
                let login = "https://id.example.com/authorize".parse().unwrap();
                response.headers_mut().insert("x-login", login);
            }
            Rejection::InsufficientScope(_) => {
                let help = "https://docs.example.com/scopes".parse().unwrap();
                response.headers_mut().insert("x-scope-help", help);
            }
            _ => {}
        }
        response
    }
}

#[tokio::test]
async fn custom_responses_replace_single_classes() {
    let issuer = TestIssuer::new();
    let layer = BearerAuthLayer::new(issuer.verifier()).responder(Teapot);
    let service = ServiceBuilder::new()
        .layer(layer)
        .layer(RequireScopeLayer::all_of(["orders.write"]).unwrap())
        .service_fn(echo);
    let bad = send(service.clone(), bearer(&issuer.token().expired().sign())).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.body, json!({"custom": true}));
    assert_eq!(
        bad.challenge.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the token has expired""#)
    );
    let none = send(service.clone(), plain()).await;
    assert_eq!(none.headers["x-login"], "https://id.example.com/authorize");
    // The guard downstream answers through the same responder: its 403 is the standard one
    // with the responder's header.
    let forbidden = send(service, bearer(&issuer.token().sign())).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(forbidden.headers["x-scope-help"], "https://docs.example.com/scopes");
    assert_eq!(
        forbidden.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.write""#)
    );
}

#[tokio::test]
async fn rejections_never_reach_the_inner_service() {
    let issuer = TestIssuer::new();
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&reached);
    let inner = service_fn(move |request: Request<String>| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        echo(request)
    });
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service(inner);
    send(service.clone(), plain()).await;
    send(service.clone(), bearer(&issuer.token().expired().sign())).await;
    assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 0);
    send(service, bearer(&issuer.token().sign())).await;
    assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A cookie is ambient: a form another site posts carries it. State-changing requests
/// authenticated by the cookie must show they come from this origin; the `Authorization`
/// header, which no other site can set, needs nothing.
#[tokio::test]
async fn cookie_tokens_on_cross_site_unsafe_requests_are_refused() {
    let issuer = TestIssuer::new();
    let token = issuer.token().sign();
    let layer = BearerAuthLayer::new(issuer.verifier()).token_cookie("access_token");
    let service = ServiceBuilder::new().layer(layer.clone()).service_fn(echo);
    let request = |method: &str, headers: &[(&str, &str)]| {
        let mut request = Request::builder()
            .method(method)
            .uri("/orders")
            .header(header::COOKIE, format!("access_token={token}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(String::new()).unwrap()
    };
    let refused = "a cookie token on a state-changing request that may come from another site: \
                   send the token in the Authorization header, or the request from the same origin";
    for (method, headers) in [
        ("POST", &[][..]),
        ("DELETE", &[("sec-fetch-site", "cross-site")][..]),
        ("PUT", &[("sec-fetch-site", "same-site")][..]),
    ] {
        invalid_request(&send(service.clone(), request(method, headers)).await, refused);
    }
    for (method, headers) in [
        ("POST", &[("sec-fetch-site", "same-origin")][..]),
        ("GET", &[("sec-fetch-site", "cross-site")][..]),
        ("HEAD", &[][..]),
    ] {
        assert_eq!(
            send(service.clone(), request(method, headers)).await.status,
            StatusCode::OK,
            "{method}"
        );
    }
    let mut header_token = bearer(&token);
    *header_token.method_mut() = http::Method::POST;
    assert_eq!(send(service.clone(), header_token).await.status, StatusCode::OK);
    // A header the site's own scripts send, when configured.
    let marked = ServiceBuilder::new()
        .layer(layer.cookie_csrf(CookieCsrf::same_origin_or_header("x-requested-with").unwrap()))
        .service_fn(echo);
    let answer = send(marked.clone(), request("POST", &[("x-requested-with", "fetch")])).await;
    assert_eq!(answer.status, StatusCode::OK);
    invalid_request(&send(marked, request("POST", &[])).await, refused);
}
