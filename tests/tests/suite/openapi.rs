//! The OpenAPI document orders-api serves, built with aide from its extractors: every
//! operation's security is exactly what its extractors enforce, with the `401` / `403`
//! responses where a check is, and the RFC 9728 `scopes_supported` comes from the same routes.
//! `.ci/run` also validates the served document with `openapi-spec-validator`. And blog-api's
//! utoipa document, checked against its router by `security_drift`.

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn get_json(app: &axum::Router, path: &str) -> Value {
    let response = app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

#[tokio::test]
async fn the_document_says_what_the_extractors_enforce() {
    let issuer = orders_api::dev::DevIssuer::new();
    let app = orders_api::app(issuer.verifier_for("http://127.0.0.1:3000").unwrap());
    let document = get_json(&app, "/openapi.json").await;
    assert_eq!(document["openapi"], "3.1.0");
    let operations = [
        ("/health", "get", Value::Null, vec!["200"]),
        ("/me", "get", json!([{"accessToken": []}]), vec!["200", "401"]),
        ("/orders", "get", json!([{"accessToken": ["orders.read"]}]), vec!["200", "401", "403"]),
        ("/orders", "post", json!([{"accessToken": ["orders.write"]}]), vec!["401", "403"]),
        ("/orders/{id}/approve", "post", json!([{"accessToken": ["orders.approve"]}]), vec!["200", "401", "403"]),
    ];
    for (path, method, security, responses) in operations {
        let operation = &document["paths"][path][method];
        assert_eq!(operation["security"], security, "{method} {path}");
        let mut codes: Vec<&str> = operation["responses"].as_object().unwrap().keys().map(String::as_str).collect();
        codes.sort_unstable();
        assert_eq!(codes, responses, "{method} {path}");
    }
    // The role has no OpenAPI field: it is noted beside the scopes.
    assert_eq!(document["paths"]["/orders/{id}/approve"]["post"]["x-scopegate"], json!({"roles_all_of": ["operator"]}));
    let forbidden = &document["paths"]["/orders"]["get"]["responses"]["403"]["content"]["application/json"]["schema"];
    assert_eq!(forbidden["required"], json!(["error", "error_description"]));
    assert_eq!(
        document["components"]["securitySchemes"]["accessToken"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An OAuth 2.0 access token (RFC 6750)."})
    );
    // One source: the metadata document lists the scopes the routes declare.
    let metadata = get_json(&app, "/.well-known/oauth-protected-resource").await;
    assert_eq!(metadata["scopes_supported"], json!(["orders.approve", "orders.read", "orders.write"]));
}

#[test]
fn combined_requirements_and_oauth2_flows() {
    use aide::axum::ApiRouter;
    use aide::axum::routing::get;
    use aide::openapi::OpenApi;
    use scopegate::{RequireAnyScope, RequireScope, scope};
    use scopegate_axum::openapi::{document, oauth2_security_scheme};

    async fn both(_: RequireScope<scope!("a")>, _: RequireAnyScope<scope!("b", "c")>) {}
    let mut api = OpenApi::default();
    let _router: axum::Router = ApiRouter::new().api_route("/both", get(both)).finish_api(&mut api);
    oauth2_security_scheme(&mut api, "https://id.example.com/authorize", "https://id.example.com/token", &[("a", "A"), ("b", "B")]);
    let json = document(&api);
    assert_eq!(json["paths"]["/both"]["get"]["security"], json!([{"accessToken": ["a", "b"]}, {"accessToken": ["a", "c"]}]));
    let flow = &json["components"]["securitySchemes"]["accessToken"]["flows"]["authorizationCode"];
    assert_eq!(flow, &json!({"authorizationUrl": "https://id.example.com/authorize", "tokenUrl": "https://id.example.com/token", "scopes": {"a": "A", "b": "B"}}));
}

#[tokio::test]
async fn blog_api_utoipa_document_matches_its_router() {
    use scopegate_axum::utoipa_security::security_drift;
    use utoipa::OpenApi;

    let issuer = blog_api::dev_issuer();
    let app = blog_api::app(issuer.verifier());
    let document = get_json(&app, "/openapi.json").await;
    for (path, method, scope) in [
        ("/posts", "get", "read:posts"),
        ("/posts", "post", "write:posts"),
        ("/posts/{id}", "delete", "delete:posts"),
        ("/admin/users", "get", "admin:users"),
    ] {
        assert_eq!(document["paths"][path][method]["security"], json!([{"accessToken": [scope]}]), "{method} {path}");
    }
    assert_eq!(document["components"]["securitySchemes"]["accessToken"]["scheme"], "bearer");
    // A token that grants nothing: each route's 403 names what it requires.
    let probe = blog_api::dev_token(&issuer, "Probe", &[]);
    let drift = security_drift(blog_api::protected(issuer.verifier()), &blog_api::Docs::openapi(), &probe).await;
    assert!(drift.is_empty(), "{drift:?}");
}

#[tokio::test]
async fn a_wrong_utoipa_attribute_is_caught() {
    use scopegate::{BearerAuthLayer, RequireScope, scope};
    use scopegate_axum::utoipa_security::{SecurityAddon, security_drift};
    use utoipa::OpenApi;

    /// The attribute says `read:posts`; the extractor requires `write:posts`.
    #[utoipa::path(post, path = "/posts", responses((status = 201)), security(("accessToken" = ["read:posts"])))]
    async fn create(_: RequireScope<scope!("write:posts")>) {}

    #[derive(OpenApi)]
    #[openapi(paths(create), modifiers(&SecurityAddon))]
    struct Wrong;

    let issuer = blog_api::dev_issuer();
    let router = axum::Router::new()
        .route("/posts", axum::routing::post(create))
        .layer(BearerAuthLayer::new(issuer.verifier()));
    let probe = blog_api::dev_token(&issuer, "Probe", &[]);
    let drift = security_drift(router, &Wrong::openapi(), &probe).await;
    assert_eq!(drift, [r#"POST /posts: the document says ["read:posts"], the route requires ["write:posts"]"#]);
}
