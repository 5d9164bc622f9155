//! The extractors through a real axum `Router`: granted and refused requirements, policies,
//! several extractors in one handler, optional mode and a missing layer.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::routing::{get, post};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use scopegate_axum::{
    Claims, PrefixScope, RequireAnyScope, RequireRole, RequireScope, Verified, role, scope,
};
use scopegate_core::{Scope, ScopePolicy};
use scopegate_testkit::TestIssuer;
use scopegate_tower::BearerAuthLayer;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

type OrdersWrite = scope!("orders.write");

async fn list(_: RequireScope<scope!("orders.read")>, claims: Verified) -> String {
    format!("orders of {}", claims.subject().unwrap_or("?"))
}

async fn create(_: RequireScope<OrdersWrite>) -> &'static str {
    "created"
}

async fn export(_: RequireScope<scope!("orders.read", "orders.export")>) -> &'static str {
    "exported"
}

async fn read_any(_: RequireAnyScope<scope!("orders.read", "orders.admin")>) -> &'static str {
    "read"
}

async fn approve(
    _: RequireScope<scope!("orders.approve")>,
    _: RequireRole<role!("operator")>,
    claims: Verified,
    Verified(again): Verified<Claims>,
) -> String {
    assert_eq!(claims.subject(), again.subject());
    format!("approved by {}", claims.subject().unwrap_or("?"))
}

async fn items(_: RequireScope<scope!("order:item")>) -> &'static str {
    "items"
}

async fn pay(transaction: PrefixScope<scope!("transaction-")>) -> String {
    format!("paying {}", transaction.values().collect::<Vec<_>>().join(","))
}

async fn maybe(claims: Option<Verified>) -> String {
    claims.map_or_else(|| "anonymous".to_owned(), |c| c.subject().unwrap_or("?").to_owned())
}

#[derive(Deserialize)]
struct Tenant {
    tenant: String,
}

async fn tenant(claims: Verified<Claims<Tenant>>, plain: Verified) -> String {
    format!("{} {}", claims.custom().tenant, plain.custom().len())
}

fn routes() -> Router {
    Router::new()
        .route("/orders", get(list).post(create))
        .route("/orders/export", get(export))
        .route("/orders/any", get(read_any))
        .route("/orders/{id}/approve", post(approve))
        .route("/items", get(items))
        .route("/pay", post(pay))
        .route("/maybe", get(maybe))
        .route("/tenant", get(tenant))
}

fn app(issuer: &TestIssuer) -> Router {
    routes().layer(BearerAuthLayer::new(issuer.verifier()))
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

async fn call(app: Router, method: &str, uri: &str, token: Option<&str>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.oneshot(request.body(axum::body::Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let challenge =
        response.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let body = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec())
        .unwrap();
    Answer { status, challenge, body }
}

#[tokio::test]
async fn granted_scopes_reach_the_handler() {
    let issuer = TestIssuer::new();
    let token = issuer
        .token()
        .subject("42")
        .scopes(["orders.read", "orders.write", "orders.export"])
        .sign();
    let answer = call(app(&issuer), "GET", "/orders", Some(&token)).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "orders of 42"));
    assert_eq!(call(app(&issuer), "POST", "/orders", Some(&token)).await.body, "created");
    assert_eq!(call(app(&issuer), "GET", "/orders/export", Some(&token)).await.body, "exported");
}

#[tokio::test]
async fn missing_one_of_two_scopes_is_403_naming_both() {
    let issuer = TestIssuer::new();
    let token = issuer.token().scopes(["orders.read"]).sign();
    let answer = call(app(&issuer), "GET", "/orders/export", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.read orders.export""#)
    );
    assert_eq!(
        answer.json(),
        json!({
            "error": "insufficient_scope",
            "error_description": "the token lacks a scope this resource requires",
            "required_scopes": ["orders.read", "orders.export"],
        })
    );
    let write = call(app(&issuer), "POST", "/orders", Some(&token)).await;
    assert_eq!(
        write.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.write""#)
    );
}

#[tokio::test]
async fn any_of() {
    let issuer = TestIssuer::new();
    let admin = issuer.token().scopes(["orders.admin"]).sign();
    assert_eq!(call(app(&issuer), "GET", "/orders/any", Some(&admin)).await.status, StatusCode::OK);
    let neither = issuer.token().scopes(["orders.write"]).sign();
    let answer = call(app(&issuer), "GET", "/orders/any", Some(&neither)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.read orders.admin""#)
    );
    assert_eq!(
        answer.json()["error_description"],
        "the token has none of the scopes this resource accepts"
    );
}

#[tokio::test]
async fn scope_and_role_in_one_handler() {
    let issuer = TestIssuer::new();
    let operator =
        issuer.token().subject("7").scopes(["orders.approve"]).roles(["operator"]).sign();
    let answer = call(app(&issuer), "POST", "/orders/1/approve", Some(&operator)).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "approved by 7"));
    let viewer = issuer.token().scopes(["orders.approve"]).roles(["viewer"]).sign();
    let answer = call(app(&issuer), "POST", "/orders/1/approve", Some(&viewer)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer error="insufficient_scope""#));
    let no_scope = issuer.token().roles(["operator"]).sign();
    let answer = call(app(&issuer), "POST", "/orders/1/approve", Some(&no_scope)).await;
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.approve""#)
    );
}

#[tokio::test]
async fn hierarchical_policy_from_the_verifier() {
    let issuer = TestIssuer::new();
    let verifier = issuer
        .verifier_builder()
        .scope_policy(ScopePolicy::hierarchical(':'))
        .build_static()
        .unwrap();
    let app = routes().layer(BearerAuthLayer::new(verifier));
    let parent = issuer.token().scopes(["order"]).sign();
    assert_eq!(call(app.clone(), "GET", "/items", Some(&parent)).await.body, "items");
    let sibling = issuer.token().scopes(["orders"]).sign();
    assert_eq!(
        call(app.clone(), "GET", "/items", Some(&sibling)).await.status,
        StatusCode::FORBIDDEN
    );
    // The exact default refuses the parent.
    assert_eq!(
        call(self::app(&issuer), "GET", "/items", Some(&parent)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn prefix_scopes_hand_over_their_values() {
    let issuer = TestIssuer::new();
    let policy = ScopePolicy::exact().with_prefix_scope(Scope::new("transaction-").unwrap());
    let app = routes().layer(BearerAuthLayer::new(
        issuer.verifier_builder().scope_policy(policy).build_static().unwrap(),
    ));
    let token = issuer.token().scopes(["transaction-42", "transaction-7", "openid"]).sign();
    assert_eq!(call(app.clone(), "POST", "/pay", Some(&token)).await.body, "paying 42,7");
    let none = issuer.token().scopes(["transaction-"]).sign();
    let answer = call(app, "POST", "/pay", Some(&none)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="transaction-""#)
    );
}

#[tokio::test]
async fn typed_custom_claims() {
    let issuer = TestIssuer::new();
    let token = issuer.token().claim("tenant", "acme").sign();
    assert_eq!(call(app(&issuer), "GET", "/tenant", Some(&token)).await.body, "acme 1");
}

/// Before: a valid token whose custom claims did not fit answered `401 invalid_token`, and
/// the serde error (which can quote the value) was thrown away. Now: `403`, naming the claim.
#[tokio::test]
async fn regression_custom_claims_that_do_not_fit_are_403_naming_the_claim() {
    let issuer = TestIssuer::new();
    for (token, description) in [
        (
            issuer.token().claim("tenant", 5).sign(),
            "the token's `tenant` claim does not have the type this resource needs",
        ),
        (issuer.token().sign(), "the token has no `tenant` claim, which this resource needs"),
    ] {
        let answer = call(app(&issuer), "GET", "/tenant", Some(&token)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer error="insufficient_scope""#));
        assert_eq!(
            answer.json(),
            json!({"error": "insufficient_scope", "error_description": description})
        );
    }
}

#[tokio::test]
async fn optional_mode() {
    let issuer = TestIssuer::new();
    let app = routes().layer(BearerAuthLayer::new(issuer.verifier()).optional());
    assert_eq!(call(app.clone(), "GET", "/maybe", None).await.body, "anonymous");
    let token = issuer.token().subject("9").scopes(["orders.read"]).sign();
    assert_eq!(call(app.clone(), "GET", "/maybe", Some(&token)).await.body, "9");
    // The extractor knows the route's scopes: the `401` names them (MCP 2025-11-25).
    let answer = call(app.clone(), "GET", "/orders", None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api", scope="orders.read""#));
    let answer = call(app, "POST", "/orders/1/approve", None).await;
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api", scope="orders.approve""#));
}

#[tokio::test]
async fn missing_layer_is_500() {
    for (method, uri) in [("GET", "/orders"), ("GET", "/maybe"), ("POST", "/pay")] {
        let answer = call(routes(), method, uri, None).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        assert_eq!(answer.challenge, None);
        assert_eq!(answer.json()["error"], "server_error");
    }
}

#[test]
fn the_markers_cost_nothing() {
    assert_eq!(size_of::<RequireScope<scope!("orders.read", "orders.write")>>(), 0);
    assert_eq!(size_of::<RequireRole<role!("operator")>>(), 0);
    const SCOPES: &[&str] =
        <scope!("orders.read", "orders.write") as scopegate_axum::ScopeList>::SCOPES;
    assert_eq!(SCOPES, ["orders.read", "orders.write"]);
}

/// Where the layer goes decides what unknown paths and methods get: `Router::layer` answers
/// `401` for everything without a token; `Router::route_layer` keeps `404` for unknown paths;
/// `MethodRouter::route_layer` (per route) also keeps `405` for unknown methods.
#[tokio::test]
async fn layer_placement_decides_404_and_405() {
    let issuer = TestIssuer::new();
    let layer = BearerAuthLayer::new(issuer.verifier());
    let everywhere = routes().layer(layer.clone());
    assert_eq!(
        call(everywhere.clone(), "GET", "/nowhere", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(call(everywhere, "DELETE", "/orders", None).await.status, StatusCode::UNAUTHORIZED);
    let routes_only = routes().route_layer(layer.clone());
    assert_eq!(
        call(routes_only.clone(), "GET", "/nowhere", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(call(routes_only, "DELETE", "/orders", None).await.status, StatusCode::UNAUTHORIZED);
    let per_method =
        Router::new().route("/orders", get(list).post(create).route_layer(layer.clone()));
    assert_eq!(
        call(per_method.clone(), "GET", "/nowhere", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(per_method.clone(), "DELETE", "/orders", None).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(call(per_method, "GET", "/orders", None).await.status, StatusCode::UNAUTHORIZED);
}

/// One layer, configured once, serves strict and optional routes: `layer.clone().optional()`
/// shares realm, responder and verifier.
#[tokio::test]
async fn one_layer_for_strict_and_optional_routes() {
    let issuer = TestIssuer::new();
    let layer = BearerAuthLayer::new(issuer.verifier()).realm("shop");
    let app = Router::new()
        .route("/orders", get(list))
        .route_layer(layer.clone())
        .merge(Router::new().route("/maybe", get(maybe)).route_layer(layer.optional()));
    assert_eq!(call(app.clone(), "GET", "/maybe", None).await.body, "anonymous");
    let strict = call(app, "GET", "/orders", None).await;
    assert_eq!(strict.challenge.as_deref(), Some(r#"Bearer realm="shop""#));
}
