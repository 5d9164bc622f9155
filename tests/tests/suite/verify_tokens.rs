//! The token as a JWS: algorithms, keys, signatures, header rules and size.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate_core::{Algorithm, ErrorKind, VerificationKey, Verifier};
use scopegate_testkit::{TestIssuer, TestKey, encode_token};
use scopegate_tests::{rejection, verify};
use serde_json::json;

const HMAC_SECRET: &[u8] = b"a-shared-secret-of-at-least-32-bytes!";

#[test]
fn valid_tokens_in_every_asymmetric_algorithm() {
    let cases = [
        (TestKey::rsa(), Algorithm::RS256),
        (TestKey::rsa().with_algorithm(Algorithm::RS384), Algorithm::RS384),
        (TestKey::rsa().with_algorithm(Algorithm::RS512), Algorithm::RS512),
        (TestKey::rsa().with_algorithm(Algorithm::PS256), Algorithm::PS256),
        (TestKey::rsa().with_algorithm(Algorithm::PS384), Algorithm::PS384),
        (TestKey::rsa().with_algorithm(Algorithm::PS512), Algorithm::PS512),
        (TestKey::ec_p256(), Algorithm::ES256),
        (TestKey::ec_p384(), Algorithm::ES384),
        (TestKey::ed25519(), Algorithm::EdDSA),
    ];
    for (key, algorithm) in cases {
        let issuer = TestIssuer::new().with_key(key);
        let token = issuer.token().subject("42").sign();
        let claims =
            verify(&issuer.verifier(), &token).unwrap_or_else(|e| panic!("{algorithm:?}: {e}"));
        assert_eq!(claims.subject(), Some("42"), "{algorithm:?}");
    }
}

#[test]
fn hmac_tokens_only_with_a_configured_secret() {
    for algorithm in [Algorithm::HS256, Algorithm::HS384] {
        let key = TestKey::hmac(HMAC_SECRET.repeat(2)).with_algorithm(algorithm);
        let issuer = TestIssuer::new().with_key(key);
        let claims = verify(&issuer.verifier(), &issuer.token().subject("7").sign()).unwrap();
        assert_eq!(claims.subject(), Some("7"), "{algorithm:?}");
    }
    // The same HS256 token, presented to a verifier that only has the issuer's RSA key.
    let hmac_issuer = TestIssuer::new().with_key(TestKey::hmac(HMAC_SECRET));
    let rsa_verifier = TestIssuer::new().verifier();
    assert_eq!(
        rejection(&rsa_verifier, &hmac_issuer.token().sign()),
        ErrorKind::DisallowedAlgorithm
    );
}

#[test]
fn alg_none_in_any_spelling_is_refused() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    for spelling in ["none", "None", "NONE", "nOnE", "none "] {
        let token = issuer.token().unsigned(spelling);
        assert_eq!(rejection(&verifier, &token), ErrorKind::DisallowedAlgorithm, "{spelling}");
        // With a signature segment appended, it is still refused for its algorithm.
        let with_signature = format!("{token}c2ln");
        assert_eq!(
            rejection(&verifier, &with_signature),
            ErrorKind::DisallowedAlgorithm,
            "{spelling}"
        );
    }
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let key = issuer.key();
    for secret in [
        key.public_key_pem().into_bytes(),
        key.public_key_der(),
        key.public_jwk().to_string().into_bytes(),
    ] {
        let token = issuer.token().sign_hmac_with_secret(Algorithm::HS256, &secret);
        assert_eq!(rejection(&verifier, &token), ErrorKind::DisallowedAlgorithm);
    }
    // Even when the issuer also has an HMAC secret, the RSA key never verifies HS256.
    let with_secret = issuer
        .verifier_builder()
        .key(VerificationKey::hmac_secret(HMAC_SECRET).unwrap().with_key_id(key.kid()))
        .build_static()
        .unwrap();
    let token =
        issuer.token().sign_hmac_with_secret(Algorithm::HS256, key.public_key_pem().as_bytes());
    assert_eq!(rejection(&with_secret, &token), ErrorKind::InvalidSignature);
}

#[test]
fn ps256_under_a_key_pinned_to_rs256_is_refused() {
    let issuer = TestIssuer::new();
    // The test kit's JWK pins `alg: RS256`.
    let token = issuer.token().algorithm(Algorithm::PS256).sign();
    assert_eq!(rejection(&issuer.verifier(), &token), ErrorKind::UnknownKey);
    // An unpinned RSA key accepts both families.
    let unpinned = VerificationKey::from_pem(issuer.key().public_key_pem()).unwrap();
    let verifier = Verifier::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .key(unpinned)
        .build_static()
        .unwrap();
    assert!(verify(&verifier, &token).is_ok());
}

#[test]
fn unknown_kid_wrong_key_and_tampering() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    assert_eq!(
        rejection(&verifier, &issuer.token().key_id("rotated-away").sign()),
        ErrorKind::UnknownKey
    );
    assert_eq!(
        rejection(&verifier, &issuer.token().sign_with(&TestKey::rsa())),
        ErrorKind::InvalidSignature
    );
    assert_eq!(rejection(&verifier, &issuer.token().tampered()), ErrorKind::InvalidSignature);
    let token = issuer.token().sign();
    let (signed, _) = token.rsplit_once('.').unwrap();
    assert_eq!(rejection(&verifier, &format!("{signed}.")), ErrorKind::InvalidSignature);
}

#[test]
fn key_selection_by_kid() {
    let first = TestKey::ec_p256();
    let second = TestKey::ec_p256();
    let issuer = TestIssuer::new().with_key(first.clone()).add_key(second.clone());
    let verifier = issuer.verifier();
    assert!(verify(&verifier, &issuer.token_with_key(&second).sign()).is_ok());
    // Without a `kid`, every key of the algorithm is tried.
    assert!(
        verify(&verifier, &issuer.token_with_key(&second).without_header("kid").sign()).is_ok()
    );
    // A key configured without an ID matches whatever `kid` the token names.
    let anonymous = VerificationKey::from_pem(first.public_key_pem()).unwrap();
    let verifier = Verifier::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .key(anonymous)
        .build_static()
        .unwrap();
    assert!(verify(&verifier, &issuer.token().key_id("whatever").sign()).is_ok());
}

#[test]
fn one_kid_for_two_key_types_picks_by_alg() {
    let rsa = TestKey::rsa().with_kid("shared");
    let ec = TestKey::ec_p256().with_kid("shared");
    let issuer = TestIssuer::new().with_key(rsa.clone()).add_key(ec.clone());
    let verifier = issuer.verifier();
    assert!(verify(&verifier, &issuer.token_with_key(&rsa).sign()).is_ok());
    assert!(verify(&verifier, &issuer.token_with_key(&ec).sign()).is_ok());
}

#[test]
fn typ_rules_lenient_and_strict() {
    let issuer = TestIssuer::new();
    let lenient = issuer.verifier();
    let strict = issuer.verifier_builder().require_rfc9068(true).build_static().unwrap();
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        let token = issuer.token().typ(typ).sign();
        assert!(verify(&lenient, &token).is_ok(), "{typ}");
        assert!(verify(&strict, &token).is_ok(), "{typ}");
    }
    for token in [issuer.token().typ("JWT").sign(), issuer.token().without_header("typ").sign()] {
        assert!(verify(&lenient, &token).is_ok());
        assert_eq!(rejection(&strict, &token), ErrorKind::InvalidTokenType);
    }
    for typ in ["JOSE", "id_token+jwt", "dpop+jwt", "logout+jwt"] {
        assert_eq!(
            rejection(&lenient, &issuer.token().typ(typ).sign()),
            ErrorKind::InvalidTokenType,
            "{typ}"
        );
    }
}

#[test]
fn crit_b64_and_nesting_are_refused() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    for (name, value) in [
        ("crit", json!(["exp"])),
        ("b64", json!(false)),
        ("cty", json!("JWT")),
        ("enc", json!("A256GCM")),
    ] {
        let token = issuer.token().header(name, value).sign();
        assert_eq!(rejection(&verifier, &token), ErrorKind::UnsupportedHeader, "{name}");
    }
}

#[test]
fn embedded_keys_are_never_used() {
    let issuer = TestIssuer::new();
    let attacker = TestKey::rsa();
    let token = issuer
        .token()
        .header("jwk", attacker.public_jwk())
        .header("jku", "https://attacker.example/jwks.json")
        .header("x5u", "https://attacker.example/cert.pem")
        .sign_with(&attacker);
    assert_eq!(rejection(&issuer.verifier(), &token), ErrorKind::InvalidSignature);
}

#[test]
fn oversized_tokens_are_refused_before_decoding() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let token = issuer.token().claim("padding", "x".repeat(8 * 1024)).sign();
    assert_eq!(rejection(&verifier, &token), ErrorKind::TokenTooLarge);
    // Not even valid base64 matters past the cap.
    assert_eq!(rejection(&verifier, &"!".repeat(8 * 1024 + 1)), ErrorKind::TokenTooLarge);
    let roomy = issuer.verifier_builder().max_token_bytes(32 * 1024).build_static().unwrap();
    assert!(verify(&roomy, &token).is_ok());
    let exactly = issuer.token().sign();
    let tight = issuer.verifier_builder().max_token_bytes(exactly.len()).build_static().unwrap();
    assert!(verify(&tight, &exactly).is_ok());
}

#[test]
fn malformed_tokens() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let header = br#"{"alg":"RS256","kid":"x"}"#;
    let payload = br#"{"iss":"https://id.scopegate.test"}"#;
    let cases = [
        "not-a-token".to_owned(),
        "a.b.c.d.e".to_owned(),
        "a.b.c.d".to_owned(),
        encode_token(b"[]", payload, b"sig"),
        encode_token(header, b"\xff\xfe", b"sig"),
        encode_token(b"\xef\xbb\xbf{\"alg\":\"RS256\"}", payload, b"sig"),
        encode_token(br#"{"alg":"RS256","alg":"none"}"#, payload, b"sig"),
        encode_token(header, br#"{"iss":"a","iss":"https://id.scopegate.test"}"#, b"sig"),
        format!("{}=", issuer.token().sign()),
        issuer.token().sign().replace('-', "+").replace('_', "/") + "+/",
    ];
    for token in cases {
        assert_eq!(rejection(&verifier, &token), ErrorKind::MalformedToken, "{token}");
    }
}
