//! Opaque tokens introspected (RFC 7662) at the test kit's authorization server on 127.0.0.1:
//! every rule a JWT gets, the caches, single-flight, and the faults that must answer `503`.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use scopegate::remote::{ClientAuthentication, Introspection};
use scopegate::{
    BearerAuthLayer, ClaimMapping, Claims, ErrorKind, RequireScope, Verified, Verifier, scope,
};
use scopegate_testkit::{
    EndpointBehaviour, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer,
    ManualClock,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

pub(crate) fn introspection() -> Introspection {
    Introspection::new(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET)
}

pub(crate) async fn verifier(server: &IssuerServer, introspection: Introspection) -> Verifier {
    Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .introspection(introspection)
        .fetch_timeout(Duration::from_millis(500))
        .build()
        .await
        .unwrap()
}

#[derive(Deserialize)]
struct Tenant {
    tenant: String,
}

async fn orders(_: RequireScope<scope!("orders.read")>, claims: Verified) -> String {
    format!("{} {}", claims.subject().unwrap_or_default(), claims.scopes())
}

async fn tenant(Verified(claims): Verified<Claims<Tenant>>) -> String {
    claims.custom().tenant.clone()
}

pub(crate) fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/orders", get(orders))
        .route("/tenant", get(tenant))
        .route_layer(BearerAuthLayer::new(verifier))
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) challenge: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

pub(crate) async fn call(app: &Router, uri: &str, token: &str) -> Answer {
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let header = |name| parts.headers.get(name).map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned());
    Answer {
        status: parts.status,
        challenge: header(header::WWW_AUTHENTICATE),
        retry_after: header(header::RETRY_AFTER),
        body: String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap(),
    }
}

pub(crate) fn invalid_token(description: &str) -> Option<String> {
    Some(format!(r#"Bearer error="invalid_token", error_description="{description}""#))
}

#[tokio::test]
async fn an_opaque_token_works_like_a_jwt() {
    let server = IssuerServer::start().await;
    let app = app(verifier(&server, introspection()).await);
    let opaque = server.opaque_token(server.issuer().token().subject("ada").scopes(["orders.read"]));
    let answer = call(&app, "/orders", &opaque).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "ada orders.read"));
    // A JWT of the same issuer goes the local way: no introspection call.
    let jwt = server.issuer().token().subject("bob").scopes(["orders.read"]).sign();
    assert_eq!(call(&app, "/orders", &jwt).await.body, "bob orders.read");
    assert_eq!(server.introspections(), 1);
    // The same opaque token again comes from the cache.
    assert_eq!(call(&app, "/orders", &opaque).await.status, StatusCode::OK);
    assert_eq!(server.introspections(), 1);
    let missing = server.opaque_token(server.issuer().token().scopes(["orders.write"]));
    let answer = call(&app, "/orders", &missing).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer error="insufficient_scope", scope="orders.read""#));
}

#[tokio::test]
async fn scope_shapes_and_custom_claims() {
    let server = IssuerServer::start().await;
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .claim_mapping(ClaimMapping::new().scope_claims(["scope", "scp"]).accept_scope_arrays(true))
        .introspection(introspection())
        .build()
        .await
        .unwrap();
    let app = app(verifier);
    for (name, value) in [
        ("scope", json!("openid orders.read")),
        ("scope", json!(["openid", "orders.read"])),
        ("scp", json!(["orders.read"])),
        ("scp", json!("orders.read")),
    ] {
        let token = server.issuer().token().without_claim("scope").subject("s").claim(name, value.clone());
        let answer = call(&app, "/orders", &server.opaque_token(token)).await;
        assert_eq!(answer.status, StatusCode::OK, "{name}: {value}");
    }
    let typed = server.opaque_token(server.issuer().token().claim("tenant", "acme"));
    assert_eq!(call(&app, "/tenant", &typed).await.body, "acme");
    let untyped = server.opaque_token(server.issuer().token());
    assert_eq!(call(&app, "/tenant", &untyped).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_rule_of_a_jwt_applies() {
    let server = IssuerServer::start().await;
    let router = app(verifier(&server, introspection()).await);
    let issuer = server.issuer();
    let scoped = || issuer.token().scopes(["orders.read"]);
    let cases = [
        ("unknown token", "opq_not_minted".to_owned(), "the token is not active"),
        ("other audience", server.opaque_token(scoped().audience("billing-api")), "the token was not issued for this resource (`aud`)"),
        ("no audience", server.opaque_token(scoped().without_claim("aud")), "the token has no `aud` claim"),
        ("other issuer", server.opaque_token(scoped().issuer("https://evil.example.com")), "the introspected token names another issuer"),
        // The test server's own `exp` check answers `active: false`; scopegate's own check of an
        // answer that still says active is `a_cached_answer_never_outlives_the_token`.
        ("expired (the server says so)", server.opaque_token(scoped().expires_at_offset(-3600)), "the token is not active"),
        ("not yet valid", server.opaque_token(scoped().not_before_offset(3600)), "the token is not valid yet (`nbf`)"),
        ("sender-constrained", server.opaque_token(scoped().claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}))), "the token is sender-constrained (`cnf`) and cannot be used as a bearer token"),
        ("DPoP token type with `cnf`", server.opaque_token(scoped().claim("token_type", "DPoP").claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}))), "the token is sender-constrained (`cnf`) and cannot be used as a bearer token"),
        ("DPoP token type without `cnf`", server.opaque_token(scoped().claim("token_type", "DPoP")), "a DPoP token must carry `cnf.jkt`"),
        ("`cnf` with the Bearer type", server.opaque_token(scoped().claim("token_type", "Bearer").claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}))), "a DPoP-bound token must have the `DPoP` type"),
        ("refresh token", server.opaque_token(scoped().claim("token_type", "refresh_token")), "the introspected token is not an access token (`token_type`)"),
    ];
    for (name, token, description) in cases {
        let answer = call(&router, "/orders", &token).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(answer.challenge, invalid_token(description), "{name}");
    }
    // An answer without `aud` passes where the configuration allows it.
    let ours = Verifier::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .introspection(introspection().allow_missing_audience(true))
        .build()
        .await
        .unwrap();
    let answer = call(&app(ours), "/orders", &server.opaque_token(scoped().without_claim("aud"))).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn revocation_is_seen_after_the_cache_time_and_not_before() {
    let server = IssuerServer::start().await;
    let clock = ManualClock::now();
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .introspection(introspection().cache_for(Duration::from_secs(30)))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    let app = app(verifier.clone());
    let token = server.opaque_token(server.issuer().token().scopes(["orders.read"]));
    assert_eq!(call(&app, "/orders", &token).await.status, StatusCode::OK);
    server.revoke(&token);
    clock.advance(Duration::from_secs(29));
    assert_eq!(call(&app, "/orders", &token).await.status, StatusCode::OK, "still cached");
    clock.advance(Duration::from_secs(2));
    let answer = call(&app, "/orders", &token).await;
    assert_eq!(answer.challenge, invalid_token("the token is not active"));
    assert_eq!(server.introspections(), 2);
    // The inactive answer is cached for its own, shorter time (10 s by default).
    assert_eq!(call(&app, "/orders", &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.introspections(), 2);
    clock.advance(Duration::from_secs(11));
    assert_eq!(call(&app, "/orders", &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.introspections(), 3);
    let stats = &verifier.introspection_stats()[0];
    assert_eq!((stats.calls, stats.inactive, stats.failures), (3, 2, 0));
}

#[tokio::test]
async fn a_cached_answer_never_outlives_the_token() {
    let server = IssuerServer::start().await;
    // One reading of the time for the clock and the token: with zero leeway, a token minted a
    // second after the clock was read would be issued in its future.
    let now = scopegate::NumericDate::now().as_secs();
    let token = server.opaque_token(
        server.issuer().token().scopes(["orders.read"]).claim("iat", now).claim("exp", now + 60),
    );
    let clock = ManualClock::at_secs(now);
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .leeway(Duration::ZERO)
        .introspection(introspection().cache_for(Duration::from_secs(600)))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    let app = app(verifier);
    assert_eq!(call(&app, "/orders", &token).await.status, StatusCode::OK);
    clock.advance(Duration::from_secs(61));
    // Past `exp`: the entry is gone, and the server (on its own clock) still says active;
    // our `exp` check on our clock refuses it.
    let answer = call(&app, "/orders", &token).await;
    assert_eq!(answer.challenge, invalid_token("the token has expired"));
}

#[tokio::test]
async fn client_secret_post_and_wrong_credentials() {
    let server = IssuerServer::start().await;
    let post = verifier(&server, introspection().authentication(ClientAuthentication::Post)).await;
    let token = server.opaque_token(server.issuer().token().scopes(["orders.read"]));
    assert_eq!(call(&app(post), "/orders", &token).await.status, StatusCode::OK);
    // The credentials went in the form, not in the header.
    assert_eq!(server.introspection_client_authentications(), ["client_secret_post"]);
    let basic = verifier(&server, introspection()).await;
    let other = server.opaque_token(server.issuer().token().scopes(["orders.read"]));
    assert_eq!(call(&app(basic), "/orders", &other).await.status, StatusCode::OK);
    assert_eq!(server.introspection_client_authentications(), ["client_secret_post", "client_secret_basic"]);
    server.set_introspection_credentials(INTROSPECTION_CLIENT_ID, "rotated");
    let refused = verifier(&server, introspection()).await;
    let answer = call(&app(refused.clone()), "/orders", &token).await;
    // Our credentials, not the client's token: 503, never a 401 blaming the client.
    assert_eq!((answer.status, answer.challenge, answer.retry_after.as_deref()), (StatusCode::SERVICE_UNAVAILABLE, None, Some("5")));
    assert_eq!(refused.introspection_stats()[0].failures, 1);
}

#[test]
fn refused_credentials_are_logged_naming_the_issuer() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (writer, logs) = scopegate_tests::CapturedLogs::new();
    let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    runtime.block_on(async {
        let server = IssuerServer::start().await;
        server.set_introspection_credentials("someone-else", "x");
        let verifier = verifier(&server, introspection()).await;
        let token = server.opaque_token(server.issuer().token());
        let error = verifier.verify(&token).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::IntrospectionUnavailable);
        let logs = logs.text();
        assert!(logs.contains("ERROR"), "{logs}");
        assert!(logs.contains("refused this API's introspection credentials"), "{logs}");
        assert!(logs.contains(&format!("issuer={}", server.issuer().issuer())), "{logs}");
        assert!(!logs.contains(&token) && !logs.contains(INTROSPECTION_CLIENT_SECRET), "{logs}");
    });
}

#[tokio::test]
async fn a_failing_authorization_server_means_503() {
    let server = IssuerServer::start().await;
    let app = app(verifier(&server, introspection()).await);
    let mint = || server.opaque_token(server.issuer().token().scopes(["orders.read"]));
    for behaviour in [
        EndpointBehaviour::Status(500),
        EndpointBehaviour::Status(404),
        EndpointBehaviour::Body(b"<html>".to_vec()),
        EndpointBehaviour::Body(br#"{"active":"yes"}"#.to_vec()),
        EndpointBehaviour::Body(br#"{"active":true,"active":false}"#.to_vec()),
        EndpointBehaviour::Huge { bytes: 10 * 1024 * 1024, declared: true },
        EndpointBehaviour::Huge { bytes: 10 * 1024 * 1024, declared: false },
        EndpointBehaviour::Reset,
        EndpointBehaviour::Hang,
    ] {
        server.set_introspection_behaviour(behaviour.clone());
        let started = std::time::Instant::now();
        let answer = call(&app, "/orders", &mint()).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{behaviour:?}");
        assert_eq!(answer.retry_after.as_deref(), Some("5"), "{behaviour:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "{behaviour:?}");
    }
    server.stop();
    assert_eq!(call(&app, "/orders", &mint()).await.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_requests_with_one_new_token_make_one_call() {
    let server = IssuerServer::start().await;
    let verifier = verifier(&server, introspection()).await;
    let token = server.opaque_token(server.issuer().token().subject("crowd"));
    server.set_introspection_behaviour(EndpointBehaviour::Hold);
    let requests: Vec<_> = (0..100)
        .map(|_| {
            let (verifier, token) = (verifier.clone(), token.clone());
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    server.wait_for_introspections(1).await;
    server.release_introspection();
    for request in requests {
        assert_eq!(request.await.unwrap().unwrap().subject(), Some("crowd"));
    }
    assert_eq!(server.introspections(), 1);
}

#[tokio::test]
async fn a_flood_of_garbage_stays_within_the_cache_bound() {
    let server = IssuerServer::start().await;
    let verifier = verifier(&server, introspection().cache_entries(100)).await;
    for index in 0..1000 {
        let error = verifier.verify(&format!("garbage-{index}")).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InactiveToken);
    }
    let stats = &verifier.introspection_stats()[0];
    assert_eq!(stats.calls, 1000);
    assert!(stats.cached <= 200, "{stats:?}");
    // A garbage token seen again within the window costs nothing.
    let before = server.introspections();
    let _ = verifier.verify("garbage-999").await;
    assert_eq!(server.introspections(), before);
}

#[tokio::test]
async fn every_token_mode_introspects_jwts_too() {
    let server = IssuerServer::start().await;
    let app = app(verifier(&server, introspection().every_token(true)).await);
    let jwt = server.issuer().token().scopes(["orders.read"]).sign();
    // The server never minted this JWT as a reference: it answers inactive.
    assert_eq!(call(&app, "/orders", &jwt).await.challenge, invalid_token("the token is not active"));
    assert_eq!(server.introspections(), 1);
}

#[test]
fn only_one_issuer_may_introspect() {
    let a = scopegate_testkit::TestIssuer::named("https://a.example.com");
    let b = scopegate_testkit::TestIssuer::named("https://b.example.com");
    let error = Verifier::builder()
        .audience("api")
        .trust(scopegate::TrustedIssuer::new(a.issuer()).keys(a.key_set()).introspection(introspection().endpoint("https://a.example.com/introspect")))
        .trust(scopegate::TrustedIssuer::new(b.issuer()).keys(b.key_set()).introspection(introspection().endpoint("https://b.example.com/introspect")))
        .build_static()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    assert!(error.message().starts_with("several issuers introspect tokens"), "{error}");
    assert!(format!("{:?}", introspection()).contains(r#"client_secret: "[redacted]""#));
    let _: Value = json!(null);
}
