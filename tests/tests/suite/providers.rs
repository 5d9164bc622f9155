//! Each identity provider's token layout (the test kit's presets), configured as the providers
//! guide's recipes say (`docs/providers.md`), through a router: the right `200` / `403` / `401`.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use scopegate::{
    BearerAuthLayer, ClaimMapping, ClaimPath, RequireRole, RequireScope, TrustedIssuer, Verifier,
    role, scope,
};
use scopegate_testkit::{TestIssuer, TokenBuilder};
use tower::ServiceExt;

fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/read", get(|_: RequireScope<scope!("orders.read")>| async { "read" }))
        .route("/admin", get(|_: RequireRole<role!("admin")>| async { "admin" }))
        .route_layer(BearerAuthLayer::new(verifier))
}

async fn status(app: &Router, path: &str, token: &str) -> (StatusCode, Option<String>) {
    let request = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned());
    (response.status(), challenge)
}

/// Each case's status, and a refusal for the reason its status says: a `403` is a missing scope
/// or role (`insufficient_scope`), a `401` a token that is not acceptable (`invalid_token`),
/// never the other way round.
async fn expect(app: &Router, cases: Vec<(&str, &str, String, StatusCode)>) {
    for (name, path, token, expected) in cases {
        let (got, challenge) = status(app, path, &token).await;
        assert_eq!(got, expected, "{name}: {challenge:?}");
        let reason = match expected {
            FORBIDDEN => Some(r#"Bearer error="insufficient_scope""#),
            UNAUTHORIZED => Some(r#"Bearer error="invalid_token""#),
            _ => None,
        };
        match (reason, &challenge) {
            (Some(reason), Some(challenge)) => assert!(challenge.starts_with(reason), "{name}: {challenge}"),
            (None, None) => {}
            _ => panic!("{name}: {challenge:?}"),
        }
    }
}

const OK: StatusCode = StatusCode::OK;
const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;

/// Keycloak: the client roles of this API only. A realm role `admin`, or the `admin` role of
/// another client, is not this API's `admin`.
#[tokio::test]
async fn keycloak_client_roles_are_never_confused() {
    let issuer = TestIssuer::named("https://kc.example.com/realms/shop").with_audience("inventory-api");
    let mapping = ClaimMapping::new().role_paths([ClaimPath::from_segments([
        "resource_access",
        "inventory-api",
        "roles",
    ])
    .unwrap()]);
    let verifier = issuer.verifier_builder().claim_mapping(mapping).build_static().unwrap();
    let app = app(verifier);
    let token = |build: fn(TokenBuilder) -> TokenBuilder| build(issuer.token().scopes(["orders.read"])).sign();
    expect(
        &app,
        vec![
            ("realm role admin", "/admin", token(|t| t.keycloak_roles(&["admin"], "inventory-api", &[])), FORBIDDEN),
            ("admin of another client", "/admin", token(|t| t.keycloak_roles(&[], "billing-api", &["admin"])), FORBIDDEN),
            ("admin of inventory-api", "/admin", token(|t| t.keycloak_roles(&[], "inventory-api", &["admin"])), OK),
            (
                "both clients",
                "/admin",
                token(|t| t.keycloak_roles(&[], "billing-api", &["admin"]).keycloak_roles(&[], "inventory-api", &["viewer"])),
                FORBIDDEN,
            ),
            ("scope", "/read", token(|t| t.keycloak_roles(&["admin"], "inventory-api", &[])), OK),
        ],
    )
    .await;
}

/// Entra ID: v1 and v2 issuers of one tenant, `scp` for delegated permissions, `roles` for
/// application permissions.
#[tokio::test]
async fn entra_v1_and_v2_delegated_and_application() {
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let v1 = TestIssuer::named(&format!("https://sts.windows.net/{tenant}/")).with_audience("api://orders");
    let v2_name = format!("https://login.microsoftonline.com/{tenant}/v2.0");
    let v2 = TestIssuer::named(&v2_name).with_key(v1.key().clone()).with_audience("7e0b4d3a-orders");
    let verifier = Verifier::builder()
        .trust(TrustedIssuer::new(v1.issuer()).audience("api://orders").keys(v1.key_set()))
        .trust(TrustedIssuer::new(&v2_name).audience("7e0b4d3a-orders").keys(v2.key_set()))
        .claim_mapping(ClaimMapping::new().scope_claims(["scp"]))
        .build_static()
        .unwrap();
    let app = app(verifier);
    expect(
        &app,
        vec![
            ("v2 delegated", "/read", v2.token().entra_delegated(tenant, &["orders.read"]).sign(), OK),
            ("v1 delegated", "/read", v1.token().entra_delegated(tenant, &["orders.read"]).claim("ver", "1.0").sign(), OK),
            ("delegated, not admin", "/admin", v2.token().entra_delegated(tenant, &["orders.read"]).sign(), FORBIDDEN),
            ("v1 application", "/admin", v1.token().entra_app_roles(tenant, "1.0", &["admin"]).sign(), OK),
            ("v2 application", "/admin", v2.token().entra_app_roles(tenant, "2.0", &["admin"]).sign(), OK),
            ("application, no scope", "/read", v2.token().entra_app_roles(tenant, "2.0", &["admin"]).sign(), FORBIDDEN),
            ("v2 token for the v1 audience", "/read", v2.token().audience("api://orders").entra_delegated(tenant, &["orders.read"]).sign(), UNAUTHORIZED),
        ],
    )
    .await;
}

/// Auth0: `scope`, RBAC `permissions`, a namespaced roles claim; Okta: `scp` arrays and
/// `groups`; Zitadel: project roles as an object of objects.
#[tokio::test]
async fn auth0_okta_and_zitadel() {
    let auth0 = TestIssuer::named("https://tenant.auth0.com/").with_audience("https://api.example.com");
    let mapping = ClaimMapping::new()
        .role_paths([ClaimPath::from_segments(["https://example.com/roles"]).unwrap()]);
    let app_auth0 = app(auth0.verifier_builder().claim_mapping(mapping).build_static().unwrap());
    expect(
        &app_auth0,
        vec![
            ("auth0 scope", "/read", auth0.token().scopes(["orders.read"]).auth0_permissions(&["read:orders"], &[]).sign(), OK),
            ("auth0 role", "/admin", auth0.token().auth0_permissions(&[], &["admin"]).sign(), OK),
            ("auth0 permission is not a role", "/admin", auth0.token().auth0_permissions(&["admin"], &[]).sign(), FORBIDDEN),
        ],
    )
    .await;

    let okta = TestIssuer::named("https://example.okta.com/oauth2/default").with_audience("api://default");
    let mapping = ClaimMapping::new().scope_claims(["scp"]).role_paths([ClaimPath::parse("groups").unwrap()]);
    let app_okta = app(okta.verifier_builder().claim_mapping(mapping).build_static().unwrap());
    expect(
        &app_okta,
        vec![
            ("okta scp array", "/read", okta.token().okta(&["orders.read"], &[]).sign(), OK),
            ("okta group", "/admin", okta.token().okta(&[], &["admin"]).sign(), OK),
            ("okta other group", "/admin", okta.token().okta(&["orders.read"], &["everyone"]).sign(), FORBIDDEN),
        ],
    )
    .await;

    let zitadel = TestIssuer::named("https://acme.zitadel.cloud").with_audience("orders-project");
    let mapping = ClaimMapping::new()
        .role_paths([ClaimPath::from_segments(["urn:zitadel:iam:org:project:roles"]).unwrap()]);
    let app_zitadel = app(zitadel.verifier_builder().claim_mapping(mapping).build_static().unwrap());
    expect(
        &app_zitadel,
        vec![
            ("zitadel role", "/admin", zitadel.token().zitadel_roles(&["admin", "viewer"]).sign(), OK),
            ("zitadel other role", "/admin", zitadel.token().zitadel_roles(&["viewer"]).sign(), FORBIDDEN),
            (
                "zitadel roles as booleans",
                "/admin",
                zitadel.token().claim("urn:zitadel:iam:org:project:roles", serde_json::json!({"admin": true})).sign(),
                FORBIDDEN,
            ),
        ],
    )
    .await;
}

/// AWS Cognito: no `aud`; the app client must be allowed and `token_use` must be `access`.
#[tokio::test]
async fn cognito_app_clients_and_token_use() {
    let pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf";
    let issuer = TestIssuer::named(pool);
    let verifier = Verifier::builder()
        .trust(
            TrustedIssuer::new(pool)
                .cognito_app_clients(["4g6s3ndtqrlvq0rbb0hnvq5h5u"])
                .keys(issuer.key_set())
                .claim_mapping(ClaimMapping::new().role_paths([ClaimPath::parse("cognito:groups").unwrap()])),
        )
        .build_static()
        .unwrap();
    let app = app(verifier);
    let access = |client: &str| issuer.token().cognito_access(client, &["orders.read"], &["admin"]);
    let (status_id, challenge_id) = status(&app, "/read", &access("4g6s3ndtqrlvq0rbb0hnvq5h5u").claim("token_use", "id").sign()).await;
    assert_eq!(status_id, UNAUTHORIZED);
    assert_eq!(
        challenge_id.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the token is not an access token (`token_use`)""#)
    );
    let (status_other, challenge_other) = status(&app, "/read", &access("other-client").sign()).await;
    assert_eq!(status_other, UNAUTHORIZED);
    assert_eq!(
        challenge_other.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the token's app client (`client_id`) may not call this resource""#)
    );
    expect(
        &app,
        vec![
            ("allowed client", "/read", access("4g6s3ndtqrlvq0rbb0hnvq5h5u").sign(), OK),
            ("allowed client, group", "/admin", access("4g6s3ndtqrlvq0rbb0hnvq5h5u").sign(), OK),
            ("no client_id", "/read", access("4g6s3ndtqrlvq0rbb0hnvq5h5u").without_claim("client_id").sign(), UNAUTHORIZED),
        ],
    )
    .await;
}
