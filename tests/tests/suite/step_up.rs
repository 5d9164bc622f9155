//! Step-up authentication (RFC 9470) through axum extractors and tower guards, on a manual
//! clock: `acr` absent / other / listed, `auth_time` absent / old / fresh / future, and the
//! exact challenges.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use scopegate::{
    AuthenticationRequirement, BearerAuthLayer, Clock, MaxAuthAge, RequireAcr,
    RequireAuthenticationLayer, Verifier, acr,
};
use scopegate_testkit::{ManualClock, TestIssuer};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn ok() -> &'static str {
    "ok"
}

async fn strong(_: RequireAcr<acr!("mfa", "phr")>) -> &'static str {
    "ok"
}

async fn recent(_: MaxAuthAge<300>) -> &'static str {
    "ok"
}

fn app(verifier: Verifier) -> Router {
    let both = AuthenticationRequirement::acr_any_of(["mfa"])
        .unwrap()
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/strong", get(strong))
        .route("/recent", get(recent))
        .route("/guarded", get(ok).route_layer(RequireAuthenticationLayer::new(both)))
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
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, challenge, body)
}

fn step_up(description: &str, params: &str) -> Option<String> {
    Some(format!(
        r#"Bearer error="insufficient_user_authentication", error_description="{description}", {params}"#
    ))
}

#[tokio::test]
async fn acr_and_auth_time_with_exact_challenges() {
    let issuer = TestIssuer::new();
    let clock = ManualClock::now();
    let now = clock.now_secs();
    let app = app(issuer.verifier_builder().clock(clock.clone()).build_static().unwrap());
    let token = |claims: &[(&str, Value)]| {
        let mut builder = issuer.token().expires_in(Duration::from_secs(3600));
        for (name, value) in claims {
            builder = builder.claim(name, value);
        }
        builder.sign()
    };
    let no_acr = "the token does not say how the user authenticated (`acr`)";
    let weak = "the user's authentication is not strong enough for this resource (`acr`)";
    let no_time = "the token does not say when the user authenticated (`auth_time`)";
    let old = "the user authenticated too long ago for this resource (`auth_time`)";
    let future = "the user's authentication time (`auth_time`) is in the future";
    let cases: Vec<(&str, &str, String, StatusCode, Option<String>)> = vec![
        ("acr absent", "/strong", token(&[]), StatusCode::UNAUTHORIZED, step_up(no_acr, r#"acr_values="mfa phr""#)),
        ("acr pwd", "/strong", token(&[("acr", json!("pwd"))]), StatusCode::UNAUTHORIZED, step_up(weak, r#"acr_values="mfa phr""#)),
        ("acr a number", "/strong", token(&[("acr", json!(2))]), StatusCode::UNAUTHORIZED, step_up(no_acr, r#"acr_values="mfa phr""#)),
        ("acr phr", "/strong", token(&[("acr", json!("phr"))]), StatusCode::OK, None),
        ("auth_time absent", "/recent", token(&[]), StatusCode::UNAUTHORIZED, step_up(no_time, r#"max_age="300""#)),
        ("auth_time 301 s ago", "/recent", token(&[("auth_time", json!(now - 301))]), StatusCode::UNAUTHORIZED, step_up(old, r#"max_age="300""#)),
        ("auth_time 300 s ago", "/recent", token(&[("auth_time", json!(now - 300))]), StatusCode::OK, None),
        ("auth_time fresh", "/recent", token(&[("auth_time", json!(now - 5))]), StatusCode::OK, None),
        ("auth_time in the future", "/recent", token(&[("auth_time", json!(now + 120))]), StatusCode::UNAUTHORIZED, step_up(future, r#"max_age="300""#)),
        ("auth_time a string", "/recent", token(&[("auth_time", json!("yesterday"))]), StatusCode::UNAUTHORIZED, step_up(no_time, r#"max_age="300""#)),
        ("guard: both missing", "/guarded", token(&[]), StatusCode::UNAUTHORIZED, step_up(no_acr, r#"acr_values="mfa", max_age="600""#)),
        ("guard: mfa but old", "/guarded", token(&[("acr", json!("mfa")), ("auth_time", json!(now - 601))]), StatusCode::UNAUTHORIZED, step_up(old, r#"acr_values="mfa", max_age="600""#)),
        ("guard: mfa and recent", "/guarded", token(&[("acr", json!("mfa")), ("auth_time", json!(now - 60))]), StatusCode::OK, None),
    ];
    for (name, path, token, status, challenge) in cases {
        let (got, got_challenge, _) = call(&app, path, &token).await;
        assert_eq!((got, got_challenge), (status, challenge), "{name}");
    }
    // The body names what to ask for.
    let (_, _, body) = call(&app, "/guarded", &token(&[])).await;
    assert_eq!(
        body,
        json!({"error": "insufficient_user_authentication", "error_description": no_acr, "acr_values": ["mfa"], "max_age": 600})
    );
    // The same token ages on the verifier's clock.
    let fresh = token(&[("auth_time", json!(now - 200))]);
    assert_eq!(call(&app, "/recent", &fresh).await.0, StatusCode::OK);
    clock.advance(Duration::from_secs(101));
    assert_eq!(call(&app, "/recent", &fresh).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn step_up_challenges_name_the_metadata() {
    let issuer = TestIssuer::named("https://id.example.com");
    let verifier = issuer
        .verifier_builder()
        .protected_resource(scopegate::ProtectedResource::new("https://api.example.com").unwrap())
        .audience(issuer.audience())
        .build_static()
        .unwrap();
    let (status, challenge, _) = call(&app(verifier), "/strong", &issuer.token().sign()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge.as_deref(),
        Some(
            r#"Bearer error="insufficient_user_authentication", error_description="the token does not say how the user authenticated (`acr`)", acr_values="mfa phr", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#
        )
    );
}
