//! RFC 9728 through a real axum router: the metadata document and the challenges that point
//! to it, with and without a configured protected resource.

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use scopegate::{
    BearerAuthLayer, ProtectedResource, ProtectedResourceMetadata, RequireRole, RequireScope,
    Verified, Verifier, metadata_routes, role, scope,
};
use scopegate_testkit::TestIssuer;
use serde_json::{Value, json};
use tower::ServiceExt;

const ISSUER: &str = "https://id.example.com";

async fn read(_: RequireScope<scope!("orders.read")>) -> &'static str {
    "orders"
}

async fn approve(
    _: RequireScope<scope!("orders.read", "orders.approve")>,
    _: RequireRole<role!("operator")>,
) -> &'static str {
    "approved"
}

async fn me(claims: Verified) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

struct Api {
    issuer: TestIssuer,
    app: Router,
    audience: String,
}

fn api(resource: Option<&str>) -> Api {
    let issuer = TestIssuer::named(ISSUER);
    let mut builder = Verifier::builder().issuer(ISSUER).keys(issuer.key_set());
    let audience = match resource {
        Some(identifier) => {
            let resource = ProtectedResource::new(identifier)
                .unwrap()
                .scopes_supported(["orders.read", "orders.approve"])
                .unwrap()
                .resource_name("Orders");
            builder = builder.protected_resource(resource);
            ProtectedResource::new(identifier).unwrap().resource().as_str().to_owned()
        }
        None => {
            builder = builder.audience("orders-api");
            "orders-api".to_owned()
        }
    };
    let verifier = builder.build_static().unwrap();
    let metadata = ProtectedResourceMetadata::for_verifier(&verifier);
    let mut app = Router::new()
        .route("/orders", get(read))
        .route("/orders/{id}/approve", post(approve))
        .route("/me", get(me))
        .route_layer(BearerAuthLayer::new(verifier).realm("orders"));
    if let Some(metadata) = metadata {
        app = app.merge(metadata_routes(metadata));
    }
    Api { issuer, app, audience }
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn challenge(&self) -> Option<&str> {
        self.headers.get(header::WWW_AUTHENTICATE).map(|value| value.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn call(app: &Router, method: &str, uri: &str, token: Option<&str>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    Answer { status: parts.status, headers: parts.headers, body }
}

#[tokio::test]
async fn the_document_of_a_resource_at_the_root() {
    let Api { app, .. } = api(Some("https://API.example.com:443/"));
    let answer = call(&app, "GET", "/.well-known/oauth-protected-resource", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "public, max-age=3600");
    assert_eq!(answer.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(
        answer.json(),
        json!({
            "resource": "https://api.example.com",
            "authorization_servers": [ISSUER],
            "scopes_supported": ["orders.read", "orders.approve"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Orders",
        })
    );
}

#[tokio::test]
async fn the_document_of_a_resource_with_a_path_is_path_inserted() {
    let Api { app, .. } = api(Some("https://api.example.com/mcp"));
    let expected = json!({
        "resource": "https://api.example.com/mcp",
        "authorization_servers": [ISSUER],
        "scopes_supported": ["orders.read", "orders.approve"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Orders",
    });
    let inserted = call(&app, "GET", "/.well-known/oauth-protected-resource/mcp", None).await;
    assert_eq!((inserted.status, inserted.json()), (StatusCode::OK, expected.clone()));
    // Where MCP clients look next: the same document.
    let root = call(&app, "GET", "/.well-known/oauth-protected-resource", None).await;
    assert_eq!((root.status, root.json()), (StatusCode::OK, expected));
    let other = call(&app, "GET", "/.well-known/oauth-protected-resource/other", None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn head_options_and_other_methods() {
    let Api { app, .. } = api(Some("https://api.example.com"));
    let path = "/.well-known/oauth-protected-resource";
    let get = call(&app, "GET", path, None).await;
    let head = call(&app, "HEAD", path, None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.headers[header::CONTENT_LENGTH], get.body.len().to_string().as_str());
    assert_eq!(head.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let preflight = call(&app, "OPTIONS", path, None).await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers[header::ACCESS_CONTROL_ALLOW_METHODS], "GET, HEAD, OPTIONS");
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let answer = call(&app, method, path, None).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(answer.headers[header::ALLOW], "GET, HEAD, OPTIONS", "{method}");
    }
}

#[tokio::test]
async fn the_audience_defaults_to_the_resource_identifier() {
    let Api { issuer, app, audience } = api(Some("https://API.example.com/mcp"));
    assert_eq!(audience, "https://api.example.com/mcp");
    let ours = issuer.token().subject("ada").audience("https://api.example.com/mcp").sign();
    assert_eq!(call(&app, "GET", "/me", Some(&ours)).await.body, b"ada");
    let theirs = issuer.token().audience("https://api.example.com/other").sign();
    assert_eq!(call(&app, "GET", "/me", Some(&theirs)).await.status, StatusCode::UNAUTHORIZED);
}

/// Every challenge, exactly, with and without a protected resource.
#[tokio::test]
async fn challenge_matrix() {
    let metadata = r#"resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp""#;
    for resource in [None, Some("https://api.example.com/mcp")] {
        let Api { issuer, app, audience } = api(resource);
        let with = |challenge: &str| match resource {
            Some(_) if challenge == "Bearer" => format!("Bearer {metadata}"),
            Some(_) => format!("{challenge}, {metadata}"),
            None => challenge.to_owned(),
        };
        let token = |scopes: &[&str], roles: &[&str]| {
            issuer
                .token()
                .audience(&audience)
                .scopes(scopes.iter().copied())
                .roles(roles.iter().copied())
                .sign()
        };
        let cases = [
            ("no token", "GET", "/orders", None, StatusCode::UNAUTHORIZED, with(r#"Bearer realm="orders""#)),
            (
                "bad token",
                "GET",
                "/orders",
                Some(issuer.token().audience(&audience).expired().sign()),
                StatusCode::UNAUTHORIZED,
                with(r#"Bearer error="invalid_token", error_description="the token has expired""#),
            ),
            (
                "missing scope",
                "GET",
                "/orders",
                Some(token(&["orders.write"], &[])),
                StatusCode::FORBIDDEN,
                with(r#"Bearer error="insufficient_scope", scope="orders.read""#),
            ),
            (
                "one of two scopes missing: both named",
                "POST",
                "/orders/1/approve",
                Some(token(&["orders.read"], &["operator"])),
                StatusCode::FORBIDDEN,
                with(r#"Bearer error="insufficient_scope", scope="orders.read orders.approve""#),
            ),
            (
                "missing role",
                "POST",
                "/orders/1/approve",
                Some(token(&["orders.read", "orders.approve"], &["viewer"])),
                StatusCode::FORBIDDEN,
                with(r#"Bearer error="insufficient_scope""#),
            ),
        ];
        for (name, method, uri, token, status, challenge) in cases {
            let answer = call(&app, method, uri, token.as_deref()).await;
            assert_eq!(answer.status, status, "{name} ({resource:?})");
            assert_eq!(answer.challenge(), Some(challenge.as_str()), "{name} ({resource:?})");
        }
        let allowed = call(&app, "POST", "/orders/1/approve", Some(&token(&["orders.read", "orders.approve"], &["operator"]))).await;
        assert_eq!(allowed.status, StatusCode::OK);
    }
}
