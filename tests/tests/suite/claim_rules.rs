//! Claim rules bound to the request, through axum (`RequireClaim`, with path parameters) and
//! tower (`ClaimRuleLayer`); `RequireAnyRole`; and the seed's TokenIDP token, verbatim.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use scopegate::{
    BearerAuthLayer, ClaimRule, ClaimRuleDef, ClaimRuleLayer, PathParams, RequireAnyRole,
    RequireClaim, Verifier, role,
};
use scopegate_testkit::TestIssuer;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A customer reads only their own orders.
struct OwnCustomer;

impl ClaimRuleDef for OwnCustomer {
    fn rule() -> ClaimRule {
        ClaimRule::claim("customer_id").unwrap().equals_path_param("customer_id").named("own-customer")
    }
}

/// A rule on a parameter the route does not have: a configuration mistake, refused.
struct Misnamed;

impl ClaimRuleDef for Misnamed {
    fn rule() -> ClaimRule {
        ClaimRule::claim("customer_id").unwrap().equals_path_param("id").named("misnamed")
    }
}

/// Staff only: an email of the company.
struct Staff;

impl ClaimRuleDef for Staff {
    fn rule() -> ClaimRule {
        ClaimRule::claim("email")
            .unwrap()
            .satisfies(|email| email.as_str().is_some_and(|email| email.ends_with("@example.com")))
            .named("staff")
    }
}

async fn ok() -> &'static str {
    "ok"
}

fn app(verifier: Verifier) -> Router {
    let suppliers = ClaimRule::claim("org.groups").unwrap().contains("suppliers");
    Router::new()
        .route("/customers/{customer_id}/orders", get(|_: RequireClaim<OwnCustomer>| ok()))
        .route("/customers/{customer_id}/misnamed", get(|_: RequireClaim<Misnamed>| ok()))
        .route("/staff", get(|_: RequireClaim<Staff>| ok()))
        .route("/moderation", get(|_: RequireAnyRole<(role!("moderator"), role!("admin"))>| ok()))
        .route(
            "/inventory/{supplier}",
            get(ok)
                .route_layer(ClaimRuleLayer::new(suppliers))
                .route_layer(ClaimRuleLayer::new(
                    ClaimRule::claim("supplier_id").unwrap().equals_path_param("supplier"),
                ))
                // Another router would fill these from its own matches.
                .route_layer(axum::middleware::map_request(
                    |mut request: Request<Body>| async move {
                        let supplier = request.uri().path().rsplit('/').next().unwrap_or("").to_owned();
                        request.extensions_mut().insert(PathParams::new([("supplier", supplier)]));
                        request
                    },
                )),
        )
        .route_layer(BearerAuthLayer::new(verifier))
}

async fn call(app: &Router, path: &str, token: &str) -> (StatusCode, Option<String>, Value) {
    let request = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, challenge, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn refused(rule: &str) -> (StatusCode, Option<String>, Value) {
    (
        StatusCode::FORBIDDEN,
        Some(r#"Bearer error="insufficient_scope""#.to_owned()),
        json!({"error": "insufficient_scope", "error_description": format!("the token does not satisfy the rule `{rule}`")}),
    )
}

#[tokio::test]
async fn rules_bound_to_the_request() {
    let issuer = TestIssuer::new();
    let app = app(issuer.verifier());
    let with = |name: &str, value: Value| issuer.token().claim(name, value).sign();
    let allowed = || (StatusCode::OK, None, Value::Null);
    let cases = [
        ("equal", "/customers/c-42/orders", with("customer_id", json!("c-42")), allowed()),
        ("a number equals its decimal form", "/customers/42/orders", with("customer_id", json!(42)), allowed()),
        ("not equal", "/customers/c-7/orders", with("customer_id", json!("c-42")), refused("own-customer")),
        ("claim missing", "/customers/c-42/orders", issuer.token().sign(), refused("own-customer")),
        ("claim of the wrong type", "/customers/c-42/orders", with("customer_id", json!({"id": "c-42"})), refused("own-customer")),
        ("claim a list", "/customers/c-42/orders", with("customer_id", json!(["c-42"])), refused("own-customer")),
        ("path parameter missing", "/customers/c-42/misnamed", with("customer_id", json!("c-42")), refused("misnamed")),
        ("predicate holds", "/staff", with("email", json!("ada@example.com")), allowed()),
        ("predicate fails", "/staff", with("email", json!("eve@example.org")), refused("staff")),
        ("predicate's claim missing", "/staff", issuer.token().sign(), refused("staff")),
        ("tower: both rules hold", "/inventory/s-1", issuer.token().claim("org", json!({"groups": ["suppliers"]})).claim("supplier_id", "s-1").sign(), allowed()),
        ("tower: another supplier", "/inventory/s-2", issuer.token().claim("org", json!({"groups": ["suppliers"]})).claim("supplier_id", "s-1").sign(), refused("supplier_id equals path parameter `supplier`")),
        ("tower: not a supplier", "/inventory/s-1", issuer.token().claim("org", json!({"groups": ["staff"]})).claim("supplier_id", "s-1").sign(), refused("org.groups contains the required value")),
        ("tower: groups missing", "/inventory/s-1", issuer.token().claim("supplier_id", "s-1").sign(), refused("org.groups contains the required value")),
        ("any role: admin", "/moderation", issuer.token().roles(["admin"]).sign(), allowed()),
        ("any role: moderator", "/moderation", issuer.token().roles(["moderator"]).sign(), allowed()),
        (
            "any role: neither",
            "/moderation",
            issuer.token().roles(["viewer"]).sign(),
            (
                StatusCode::FORBIDDEN,
                Some(r#"Bearer error="insufficient_scope""#.to_owned()),
                json!({"error": "insufficient_scope", "error_description": "the token lacks a role this resource requires"}),
            ),
        ),
    ];
    for (name, path, token, expected) in cases {
        let (status, challenge, body) = call(&app, path, &token).await;
        let body = if status == StatusCode::OK { Value::Null } else { body };
        assert_eq!((status, challenge, body), expected, "{name}");
    }
}

/// The seed's TokenIDP token carries `scope` and `role` as arrays; orders-api takes it as
/// printed, with no configuration.
#[tokio::test]
async fn the_tokenidp_seed_token_works_as_printed() {
    let issuer = TestIssuer::named("https://id.example.com").with_audience("orders-api");
    let seed = json!({
        "iss": "https://id.example.com",
        "aud": "orders-api",
        "sub": "42",
        "client_id": "portal-spa",
        "scope": ["openid", "profile", "orders.read"],
        "role": ["operator"]
    });
    let mut token = issuer.token().without_claim("jti").without_claim("scope");
    for (name, value) in seed.as_object().unwrap() {
        token = token.claim(name, value);
    }
    let token = token.sign();
    let app = orders_api::app(issuer.verifier());
    let (status, _, body) = call(&app, "/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scopes"], json!(["openid", "orders.read", "profile"]));
    assert_eq!(body["roles"], json!(["operator"]));
    assert_eq!(call(&app, "/orders", &token).await.0, StatusCode::OK);
    // The role is there; the scope to approve is not.
    let approve = Request::post("/orders/1/approve")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(approve).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()[header::WWW_AUTHENTICATE],
        r#"Bearer error="insufficient_scope", scope="orders.approve""#
    );
}
