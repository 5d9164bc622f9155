//! The registered claims: issuer, audience, lifetime, RFC 9068 and sender constraints, and the
//! exact values handed to the application.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use scopegate_core::{Audience, ErrorKind, NumericDate};
use scopegate_testkit::{DEFAULT_AUDIENCE, TestIssuer};
use scopegate_tests::{rejection, verify};
use serde_json::json;

#[test]
fn verified_claims_carry_exact_values() {
    let issuer = TestIssuer::new();
    let token = issuer
        .token()
        .subject("42")
        .client_id("portal-spa")
        .audiences(["orders-api", DEFAULT_AUDIENCE])
        .scopes(["openid", "orders.read"])
        .roles(["operator"])
        .claim("azp", "portal-spa")
        .claim("jti", "token-1")
        .claim("exp", 4_000_000_000u64)
        .claim("iat", 1_700_000_000u64)
        .claim("nbf", 1_700_000_000u64)
        .claim("tenant", "acme")
        .sign();
    let claims = verify(&issuer.verifier(), &token).unwrap();
    assert_eq!(claims.issuer(), "https://id.scopegate.test");
    assert_eq!(claims.subject(), Some("42"));
    assert_eq!(claims.client_id(), Some("portal-spa"));
    assert_eq!(claims.authorized_party(), Some("portal-spa"));
    assert_eq!(claims.jwt_id(), Some("token-1"));
    assert_eq!(
        claims.audience(),
        &Audience::Many(vec!["orders-api".into(), DEFAULT_AUDIENCE.into()])
    );
    assert_eq!(claims.expires_at(), Some(NumericDate::from_secs(4_000_000_000)));
    assert_eq!(claims.issued_at(), Some(NumericDate::from_secs(1_700_000_000)));
    assert_eq!(claims.not_before(), Some(NumericDate::from_secs(1_700_000_000)));
    assert_eq!(claims.scopes().iter().collect::<Vec<_>>(), ["openid", "orders.read"]);
    assert_eq!(claims.roles().iter().collect::<Vec<_>>(), ["operator"]);
    assert_eq!(
        serde_json::Value::Object(claims.custom().clone()),
        json!({"tenant": "acme", "roles": ["operator"]})
    );
}

#[test]
fn claims_debug_shows_no_claim_value() {
    let issuer = TestIssuer::new();
    let token = issuer
        .token()
        .subject("alice@example.com")
        .client_id("portal-spa")
        .scopes(["openid", "orders.read"])
        .claim("tenant", "acme")
        .sign();
    let claims = verify(&issuer.verifier(), &token).unwrap();
    assert_eq!(
        format!("{claims:?}"),
        r#"Claims { iss: "https://id.scopegate.test", sub: Some("[redacted]"), client_id: Some("[redacted]"), scopes: 2, roles: 0, sender_constrained: false, .. }"#
    );
}

#[test]
fn issuer_must_match_exactly() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    for iss in [
        json!("https://id.scopegate.test/"),
        json!("https://ID.scopegate.test"),
        json!("https://id.scopegate.test "),
        json!("https://evil.example"),
        json!(""),
    ] {
        assert_eq!(
            rejection(&verifier, &issuer.token().claim("iss", &iss).sign()),
            ErrorKind::UntrustedIssuer,
            "{iss}"
        );
    }
    for iss in [json!(["https://id.scopegate.test"]), json!(1), json!(null), json!({"iss": "x"})] {
        assert_eq!(
            rejection(&verifier, &issuer.token().claim("iss", &iss).sign()),
            ErrorKind::InvalidClaim,
            "{iss}"
        );
    }
    assert_eq!(
        rejection(&verifier, &issuer.token().without_claim("iss").sign()),
        ErrorKind::MissingClaim
    );
}

#[test]
fn audience_must_name_this_api() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    assert!(verify(&verifier, &issuer.token().audience(DEFAULT_AUDIENCE).sign()).is_ok());
    assert!(
        verify(&verifier, &issuer.token().audiences(["other", DEFAULT_AUDIENCE]).sign()).is_ok()
    );
    let cases = [
        (issuer.token().without_claim("aud").sign(), ErrorKind::MissingClaim),
        (issuer.token().claim("aud", 42).sign(), ErrorKind::InvalidClaim),
        (issuer.token().claim("aud", json!([DEFAULT_AUDIENCE, 1])).sign(), ErrorKind::InvalidClaim),
        (issuer.token().audiences(["billing-api", "other"]).sign(), ErrorKind::InvalidAudience),
        (issuer.token().audiences([]).sign(), ErrorKind::InvalidAudience),
        (issuer.token().audience("https://api.scopegate.test/").sign(), ErrorKind::InvalidAudience),
    ];
    for (token, kind) in cases {
        assert_eq!(rejection(&verifier, &token), kind);
    }
}

/// Before: `audience` added to the accepted audiences, and the test kit's builder had set its
/// own first, so a user's "wrong audience" test passed with `200`. Now `audience` sets,
/// `also_accept_audience` adds, and the test kit never widens what the user configured.
#[test]
fn regression_audience_sets_and_the_test_kit_never_widens() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier_builder().audience("orders-api").build_static().unwrap();
    assert_eq!(rejection(&verifier, &issuer.token().sign()), ErrorKind::InvalidAudience);
    assert!(verify(&verifier, &issuer.token().audience("orders-api").sign()).is_ok());
    let migrating = issuer
        .verifier_builder()
        .audience("orders-api")
        .also_accept_audience("legacy-orders")
        .build_static()
        .unwrap();
    for audience in ["orders-api", "legacy-orders"] {
        assert!(verify(&migrating, &issuer.token().audience(audience).sign()).is_ok(), "{audience}");
    }
    assert_eq!(rejection(&migrating, &issuer.token().sign()), ErrorKind::InvalidAudience);
    let issuer_level = scopegate_core::Verifier::builder()
        .audience("orders-api")
        .trust(
            scopegate_core::TrustedIssuer::new(issuer.issuer())
                .audience("first")
                .audience("second")
                .keys(issuer.key_set()),
        )
        .build_static()
        .unwrap();
    assert_eq!(rejection(&issuer_level, &issuer.token().audience("first").sign()), ErrorKind::InvalidAudience);
    assert!(verify(&issuer_level, &issuer.token().audience("second").sign()).is_ok());
    assert_eq!(rejection(&issuer_level, &issuer.token().audience("orders-api").sign()), ErrorKind::InvalidAudience);
}

#[test]
fn expiry_is_required_and_checked_with_leeway() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    assert_eq!(
        rejection(&verifier, &issuer.token().without_claim("exp").sign()),
        ErrorKind::MissingClaim
    );
    assert_eq!(rejection(&verifier, &issuer.token().expired().sign()), ErrorKind::Expired);
    assert_eq!(
        rejection(&verifier, &issuer.token().expires_at_offset(-45).sign()),
        ErrorKind::Expired
    );
    // Within the default 30-second leeway.
    assert!(verify(&verifier, &issuer.token().expires_at_offset(-10).sign()).is_ok());
    let strict_clock = issuer.verifier_builder().leeway(Duration::ZERO).build_static().unwrap();
    assert_eq!(
        rejection(&strict_clock, &issuer.token().expires_at_offset(-10).sign()),
        ErrorKind::Expired
    );
    // Non-integer NumericDates are fine; other types are not.
    let now = NumericDate::now().as_secs() as f64;
    assert!(verify(&verifier, &issuer.token().claim("exp", now + 300.5).sign()).is_ok());
    for exp in [json!("4000000000"), json!(true), json!(-1), json!(1e20), json!(null)] {
        assert_eq!(
            rejection(&verifier, &issuer.token().claim("exp", &exp).sign()),
            ErrorKind::InvalidClaim,
            "{exp}"
        );
    }
}

#[test]
fn exactly_at_expiry_is_expired() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier_builder().leeway(Duration::ZERO).build_static().unwrap();
    let token = issuer.token().claim("exp", 2_000_000_000u64).claim("iat", 1_999_999_000u64).sign();
    assert!(verifier.verify_at(&token, NumericDate::from_secs(1_999_999_999)).is_ok());
    let error = verifier.verify_at(&token, NumericDate::from_secs(2_000_000_000)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Expired);
}

#[test]
fn not_before_and_issued_at_in_the_future() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    assert_eq!(
        rejection(&verifier, &issuer.token().not_before_offset(120).sign()),
        ErrorKind::NotYetValid
    );
    assert!(verify(&verifier, &issuer.token().not_before_offset(10).sign()).is_ok());
    assert_eq!(
        rejection(&verifier, &issuer.token().issued_at_offset(120).sign()),
        ErrorKind::IssuedInFuture
    );
    assert!(verify(&verifier, &issuer.token().issued_at_offset(10).sign()).is_ok());
    assert_eq!(
        rejection(&verifier, &issuer.token().claim("nbf", "soon").sign()),
        ErrorKind::InvalidClaim
    );
}

#[test]
fn leeway_is_capped_at_five_minutes() {
    let issuer = TestIssuer::new();
    assert!(issuer.verifier_builder().leeway(Duration::from_secs(300)).build_static().is_ok());
    let error =
        issuer.verifier_builder().leeway(Duration::from_secs(301)).build_static().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    assert_eq!(error.message(), "the leeway may be at most 5 minutes");
}

#[test]
fn maximum_token_age() {
    let issuer = TestIssuer::new();
    let verifier =
        issuer.verifier_builder().max_token_age(Duration::from_secs(600)).build_static().unwrap();
    assert!(verify(&verifier, &issuer.token().issued_at_offset(-300).sign()).is_ok());
    assert_eq!(
        rejection(&verifier, &issuer.token().issued_at_offset(-900).sign()),
        ErrorKind::TooOld
    );
    assert_eq!(
        rejection(&verifier, &issuer.token().without_claim("iat").sign()),
        ErrorKind::MissingClaim
    );
}

#[test]
fn strict_rfc_9068_requires_its_claims() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier_builder().require_rfc9068(true).build_static().unwrap();
    assert!(verify(&verifier, &issuer.token().sign()).is_ok());
    for claim in ["sub", "client_id", "iat", "jti"] {
        let error = verify(&verifier, &issuer.token().without_claim(claim).sign()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingClaim, "{claim}");
        assert_eq!(error.message(), format!("the token has no `{claim}` claim"));
    }
    // The lenient default does not require them.
    let lenient = issuer.verifier();
    assert!(
        verify(&lenient, &issuer.token().without_claim("client_id").without_claim("jti").sign())
            .is_ok()
    );
}

#[test]
fn sender_constrained_tokens_are_not_bearer_tokens() {
    let issuer = TestIssuer::new();
    let token = issuer
        .token()
        .claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}))
        .sign();
    assert_eq!(rejection(&issuer.verifier(), &token), ErrorKind::SenderConstrained);
}

#[test]
fn wrongly_typed_registered_claims_are_errors() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    for (name, value) in [
        ("sub", json!(42)),
        ("sub", json!(null)),
        ("client_id", json!(["a"])),
        ("jti", json!(1)),
        ("azp", json!({})),
    ] {
        let error = verify(&verifier, &issuer.token().claim(name, &value).sign()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidClaim, "{name}: {value}");
    }
}

#[test]
fn id_token_used_as_access_token_is_refused() {
    let issuer = TestIssuer::new();
    // An ID token: audience is the client, `typ` JWT, a nonce.
    let id_token =
        issuer.token().typ("JWT").audience("portal-spa").claim("nonce", "n-0S6_WzA2Mj").sign();
    assert_eq!(rejection(&issuer.verifier(), &id_token), ErrorKind::InvalidAudience);
    let strict = issuer.verifier_builder().require_rfc9068(true).build_static().unwrap();
    assert_eq!(rejection(&strict, &id_token), ErrorKind::InvalidTokenType);
}

#[test]
fn messages_never_echo_the_token_or_claim_values() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let secretish = "SECRET-VALUE-123";
    let tokens = [
        issuer.token().claim("iss", secretish).sign(),
        issuer.token().audience(secretish).sign(),
        issuer.token().claim("sub", json!([secretish])).sign(),
        issuer.token().claim("exp", secretish).sign(),
        issuer.token().claim("scope", json!({secretish: 1})).sign(),
        issuer.token().typ(secretish).sign(),
        issuer.token().key_id(secretish).sign(),
        issuer.token().unsigned(secretish),
    ];
    for token in tokens {
        let error = verify(&verifier, &token).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(secretish), "{shown}");
        assert!(!shown.contains(&token[..20]), "{shown}");
    }
}

/// The edges of `nbf`, `iat` and the maximum age, to the second: a token is valid from `nbf`
/// minus the leeway, issued at most the leeway ahead, and while now is at most `iat` plus the
/// maximum age plus the leeway.
#[test]
fn time_edges_to_the_second() {
    const NOW: u64 = 1_700_000_000;
    let issuer = TestIssuer::new();
    let verifier = issuer
        .verifier_builder()
        .leeway(Duration::from_secs(30))
        .max_token_age(Duration::from_secs(600))
        .clock(scopegate_testkit::ManualClock::at_secs(NOW))
        .disable_token_cache()
        .build_static()
        .unwrap();
    let kind = |token: String| verifier.verify_now(&token).into_ready().unwrap().err().map(|error| error.kind());
    let token = |iat: u64| issuer.token().claim("iat", iat).claim("exp", NOW + 3600);
    assert_eq!(kind(token(NOW).claim("nbf", NOW + 30).sign()), None);
    assert_eq!(kind(token(NOW).claim("nbf", NOW + 31).sign()), Some(ErrorKind::NotYetValid));
    assert_eq!(kind(token(NOW + 30).sign()), None);
    assert_eq!(kind(token(NOW + 31).sign()), Some(ErrorKind::IssuedInFuture));
    assert_eq!(kind(token(NOW - 630).sign()), None);
    assert_eq!(kind(token(NOW - 631).sign()), Some(ErrorKind::TooOld));
}
