//! Attacks through the claims and the request: wrong-typed claims, NumericDate edges, scope
//! tricks that must not grant `orders.read`, audiences, token types, sender constraints, and
//! malformed requests. Each case asserts the status and the exact challenge.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]


use crate::attack::{Case, Expect, REQUIRED, Target, run, says};
use serde_json::json;

/// Scope values outside RFC 6749's syntax that look like `orders.read`.
const SCOPE_TRICKS: [(&str, &str); 7] = [
    ("NBSP", "orders.read\u{a0}openid"),
    ("tab", "orders.read\topenid"),
    ("zero-width space", "orders.read\u{200b}"),
    ("homoglyph", "\u{43e}rders.read"),
    ("full-width", "ｏｒｄｅｒｓ.ｒｅａｄ"),
    ("NUL", "orders.read\u{0}"),
    ("quote", "\"orders.read\""),
];

/// Strict scopes: each trick makes the token invalid, and arrays are refused.
#[tokio::test]
async fn strict_scopes_refuse_malformed_scope_tokens() {
    let target = Target::new();
    let strict = target
        .issuer
        .verifier_builder()
        .claim_mapping(scopegate::ClaimMapping::new().strict_scopes(true))
        .disable_token_cache()
        .build_static()
        .unwrap();
    let app = Target::app_with(strict);
    let mut cases = vec![Case::token("baseline", target.valid(), Expect::Allowed)];
    for (name, scope) in SCOPE_TRICKS {
        let value = target.issuer.token().claim("scope", format!("{REQUIRED} {scope}")).sign();
        cases.push(Case::token(name, value, Expect::InvalidToken(says::SCOPE_SYNTAX)));
    }
    cases.push(Case::token(
        "array",
        target.issuer.token().claim("scope", json!([REQUIRED])).sign(),
        Expect::InvalidToken("the `scope` claim must be a space-delimited string"),
    ));
    assert_eq!(run(&app, cases).await, 9);
}

#[tokio::test]
async fn claim_and_request_attacks_are_refused() {
    let target = Target::new();
    let app = target.app();
    let token = || target.issuer.token().scopes([REQUIRED]);
    let mut cases = vec![Case::token("baseline: a valid token", target.valid(), Expect::Allowed)];

    // Wrong-typed registered claims.
    let typed = [
        ("exp as a string", "exp", json!("4000000000"), says::NUMERIC_DATE),
        (
            "aud as a number",
            "aud",
            json!(1),
            "the `aud` claim must be a string or an array of strings",
        ),
        (
            "aud array with a number",
            "aud",
            json!(["https://api.scopegate.test", 1]),
            "the `aud` claim must be a string or an array of strings",
        ),
        (
            "iss as an array",
            "iss",
            json!(["https://id.scopegate.test"]),
            "the `iss` claim must be a string",
        ),
        (
            "scope as an object",
            "scope",
            json!({"orders.read": true}),
            "the `scope` claim must be a space-delimited string or an array of strings",
        ),
        (
            "scope array with a number",
            "scope",
            json!(["orders.read", 7]),
            "the `scope` claim must be an array of scope strings",
        ),
        ("sub as a number", "sub", json!(42), "the `sub` claim must be a string"),
        (
            "nbf as a boolean",
            "nbf",
            json!(true),
            "the `nbf` claim must be a NumericDate: a non-negative number of seconds before year 10000",
        ),
    ];
    for (name, claim, value, message) in typed {
        cases.push(Case::token(
            name,
            token().claim(claim, value).sign(),
            Expect::InvalidToken(message),
        ));
    }

    // NumericDate edges.
    cases.push(Case::token(
        "exp 0",
        token().claim("exp", 0).sign(),
        Expect::InvalidToken(says::EXPIRED),
    ));
    cases.push(Case::token(
        "exp -1",
        token().claim("exp", -1).sign(),
        Expect::InvalidToken(says::NUMERIC_DATE),
    ));
    cases.push(Case::token(
        "exp in year 10000",
        token().claim("exp", 253_402_300_800u64).sign(),
        Expect::InvalidToken(says::NUMERIC_DATE),
    ));
    cases.push(Case::token(
        "exp 1e300",
        token().claim("exp", 1e300).sign(),
        Expect::InvalidToken(says::NUMERIC_DATE),
    ));
    cases.push(Case::token(
        "exp u64::MAX",
        token().claim("exp", u64::MAX).sign(),
        Expect::InvalidToken(says::NUMERIC_DATE),
    ));
    cases.push(Case::token(
        "exp at the last second of 9999",
        token().claim("exp", 253_402_300_799u64).sign(),
        Expect::Allowed,
    ));
    let now = scopegate_core::NumericDate::now().as_secs() as f64;
    cases.push(Case::token(
        "exp fractional",
        token().claim("exp", now + 300.75).sign(),
        Expect::Allowed,
    ));
    cases.push(Case::token(
        "exp missing",
        token().without_claim("exp").sign(),
        Expect::InvalidToken("the token has no `exp` claim"),
    ));
    cases.push(Case::token(
        "iat an hour ahead",
        token().issued_at_offset(3600).sign(),
        Expect::InvalidToken("the token was issued in the future (`iat`)"),
    ));
    cases.push(Case::token(
        "nbf an hour ahead",
        token().not_before_offset(3600).sign(),
        Expect::InvalidToken("the token is not valid yet (`nbf`)"),
    ));
    cases.push(Case::token(
        "clock skew within the leeway",
        token().not_before_offset(20).issued_at_offset(20).sign(),
        Expect::Allowed,
    ));

    // Scope arrays are accepted by default (as Okta and TokenIDP write them).
    cases.push(Case::token(
        "scope as an array",
        target.issuer.token().claim("scope", json!([REQUIRED])).sign(),
        Expect::Allowed,
    ));
    // Scope tricks: a token outside scope syntax is never granted and never matches (403);
    // strict mode refuses the whole token (below). The good scope beside a bad one counts.
    for (name, scope) in SCOPE_TRICKS {
        let value = target.issuer.token().claim("scope", scope).sign();
        cases.push(Case::token(format!("scope with {name}"), value, Expect::Forbidden));
        let beside = target.issuer.token().claim("scope", format!("{REQUIRED} {scope}")).sign();
        cases.push(Case::token(format!("{name} beside the scope"), beside, Expect::Allowed));
    }
    for scope in [
        "ORDERS.READ",
        "Orders.read",
        "orders",
        "orders.rea",
        "orders.readonly",
        "orders.read.",
        "orders:read",
        "read",
    ] {
        let value = target.issuer.token().scopes([scope]).sign();
        cases.push(Case::token(format!("scope {scope}"), value, Expect::Forbidden));
    }
    cases.push(Case::token("no scope at all", target.issuer.token().sign(), Expect::Forbidden));
    cases.push(Case::token(
        "role instead of scope",
        target.issuer.token().roles([REQUIRED]).sign(),
        Expect::Forbidden,
    ));

    // Audiences, issuers, token types, sender constraints.
    cases.push(Case::token(
        "another audience",
        token().audience("billing-api").sign(),
        Expect::InvalidToken(says::AUDIENCE),
    ));
    cases.push(Case::token(
        "no audience",
        token().without_claim("aud").sign(),
        Expect::InvalidToken("the token has no `aud` claim"),
    ));
    cases.push(Case::token(
        "another issuer",
        token().issuer("https://evil.example").sign(),
        Expect::InvalidToken(says::ISSUER),
    ));
    cases.push(Case::token(
        "issuer with a trailing slash",
        token().issuer("https://id.scopegate.test/").sign(),
        Expect::InvalidToken(says::ISSUER),
    ));
    let id_token = token().typ("JWT").audience("portal-spa").claim("nonce", "n-0S6").sign();
    cases.push(Case::token(
        "ID token as access token",
        id_token,
        Expect::InvalidToken(says::AUDIENCE),
    ));
    cases.push(Case::token(
        "DPoP proof as access token",
        token().typ("dpop+jwt").sign(),
        Expect::InvalidToken("the token's `typ` is not an access-token type"),
    ));
    cases.push(Case::token(
        "DPoP-bound token as bearer",
        token().claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})).sign(),
        Expect::InvalidToken(
            "the token is sender-constrained (`cnf`) and cannot be used as a bearer token",
        ),
    ));
    cases.push(Case::token(
        "expired",
        token().expired().sign(),
        Expect::InvalidToken(says::EXPIRED),
    ));

    // Malformed requests.
    let valid = target.valid();
    let bearer = format!("Bearer {valid}").into_bytes();
    cases.push(Case {
        name: "two Authorization headers".into(),
        authorization: vec![bearer.clone(), bearer],
        cookie: None,
        expect: Expect::InvalidRequest("the request has more than one Authorization header"),
    });
    cases.push(Case {
        name: "header and cookie".into(),
        authorization: vec![format!("Bearer {valid}").into_bytes()],
        cookie: Some(valid.clone()),
        expect: Expect::InvalidRequest(
            "the token was sent both in the Authorization header and in a cookie",
        ),
    });
    cases.push(Case::header(
        "Bearer with a tab",
        format!("Bearer\t{valid}"),
        Expect::InvalidRequest(
            "the Authorization header does not follow `Bearer <token>` (RFC 6750)",
        ),
    ));
    cases.push(Case::header(
        "Bearer with nothing",
        "Bearer ",
        Expect::InvalidRequest("the Authorization header has the Bearer scheme but no token"),
    ));
    cases.push(Case::header("lower-case scheme", format!("bearer {valid}"), Expect::Allowed));
    cases.push(Case::header("several spaces", format!("Bearer    {valid}"), Expect::Allowed));
    cases.push(Case::header(
        "non-ASCII token",
        "Bearer t\u{f6}ken".as_bytes(),
        Expect::InvalidRequest(says::CHARACTERS),
    ));

    let count = run(&app, cases).await;
    assert_eq!(count, 60, "every case ran");
}
