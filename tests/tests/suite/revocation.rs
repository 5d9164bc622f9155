//! Revocation (#30, first part): `Verifier::revoke` by subject, session, token and client,
//! applied to cached and fresh tokens, forgotten after the window, full handled by time; and
//! OpenID Connect Back-Channel Logout tokens verified, single-use, turned into revocations.

use std::time::Duration;

use serde_json::json;

use scopegate_core::logout::BACKCHANNEL_LOGOUT_EVENT;
use scopegate_core::{ErrorKind, NumericDate, Revocation, Verifier};
use scopegate_testkit::{ManualClock, TestIssuer, TestKey};

/// The verifier's clock runs two seconds ahead of the system clock the tokens' `iat` come
/// from: a revocation made "now" names every token minted so far, whatever second it is.
fn ahead() -> ManualClock {
    ManualClock::at_secs(NumericDate::now().as_secs() + 2)
}

fn setup() -> (TestIssuer, Verifier, ManualClock) {
    setup_keeping(1000)
}

/// An issuer and a verifier keeping at most `max` revocations for 600 s, on a clock ahead.
fn setup_keeping(max: usize) -> (TestIssuer, Verifier, ManualClock) {
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let clock = ahead();
    let verifier = issuer
        .verifier_builder()
        .clock(clock.clone())
        .revocations(Duration::from_secs(600), max)
        .build_static()
        .unwrap();
    (issuer, verifier, clock)
}

fn kind(verifier: &Verifier, token: &str) -> Option<ErrorKind> {
    verifier.verify_now(token).into_ready().unwrap().err().map(|error| error.kind())
}

#[test]
fn a_revoked_subject_is_refused_cached_or_not_and_others_are_not() {
    let (issuer, verifier, clock) = setup();
    let alice = issuer.token().subject("alice").sign();
    let bob = issuer.token().subject("bob").sign();
    assert_eq!((kind(&verifier, &alice), kind(&verifier, &bob)), (None, None));
    assert!(verifier.cached(&alice).is_some());
    verifier.revoke(Revocation::subject(issuer.issuer(), "alice"));
    assert!(verifier.cached(&alice).is_none());
    assert_eq!(kind(&verifier, &alice), Some(ErrorKind::TokenRevoked));
    let fresh_copy = issuer.token().subject("alice").sign();
    assert_eq!(kind(&verifier, &fresh_copy), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&verifier, &bob), None);
    assert!(verifier.cached(&bob).is_some());
    // Another issuer's `alice` is someone else.
    let other = TestIssuer::named("https://other.example.com").with_key(TestKey::ec_p256());
    let trusted = scopegate_core::TrustedIssuer::new(other.issuer()).audience(other.audience());
    let both = issuer.verifier_builder().trust(trusted.keys(other.key_set())).build_static().unwrap();
    both.revoke(Revocation::subject(issuer.issuer(), "alice"));
    assert_eq!(kind(&both, &other.token().subject("alice").sign()), None);
    assert_eq!(kind(&both, &issuer.token().subject("alice").sign()), Some(ErrorKind::TokenRevoked));
    // Alice logs in again later: her new token passes.
    clock.advance(Duration::from_secs(5));
    let later = issuer.token().subject("alice").issued_at_offset(6).sign();
    assert_eq!(kind(&verifier, &later), None);
    let stats = verifier.revocation_stats();
    assert_eq!((stats.kept, stats.received), (1, 1));
    assert!(stats.refused >= 2);
}

#[test]
fn sessions_tokens_and_clients() {
    let (issuer, verifier, _clock) = setup();
    let in_session = |sid: &str| issuer.token().subject("alice").claim("sid", sid).sign();
    let (s1, s2) = (in_session("s1"), in_session("s2"));
    let by_jti = issuer.token().subject("carol").claim("jti", "t-42").sign();
    let other_jti = issuer.token().subject("carol").claim("jti", "t-43").sign();
    let of_client = issuer.token().subject("dave").client_id("leaky-app").sign();
    // Keycloak and Auth0 name the client in `azp` only.
    let by_azp = issuer.token().subject("erin").without_claim("client_id").claim("azp", "leaky-app").sign();
    for token in [&s1, &s2, &by_jti, &other_jti, &of_client, &by_azp] {
        assert_eq!(kind(&verifier, token), None);
    }
    verifier.revoke(Revocation::session(issuer.issuer(), "s1"));
    verifier.revoke(Revocation::token(issuer.issuer(), "t-42"));
    verifier.revoke(Revocation::client(issuer.issuer(), "leaky-app"));
    assert_eq!(kind(&verifier, &s1), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&verifier, &s2), None);
    assert_eq!(kind(&verifier, &by_jti), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&verifier, &other_jti), None);
    assert_eq!(kind(&verifier, &of_client), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&verifier, &by_azp), Some(ErrorKind::TokenRevoked));
}

#[test]
fn a_revocation_is_forgotten_after_the_window() {
    let (issuer, verifier, clock) = setup();
    let token = issuer.token().subject("alice").expires_in(Duration::from_secs(3600)).sign();
    verifier.revoke(Revocation::session(issuer.issuer(), "s1"));
    verifier.revoke(Revocation::subject(issuer.issuer(), "alice"));
    assert_eq!(kind(&verifier, &token), Some(ErrorKind::TokenRevoked));
    clock.advance(Duration::from_secs(599));
    assert_eq!(kind(&verifier, &token), Some(ErrorKind::TokenRevoked));
    clock.advance(Duration::from_secs(1));
    assert_eq!(kind(&verifier, &token), None);
}

#[test]
fn a_full_set_refuses_by_time_and_says_so() {
    let (issuer, verifier, clock) = setup_keeping(2);
    let bob = issuer.token().subject("bob").expires_in(Duration::from_secs(3600)).sign();
    verifier.revoke(Revocation::token(issuer.issuer(), "a"));
    verifier.revoke(Revocation::token(issuer.issuer(), "b"));
    assert_eq!(kind(&verifier, &bob), None);
    // A third does not fit: rather than drop it, every token issued until now is refused.
    verifier.revoke(Revocation::subject(issuer.issuer(), "alice"));
    assert_eq!(kind(&verifier, &bob), Some(ErrorKind::TokenRevoked));
    assert_eq!(verifier.revocation_stats().overflows, 1);
    clock.advance(Duration::from_secs(2));
    let later = issuer.token().subject("bob").issued_at_offset(4).sign();
    assert_eq!(kind(&verifier, &later), None);
    clock.advance(Duration::from_secs(600));
    assert_eq!(kind(&verifier, &bob), None);
}

/// A logout token of `issuer` for this API, with `claims` over the defaults.
fn logout_token(issuer: &TestIssuer, claims: serde_json::Value) -> String {
    let mut token = issuer
        .token()
        .typ("logout+jwt")
        .without_claim("scope")
        .without_claim("exp")
        .claim("events", json!({ BACKCHANNEL_LOGOUT_EVENT: {} }))
        .claim("jti", "logout-1")
        .claim("sid", "s1");
    for (name, value) in claims.as_object().unwrap() {
        token = if value.is_null() { token.without_claim(name) } else { token.claim(name, value) };
    }
    token.sign()
}

#[tokio::test]
async fn a_back_channel_logout_ends_the_session_once() {
    let (issuer, verifier, _clock) = setup();
    let s1 = issuer.token().subject("alice").claim("sid", "s1").sign();
    let s2 = issuer.token().subject("alice").claim("sid", "s2").sign();
    assert_eq!((kind(&verifier, &s1), kind(&verifier, &s2)), (None, None));
    let logout = logout_token(&issuer, json!({}));
    let revocation = verifier.accept_logout_token(&logout).await.unwrap();
    assert_eq!(revocation, Revocation::session(issuer.issuer(), "s1"));
    assert_eq!(kind(&verifier, &s1), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&verifier, &s2), None);
    // Single use: the same logout token again is refused.
    let replay = verifier.accept_logout_token(&logout).await.unwrap_err();
    assert_eq!(replay.to_string(), "the `jti` claim must be a token not seen before");
    // Without `sid`: every token of the subject issued until the logout, by the provider's
    // clock (its `iat`), whenever the logout token arrives.
    let logged_out = NumericDate::now().as_secs();
    let everywhere = logout_token(&issuer, json!({"sid": null, "jti": "logout-2", "sub": "alice", "iat": logged_out}));
    let revocation = verifier.accept_logout_token(&everywhere).await.unwrap();
    let until = NumericDate::from_secs(logged_out);
    assert_eq!(revocation, Revocation::subject(issuer.issuer(), "alice").issued_until(until));
    assert_eq!(kind(&verifier, &s2), Some(ErrorKind::TokenRevoked));
    // A logout token is no access token, though it is signed by the same keys for us.
    let as_access = issuer.token().typ("JWT").claim("events", json!({ BACKCHANNEL_LOGOUT_EVENT: {} })).sign();
    let error = verifier.verify_now(&as_access).into_ready().unwrap().unwrap_err();
    assert_eq!(error.to_string(), "a logout token or security event is not an access token");
}

#[tokio::test]
async fn logout_tokens_that_break_a_rule_are_refused() {
    let (issuer, verifier, _clock) = setup();
    let old = NumericDate::now().as_secs() - 301 - 60;
    let cases = [
        (json!({"aud": "another-api"}), ErrorKind::InvalidAudience),
        (json!({"events": null}), ErrorKind::InvalidClaim),
        (json!({"events": {"https://schemas.openid.net/secevent/risc/event-type/account-disabled": {}}}), ErrorKind::InvalidClaim),
        (json!({"events": { BACKCHANNEL_LOGOUT_EVENT: "yes" }}), ErrorKind::InvalidClaim),
        (json!({"nonce": "n"}), ErrorKind::InvalidClaim),
        (json!({"jti": null}), ErrorKind::MissingClaim),
        (json!({"sid": null, "sub": null}), ErrorKind::MissingClaim),
        (json!({"iat": old}), ErrorKind::TooOld),
        (json!({"iss": "https://evil.example.com"}), ErrorKind::UntrustedIssuer),
    ];
    for (n, (claims, expected)) in cases.into_iter().enumerate() {
        let mut claims = claims;
        claims["jti"] = if claims.get("jti").is_some_and(serde_json::Value::is_null) { json!(null) } else { json!(format!("bad-{n}")) };
        let token = logout_token(&issuer, claims.clone());
        let error = verifier.accept_logout_token(&token).await.unwrap_err();
        assert_eq!(error.kind(), expected, "{claims}: {error}");
    }
    // Signed with another key; an access token posted as a logout token.
    let forged = issuer.token().typ("logout+jwt").claim("events", json!({ BACKCHANNEL_LOGOUT_EVENT: {} })).claim("jti", "f").claim("sid", "s1").sign_with(&TestKey::ec_p256());
    assert_eq!(verifier.accept_logout_token(&forged).await.unwrap_err().kind(), ErrorKind::InvalidSignature);
    let access = issuer.token().typ("at+jwt").claim("events", json!({ BACKCHANNEL_LOGOUT_EVENT: {} })).claim("jti", "g").claim("sid", "s1").sign();
    assert_eq!(verifier.accept_logout_token(&access).await.unwrap_err().kind(), ErrorKind::InvalidTokenType);
    // None of them revoked anything.
    assert_eq!(verifier.revocation_stats().received, 0);
}

#[tokio::test]
async fn a_revoked_token_is_refused_through_the_layer() {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http::{Request, StatusCode};
    use scopegate::BearerAuthLayer;
    use tower::ServiceExt;

    let (issuer, verifier, _clock) = setup();
    let app = Router::new().route("/", get(|| async { "ok" })).layer(BearerAuthLayer::new(verifier.clone()));
    let token = issuer.token().subject("alice").sign();
    let call = || {
        let request = Request::get("/").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        app.clone().oneshot(request)
    };
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);
    verifier.revoke(Revocation::subject(issuer.issuer(), "alice"));
    let refused = call().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"Bearer error="invalid_token", error_description="the token was revoked""#
    );
}

mod pushed {
    use axum::body::Body;
    use http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use scopegate::{BackChannelLogout, SecurityEventPush};
    use scopegate_core::security_event::{ACCOUNT_DISABLED, SESSION_REVOKED};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::*;

    async fn post<S>(service: S, content_type: &str, body: String) -> (StatusCode, Option<String>, Value)
    where
        S: tower::Service<Request<Body>, Response = http::Response<http_body_util::Full<bytes::Bytes>>, Error = std::convert::Infallible>,
    {
        let request = Request::post("/events").header("content-type", content_type).body(Body::from(body)).unwrap();
        let response = service.oneshot(request).await.unwrap();
        let status = response.status();
        let cache = response.headers().get("cache-control").map(|value| value.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, cache, body)
    }

    fn set(issuer: &TestIssuer, jti: &str, subject: &Value, event: &str) -> String {
        issuer
            .token()
            .typ("secevent+jwt")
            .without_claim("scope")
            .without_claim("sub")
            .claim("jti", jti)
            .claim("sub_id", subject)
            .claim("events", json!({ event: {} }))
            .sign()
    }

    const SET_TYPE: &str = "application/secevent+jwt";

    #[tokio::test]
    async fn security_events_revoke_what_they_name_and_refuse_with_rfc_8935_codes() {
        let (issuer, verifier, _clock) = setup();
        let push = SecurityEventPush::new(verifier.clone());
        let alice = issuer.token().subject("alice").claim("sid", "a1").sign();
        let carol_1 = issuer.token().subject("carol").claim("sid", "c1").sign();
        let carol_2 = issuer.token().subject("carol").claim("sid", "c2").sign();
        let bob = issuer.token().subject("bob").sign();
        for token in [&alice, &carol_1, &carol_2, &bob] {
            assert_eq!(kind(&verifier, token), None);
        }
        let alice_id = json!({"format": "iss_sub", "iss": issuer.issuer(), "sub": "alice"});
        let disabled = set(&issuer, "e1", &alice_id, ACCOUNT_DISABLED);
        assert_eq!(post(push.clone(), SET_TYPE, disabled.clone()).await, (StatusCode::ACCEPTED, Some("no-store".into()), Value::Null));
        assert_eq!(kind(&verifier, &alice), Some(ErrorKind::TokenRevoked));
        assert_eq!(kind(&verifier, &bob), None);
        let carol_session = json!({"format": "complex", "user": {"format": "opaque", "id": "carol"}, "session": {"format": "opaque", "id": "c1"}});
        let ended = set(&issuer, "e2", &carol_session, SESSION_REVOKED);
        assert_eq!(post(push.clone(), SET_TYPE, ended).await.0, StatusCode::ACCEPTED);
        assert_eq!((kind(&verifier, &carol_1), kind(&verifier, &carol_2)), (Some(ErrorKind::TokenRevoked), None));

        // An issuer revokes only its own subjects.
        let foreign = json!({"format": "iss_sub", "iss": "https://other.example.com", "sub": "bob"});
        let elsewhere = set(&issuer, "e8", &foreign, ACCOUNT_DISABLED);
        assert_eq!(post(push.clone(), SET_TYPE, elsewhere).await.2["description"], "the `sub_id` claim must be a subject of the security event's own issuer");
        let refused = |code: &str, description: &str| (StatusCode::BAD_REQUEST, Some("no-store".to_owned()), json!({"err": code, "description": description}));
        assert_eq!(post(push.clone(), SET_TYPE, disabled).await, refused("invalid_request", "the `jti` claim must be a token not seen before"));
        let forged = issuer.token().typ("secevent+jwt").claim("jti", "e3").claim("sub_id", &alice_id).claim("events", json!({ ACCOUNT_DISABLED: {} })).sign_with(&TestKey::ec_p256());
        assert_eq!(post(push.clone(), SET_TYPE, forged).await, refused("invalid_key", "the token's signature is invalid"));
        let elsewhere = issuer.token().typ("secevent+jwt").audience("another-api").claim("jti", "e4").claim("sub_id", &alice_id).claim("events", json!({ ACCOUNT_DISABLED: {} })).sign();
        assert_eq!(post(push.clone(), SET_TYPE, elsewhere).await, refused("invalid_audience", "the security event's `aud` is not this API"));
        let stranger = TestIssuer::named("https://stranger.example.com").with_key(TestKey::ec_p256());
        assert_eq!(post(push.clone(), SET_TYPE, set(&stranger, "e5", &alice_id, ACCOUNT_DISABLED)).await, refused("invalid_issuer", "the security event's issuer is not trusted"));
        let unknown_event = set(&issuer, "e6", &alice_id, "https://schemas.openid.net/secevent/caep/event-type/token-claims-change");
        assert_eq!(post(push.clone(), SET_TYPE, unknown_event).await.2["err"], "invalid_request");
        let by_email = set(&issuer, "e7", &json!({"format": "email", "email": "bob@example.com"}), ACCOUNT_DISABLED);
        assert_eq!(post(push.clone(), SET_TYPE, by_email).await, refused("invalid_request", "the `sub_id` claim must be a subject of format iss_sub, opaque or complex"));
        assert_eq!(kind(&verifier, &bob), None);
        // Not a SET at all: another media type, another method.
        assert_eq!(post(push.clone(), "application/json", "{}".into()).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let get = Request::get("/events").body(Body::empty()).unwrap();
        let response = push.oneshot(get).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "POST");
        assert_eq!(verifier.revocation_stats().received, 2);
    }

    #[tokio::test]
    async fn the_back_channel_logout_endpoint() {
        let (issuer, verifier, _clock) = setup();
        let endpoint = BackChannelLogout::new(verifier.clone());
        let s1 = issuer.token().subject("alice").claim("sid", "s1").sign();
        assert_eq!(kind(&verifier, &s1), None);
        let form = format!("logout_token={}", logout_token(&issuer, json!({})));
        const FORM: &str = "application/x-www-form-urlencoded";
        assert_eq!(post(endpoint.clone(), FORM, form.clone()).await, (StatusCode::OK, Some("no-store".into()), Value::Null));
        assert_eq!(kind(&verifier, &s1), Some(ErrorKind::TokenRevoked));
        let refused = |description: &str| (StatusCode::BAD_REQUEST, Some("no-store".to_owned()), json!({"error": "invalid_request", "error_description": description}));
        assert_eq!(post(endpoint.clone(), FORM, form.clone()).await, refused("the `jti` claim must be a token not seen before"));
        assert_eq!(post(endpoint.clone(), FORM, format!("{form}&{form}")).await, refused("the request must carry one `logout_token`"));
        assert_eq!(post(endpoint.clone(), FORM, "logout_token=x.y.z".into()).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(post(endpoint, FORM, "a".repeat(60_000)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn a_logout_of_a_session_also_ends_that_users_tokens_without_a_session() {
    let (issuer, verifier, _clock) = setup();
    let with_session = issuer.token().subject("alice").claim("sid", "s1").sign();
    let other_session = issuer.token().subject("alice").claim("sid", "s2").sign();
    let sessionless = issuer.token().subject("alice").sign();
    let bob = issuer.token().subject("bob").sign();
    let logout = logout_token(&issuer, json!({"sub": "alice"}));
    assert_eq!(verifier.accept_logout_token(&logout).await.unwrap(), Revocation::session(issuer.issuer(), "s1"));
    assert_eq!(kind(&verifier, &with_session), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&verifier, &sessionless), Some(ErrorKind::TokenRevoked));
    assert_eq!((kind(&verifier, &other_session), kind(&verifier, &bob)), (None, None));
}

#[tokio::test]
async fn a_revoked_dpop_bound_token_is_refused_with_its_proof() {
    use scopegate_core::DpopRequest;
    use scopegate_core::dpop::{Dpop, DpopMode};
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com").unwrap();
    let verifier = issuer.verifier_builder().clock(ahead()).dpop(dpop).build_static().unwrap();
    let client = TestKey::ec_p256();
    let bound = issuer.token().subject("alice").bound_to(&client).sign();
    let proof = || client.dpop_proof("GET", "https://api.example.com/orders").access_token(&bound).sign();
    let request = || DpopRequest::new("GET", "/orders");
    assert!(verifier.verify_dpop(&bound, &proof(), request()).await.is_ok());
    verifier.revoke(Revocation::subject(issuer.issuer(), "alice"));
    let error = verifier.verify_dpop(&bound, &proof(), request()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRevoked);
}

#[tokio::test]
async fn a_credential_created_revokes_nothing() {
    use scopegate_core::security_event::CREDENTIAL_CHANGE;
    let (issuer, verifier, _clock) = setup();
    let alice = issuer.token().subject("alice").sign();
    let subject = json!({"format": "iss_sub", "iss": issuer.issuer(), "sub": "alice"});
    let event = |jti: &str, change: &str| {
        issuer.token().typ("secevent+jwt").without_claim("scope").claim("jti", jti).claim("sub_id", &subject)
            .claim("events", json!({ CREDENTIAL_CHANGE: {"credential_type": "password", "change_type": change} }))
            .sign()
    };
    assert_eq!(verifier.accept_security_event(&event("c1", "create")).await.unwrap(), None);
    assert_eq!(kind(&verifier, &alice), None);
    assert!(verifier.accept_security_event(&event("c2", "update")).await.unwrap().is_some());
    assert_eq!(kind(&verifier, &alice), Some(ErrorKind::TokenRevoked));
}

#[tokio::test]
async fn logout_tokens_may_name_the_client_id_instead_of_the_api() {
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let trusted = scopegate_core::TrustedIssuer::new(issuer.issuer())
        .audience(issuer.audience())
        .event_audience("orders-web-client")
        .keys(issuer.key_set());
    let verifier = Verifier::builder().trust(trusted).clock(ahead()).build_static().unwrap();
    let s1 = issuer.token().subject("alice").claim("sid", "s1").sign();
    // For the client id: taken. For the API's access-token audience: not, once a client id is set.
    let for_api = logout_token(&issuer, json!({"jti": "a1"}));
    let error = verifier.accept_logout_token(&for_api).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidAudience);
    let for_client = logout_token(&issuer, json!({"jti": "a2", "aud": "orders-web-client"}));
    assert!(verifier.accept_logout_token(&for_client).await.is_ok());
    assert_eq!(kind(&verifier, &s1), Some(ErrorKind::TokenRevoked));
    // The client id is still no access-token audience.
    let access = issuer.token().audience("orders-web-client").sign();
    assert_eq!(kind(&verifier, &access), Some(ErrorKind::InvalidAudience));
}
