//! Attacks on introspection (RFC 7662): bytes that must never reach the authorization server, a
//! flood of made-up tokens against a slow one, answers that describe another kind of token or
//! miss what strict mode requires, and cached outcomes that must not outlive their rules.

use std::time::Duration;

use http::StatusCode;
use scopegate::{ErrorKind, Verifier};
use scopegate_testkit::{EndpointBehaviour, IssuerServer, ManualClock};

use super::introspection::{app, call, introspection, invalid_token, verifier};

fn bad_syntax() -> Option<String> {
    Some(
        r#"Bearer error="invalid_request", error_description="the access token has characters RFC 6750 does not allow""#
            .to_owned(),
    )
}

/// What the review found: any bytes (`Bearer a b,c`, kilobytes of UTF-8) were POSTed to the
/// authorization server, and bad syntax answered `401`. Syntax and size are checked first.
#[tokio::test]
async fn bad_syntax_is_refused_before_the_network() {
    let server = IssuerServer::start().await;
    let app = app(verifier(&server, introspection()).await);
    for token in ["a b,c", "a,b", "\"quoted\"", &"\u{e9}".repeat(2_000), "abc\\def"] {
        let answer = call(&app, "/orders", token).await;
        assert_eq!((answer.status, answer.challenge), (StatusCode::BAD_REQUEST, bad_syntax()), "{token}");
    }
    let oversized = "a".repeat(9 * 1024);
    let answer = call(&app, "/orders", &oversized).await;
    let too_large = invalid_token("the token is larger than this resource accepts");
    assert_eq!((answer.status, answer.challenge), (StatusCode::UNAUTHORIZED, too_large));
    assert_eq!(server.introspections(), 0, "nothing was sent");
}

/// A flood of random opaque tokens against an authorization server that holds every request:
/// only as many calls as allowed start, every other new token is refused at once (nothing
/// spawned, nothing queued), tokens already cached keep passing, and once the server answers
/// again a new token passes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_against_a_slow_authorization_server_is_refused_at_admission() {
    let server = IssuerServer::start().await;
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .introspection(introspection().max_concurrent_calls(4))
        // Long: a request that waited for room would hang for all of it.
        .fetch_timeout(Duration::from_secs(30))
        .build()
        .await
        .unwrap();
    let cached = server.opaque_token(server.issuer().token().subject("regular"));
    assert_eq!(verifier.verify(&cached).await.unwrap().subject(), Some("regular"));

    server.set_introspection_behaviour(EndpointBehaviour::Hold);
    let mut flood = tokio::task::JoinSet::new();
    for n in 0..100 {
        let verifier = verifier.clone();
        flood.spawn(async move { verifier.verify(&format!("opq_random_{n}")).await });
    }
    server.wait_for_introspections(1 + 4).await;
    // Every request beyond the four held ones is answered while the server still holds them
    // (a request that queued for room would wait for the 30 s timeout).
    for _ in 0..96 {
        let answered = tokio::time::timeout(Duration::from_secs(10), flood.join_next()).await;
        let error = answered.expect("answered while the server holds").unwrap().unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::IntrospectionUnavailable);
        assert_eq!(error.message(), "too many introspection calls are under way");
    }
    assert_eq!(verifier.verify(&cached).await.unwrap().subject(), Some("regular"));
    let stats = &verifier.introspection_stats()[0];
    assert_eq!((stats.saturated, stats.calls), (96, 5));

    server.release_introspection();
    while let Some(held) = flood.join_next().await {
        assert_eq!(held.unwrap().unwrap_err().kind(), ErrorKind::InactiveToken);
    }
    let fresh = server.opaque_token(server.issuer().token().subject("after"));
    assert_eq!(verifier.verify(&fresh).await.unwrap().subject(), Some("after"));
    assert_eq!(server.introspections(), 6, "the flood made no call beyond the four admitted");
}

/// Strict RFC 9068 mode requires of an answer what it requires of a JWT.
#[tokio::test]
async fn strict_mode_requires_the_same_members_of_an_answer() {
    let server = IssuerServer::start().await;
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .require_rfc9068(true)
        .introspection(introspection())
        .build()
        .await
        .unwrap();
    let app = app(verifier);
    let full = || {
        server
            .issuer()
            .token()
            .scopes(["orders.read"])
            .subject("s")
            .client_id("c")
            .claim("jti", "j-1")
            .issued_at_offset(0)
    };
    assert_eq!(call(&app, "/orders", &server.opaque_token(full())).await.status, StatusCode::OK);
    for missing in ["sub", "client_id", "iat", "jti"] {
        let token = server.opaque_token(full().without_claim(missing));
        let answer = call(&app, "/orders", &token).await;
        let expected = invalid_token(&format!("the token has no `{missing}` claim"));
        assert_eq!((answer.status, answer.challenge), (StatusCode::UNAUTHORIZED, expected), "{missing}");
    }
}

/// Answers that say the token is an ID token or a refresh token, however the authorization
/// server names it, are not access tokens.
#[tokio::test]
async fn answers_about_other_kinds_of_token_are_refused() {
    let server = IssuerServer::start().await;
    let app = app(verifier(&server, introspection()).await);
    for (member, value) in [
        ("typ", "ID"),
        ("typ", "Refresh"),
        ("typ", "Offline"),
        ("token_use", "id"),
        ("token_type", "id_token"),
        ("token_type", "urn:ietf:params:oauth:token-type:refresh_token"),
    ] {
        let token = server.opaque_token(server.issuer().token().scopes(["orders.read"]).claim(member, value));
        let answer = call(&app, "/orders", &token).await;
        let expected = invalid_token(&format!("the introspected token is not an access token (`{member}`)"));
        assert_eq!((answer.status, answer.challenge), (StatusCode::UNAUTHORIZED, expected), "{member}: {value}");
    }
    // Keycloak's access tokens say `typ: Bearer`; Cognito's `token_use: access`.
    for (member, value) in [("typ", "Bearer"), ("token_use", "access")] {
        let token = server.opaque_token(server.issuer().token().scopes(["orders.read"]).claim(member, value));
        assert_eq!(call(&app, "/orders", &token).await.status, StatusCode::OK, "{member}: {value}");
    }
}

/// With every token introspected, a JWT's header still passes the rules it passes when
/// verified here, before it is sent anywhere.
#[tokio::test]
async fn every_token_mode_keeps_the_header_rules() {
    let server = IssuerServer::start().await;
    let app = app(verifier(&server, introspection().every_token(true)).await);
    let id_token = server.issuer().token().typ("id_token+jwt").sign();
    let answer = call(&app, "/orders", &id_token).await;
    let expected = invalid_token("the token's `typ` is not an access-token type");
    assert_eq!((answer.status, answer.challenge), (StatusCode::UNAUTHORIZED, expected));
    assert_eq!(server.introspections(), 0);
}

/// A granted answer is cached no longer than the maximum token age allows, and a refusal that
/// time lifts (`nbf` in the future) is not cached as if it were final.
#[tokio::test]
async fn cached_outcomes_keep_the_time_rules() {
    let server = IssuerServer::start().await;
    let clock = ManualClock::now();
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .max_token_age(Duration::from_secs(60))
        .leeway(Duration::from_secs(0))
        .clock(clock.clone())
        .introspection(
            introspection().cache_for(Duration::from_secs(3600)).inactive_cache_for(Duration::from_secs(3600)),
        )
        .build()
        .await
        .unwrap();
    let young = server.opaque_token(
        server.issuer().token().subject("young").issued_at_offset(0).expires_in(Duration::from_secs(3600)),
    );
    assert_eq!(verifier.verify(&young).await.unwrap().subject(), Some("young"));
    clock.advance(Duration::from_secs(120));
    let error = verifier.verify(&young).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooOld, "served from the cache past the maximum age");

    let early = server.opaque_token(
        server
            .issuer()
            .token()
            .subject("early")
            .not_before_offset(300)
            .issued_at_offset(300)
            .expires_in(Duration::from_secs(3600)),
    );
    assert_eq!(verifier.verify(&early).await.unwrap_err().kind(), ErrorKind::NotYetValid);
    let calls = server.introspections();
    clock.advance(Duration::from_secs(200));
    // The test server answers by the real clock, so give the token its `nbf` back as past.
    assert_eq!(verifier.verify(&early).await.unwrap().subject(), Some("early"));
    assert_eq!(server.introspections(), calls + 1, "asked again, not refused from the cache");
}
