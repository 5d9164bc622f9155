//! Requests that get through: token syntax variants, cookies, optional mode, and what the
//! inner service sees.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{bearer, echo, plain, send, with_auth};
use http::{Request, StatusCode, header};
use scopegate_testkit::TestIssuer;
use scopegate_tower::{BearerAuthLayer, RequireScopeLayer};
use serde_json::json;
use tower::ServiceBuilder;

#[tokio::test]
async fn inner_service_sees_the_claims_and_context() {
    let issuer = TestIssuer::new();
    let service = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()).realm("orders-api"))
        .service_fn(echo);
    let token = issuer.token().subject("42").scopes(["orders.read", "openid"]).sign();
    let answer = send(service, bearer(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        json!({"sub": "42", "scopes": ["openid", "orders.read"], "context": "orders-api"})
    );
}

#[tokio::test]
async fn scheme_case_and_spacing() {
    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    let token = issuer.token().subject("7").sign();
    for value in [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer    {token}"),
        format!("bEaReR {token}"),
    ] {
        let answer = send(service.clone(), with_auth(&value)).await;
        assert_eq!(answer.status, StatusCode::OK, "{value}");
        assert_eq!(answer.body["sub"], "7");
    }
}

#[tokio::test]
async fn cookie_only_when_configured() {
    let issuer = TestIssuer::new();
    let token = issuer.token().subject("c").sign();
    let request = || {
        Request::builder()
            .header(header::COOKIE, format!("theme=dark; access_token={token}"))
            .body(String::new())
            .unwrap()
    };
    let without =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    assert_eq!(send(without, request()).await.status, StatusCode::UNAUTHORIZED);
    let with = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()).token_cookie("access_token"))
        .service_fn(echo);
    let answer = send(with, request()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["sub"], "c");
}

#[tokio::test]
async fn the_query_string_is_never_read() {
    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    let token = issuer.token().sign();
    let request = Request::builder()
        .uri(format!("/orders?access_token={token}"))
        .body(String::new())
        .unwrap();
    let answer = send(service, request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api""#));
}

#[tokio::test]
async fn optional_mode() {
    let issuer = TestIssuer::new();
    let layer = BearerAuthLayer::new(issuer.verifier()).optional();
    let open = ServiceBuilder::new().layer(layer.clone()).service_fn(echo);
    let anonymous = send(open.clone(), plain()).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(anonymous.body, json!({"anonymous": true}));
    let signed_in = send(open.clone(), bearer(&issuer.token().subject("5").sign())).await;
    assert_eq!(signed_in.body["sub"], "5");
    // A bad token is still refused.
    let bad = send(open, bearer(&issuer.token().expired().sign())).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.challenge.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the token has expired""#)
    );
    // A guarded route answers 401 for an anonymous request, naming the scopes it needs.
    let guarded = ServiceBuilder::new()
        .layer(layer)
        .layer(RequireScopeLayer::all_of(["orders.read"]).unwrap())
        .service_fn(echo);
    let answer = send(guarded, plain()).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api", scope="orders.read""#));
}

#[tokio::test]
async fn hierarchical_policy_applies_in_guards() {
    let issuer = TestIssuer::new();
    let verifier = issuer
        .verifier_builder()
        .scope_policy(scopegate_core::ScopePolicy::hierarchical(':'))
        .build_static()
        .unwrap();
    let service = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(verifier))
        .layer(RequireScopeLayer::all_of(["order:item"]).unwrap())
        .service_fn(echo);
    assert_eq!(
        send(service.clone(), bearer(&issuer.token().scopes(["order"]).sign())).await.status,
        StatusCode::OK
    );
    let answer = send(service, bearer(&issuer.token().scopes(["orders"]).sign())).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}
