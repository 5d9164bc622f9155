//! Static key sources, several issuers, algorithm allowlists and configuration errors.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate_core::{Algorithm, ErrorKind, KeySet, TrustedIssuer, VerificationKey, Verifier};
use scopegate_testkit::{TestIssuer, TestKey};
use scopegate_tests::{rejection, verify};
use serde_json::json;

fn verifier_with(issuer: &TestIssuer, key: VerificationKey) -> Verifier {
    Verifier::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .key(key)
        .build_static()
        .unwrap()
}

#[test]
fn pem_keys_of_every_type() {
    for key in [TestKey::rsa(), TestKey::ec_p256(), TestKey::ec_p384(), TestKey::ed25519()] {
        let issuer = TestIssuer::new().with_key(key.clone());
        let verification_key = VerificationKey::from_pem(key.public_key_pem()).unwrap();
        assert!(
            verify(&verifier_with(&issuer, verification_key), &issuer.token().sign()).is_ok(),
            "{key:?}"
        );
    }
    let rsa = TestKey::rsa();
    let issuer = TestIssuer::new().with_key(rsa.clone());
    let pkcs1 = VerificationKey::from_pem(rsa.rsa_public_key_pkcs1_pem().unwrap()).unwrap();
    assert!(verify(&verifier_with(&issuer, pkcs1), &issuer.token().sign()).is_ok());
}

#[test]
fn single_jwks_and_jwk_json() {
    let issuer = TestIssuer::new().add_key(TestKey::ec_p256()).add_key(TestKey::ed25519());
    let keys = KeySet::from_jwks_json(&issuer.jwks_json()).unwrap();
    assert_eq!(keys.len(), 3);
    let verifier = Verifier::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .keys(keys)
        .build_static()
        .unwrap();
    for key in issuer.keys() {
        assert!(verify(&verifier, &issuer.token_with_key(key).sign()).is_ok(), "{key:?}");
    }
    let one = VerificationKey::from_jwk_json(&issuer.key().public_jwk().to_string()).unwrap();
    assert_eq!(one.key_id(), Some(issuer.key().kid()));
    assert!(verify(&verifier_with(&issuer, one), &issuer.token().sign()).is_ok());
}

#[test]
fn jwks_with_unusable_entries_keeps_the_good_ones() {
    let issuer = TestIssuer::new();
    let mut encryption_key = TestKey::rsa().public_jwk();
    encryption_key["use"] = json!("enc");
    let jwks = json!({"keys": [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
        encryption_key,
        {"kty": "EC", "crv": "secp256k1", "kid": "k1", "x": "AA", "y": "AA"},
        issuer.key().public_jwk(),
    ]});
    let keys = KeySet::from_jwks_json(&jwks.to_string()).unwrap();
    assert_eq!((keys.len(), keys.skipped()), (1, 3));
    let verifier = Verifier::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .keys(keys)
        .build_static()
        .unwrap();
    assert!(verify(&verifier, &issuer.token().sign()).is_ok());
    assert_eq!(rejection(&verifier, &issuer.token().key_id("hmac").sign()), ErrorKind::UnknownKey);
}

#[test]
fn hmac_secret_configuration() {
    let secret = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let issuer = TestIssuer::new().with_key(TestKey::hmac(secret.to_vec()).with_kid("shared"));
    for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let token = issuer.token().algorithm(algorithm).sign();
        assert!(verify(&issuer.verifier(), &token).is_ok(), "{algorithm:?}");
    }
    let short = VerificationKey::hmac_secret(&secret[..31]).unwrap_err();
    assert_eq!(short.kind(), ErrorKind::InvalidKey);
    // A 32-byte secret verifies HS256 only (RFC 7518 section 3.2).
    let short_issuer = TestIssuer::new().with_key(TestKey::hmac(secret[..32].to_vec()));
    let verifier = short_issuer.verifier();
    assert!(verify(&verifier, &short_issuer.token().sign()).is_ok());
    let hs512 = short_issuer.token().algorithm(Algorithm::HS512).sign();
    assert_eq!(rejection(&verifier, &hs512), ErrorKind::UnknownKey);
}

#[test]
fn several_issuers_each_with_their_own_keys() {
    let a = TestIssuer::named("https://id.example.com/realms/a");
    let b = TestIssuer::named("https://id.example.com/realms/b").with_key(TestKey::ec_p256());
    let verifier = Verifier::builder()
        .audience(a.audience())
        .trust(TrustedIssuer::new(a.issuer()).keys(a.key_set()))
        .trust(TrustedIssuer::new(b.issuer()).keys(b.key_set()))
        .build_static()
        .unwrap();
    assert_eq!(verify(&verifier, &a.token().sign()).unwrap().issuer(), a.issuer());
    assert_eq!(verify(&verifier, &b.token().sign()).unwrap().issuer(), b.issuer());
    // A token naming issuer A, signed by B's key (with B's kid, then with A's kid).
    let cross = a.token_with_key(b.key()).sign();
    assert_eq!(rejection(&verifier, &cross), ErrorKind::UnknownKey);
    let cross_with_a_kid =
        a.token_with_key(b.key()).key_id(a.key().kid()).algorithm(Algorithm::ES256).sign();
    assert_eq!(rejection(&verifier, &cross_with_a_kid), ErrorKind::UnknownKey);
    let forged = a.token().sign_with(&TestKey::rsa());
    assert_eq!(rejection(&verifier, &forged), ErrorKind::InvalidSignature);
}

#[test]
fn same_kid_in_two_issuers_does_not_cross_over() {
    let a = TestIssuer::named("https://a.test").with_key(TestKey::rsa().with_kid("k1"));
    let b = TestIssuer::named("https://b.test").with_key(TestKey::rsa().with_kid("k1"));
    let verifier = Verifier::builder()
        .audience(a.audience())
        .trust(TrustedIssuer::new(a.issuer()).keys(a.key_set()))
        .trust(TrustedIssuer::new(b.issuer()).keys(b.key_set()))
        .build_static()
        .unwrap();
    let a_claims_b_signed = a.token().sign_with(b.key());
    assert_eq!(rejection(&verifier, &a_claims_b_signed), ErrorKind::InvalidSignature);
}

#[test]
fn per_issuer_audiences() {
    let a = TestIssuer::named("https://a.test");
    let b = TestIssuer::named("https://b.test");
    let verifier = Verifier::builder()
        .trust(TrustedIssuer::new(a.issuer()).audience("orders-api").keys(a.key_set()))
        .trust(TrustedIssuer::new(b.issuer()).audience("billing-api").keys(b.key_set()))
        .build_static()
        .unwrap();
    assert!(verify(&verifier, &a.token().audience("orders-api").sign()).is_ok());
    assert_eq!(
        rejection(&verifier, &a.token().audience("billing-api").sign()),
        ErrorKind::InvalidAudience
    );
    assert!(verify(&verifier, &b.token().audience("billing-api").sign()).is_ok());
}

#[test]
fn algorithm_allowlist() {
    let rsa = TestKey::rsa();
    let ec = TestKey::ec_p256();
    let issuer = TestIssuer::new().with_key(rsa.clone()).add_key(ec.clone());
    let verifier = issuer.verifier_builder().algorithms([Algorithm::ES256]).build_static().unwrap();
    assert!(verify(&verifier, &issuer.token_with_key(&ec).sign()).is_ok());
    assert_eq!(
        rejection(&verifier, &issuer.token_with_key(&rsa).sign()),
        ErrorKind::DisallowedAlgorithm
    );
    let error =
        issuer.verifier_builder().algorithms([Algorithm::HS256]).build_static().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    assert!(error.message().contains("HS*") && error.message().contains("no HMAC secret"), "{error}");
}

#[test]
fn configuration_errors() {
    let issuer = TestIssuer::new();
    let cases = [
        Verifier::builder().audience("a").build_static(),
        Verifier::builder().issuer(issuer.issuer()).keys(issuer.key_set()).build_static(),
        Verifier::builder().issuer(issuer.issuer()).audience("a").build_static(),
        Verifier::builder().audience("a").key(issuer.key().verification_key()).build_static(),
        issuer
            .verifier_builder()
            .trust(TrustedIssuer::new(issuer.issuer()).keys(issuer.key_set()))
            .build_static(),
        issuer.verifier_builder().max_token_bytes(0).build_static(),
        issuer.verifier_builder().max_token_bytes(1024 * 1024).build_static(),
        issuer.verifier_builder().algorithms([Algorithm::ES256]).build_static(),
    ];
    // Each names what to fix.
    let said = [
        "no issuer is configured",
        "the issuer https://id.scopegate.test has no audience; call `audience(...)`",
        "the issuer https://id.scopegate.test fetches its keys: use `build().await`, or `fetch_keys_lazily(true)`",
        "an issuer is empty; call `issuer(...)` with the `iss` tokens carry",
        "an issuer is configured twice",
        "the token size cap must be between 1 byte and 64 KiB",
        "the token size cap must be between 1 byte and 64 KiB",
        "the issuer https://id.scopegate.test has no key for an allowed algorithm",
    ];
    assert_eq!(cases.len(), said.len());
    for (index, (result, said)) in cases.into_iter().zip(said).enumerate() {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidConfiguration, "case {index}");
        assert_eq!(error.message(), said, "case {index}");
    }
}

#[test]
fn async_build_gives_the_same_verifier() {
    let issuer = TestIssuer::new();
    let verifier = scopegate_testkit::block_on(issuer.verifier_builder().build()).unwrap();
    let claims =
        scopegate_testkit::block_on(verifier.verify(&issuer.token().subject("9").sign())).unwrap();
    assert_eq!(claims.subject(), Some("9"));
}

#[test]
fn debug_output_redacts_keys() {
    let issuer =
        TestIssuer::new().with_key(TestKey::hmac(b"top-secret-hmac-key-0123456789abcdef".to_vec()));
    let printed = format!("{:?} {:?}", issuer.verifier(), issuer.key_set());
    assert!(!printed.contains("top-secret"), "{printed}");
    assert!(printed.contains("[redacted]"), "{printed}");
}
