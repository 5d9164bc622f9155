//! Verifies checked-in tokens of every algorithm with whichever backend is compiled in. Run
//! alone (`cargo test -p scopegate-rust-crypto-tests`), the backend is `rust-crypto`.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate_core::{ErrorKind, KeySet, NumericDate, VerificationKey, Verifier};
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("../fixtures.json")).unwrap()
}

fn verifier(fixtures: &Value) -> Verifier {
    let jwks = fixtures["jwks"].to_string();
    let secret = fixtures["hmac_secret"].as_str().unwrap().as_bytes().to_vec();
    Verifier::builder()
        .issuer(fixtures["issuer"].as_str().unwrap())
        .audience(fixtures["audience"].as_str().unwrap())
        .keys(KeySet::from_jwks_json(&jwks).unwrap())
        .key(VerificationKey::hmac_secret(secret).unwrap().with_key_id("hs256"))
        .build_static()
        .unwrap()
}

const NOW: NumericDate = NumericDate::from_secs(1_800_000_000);

#[test]
fn every_algorithm_verifies() {
    let fixtures = fixtures();
    let verifier = verifier(&fixtures);
    let mut tokens: Vec<(String, String)> = fixtures["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["alg"].as_str().unwrap().to_owned(), t["token"].as_str().unwrap().to_owned()))
        .collect();
    tokens.push(("HS256".to_owned(), fixtures["hs256_token"].as_str().unwrap().to_owned()));
    assert_eq!(tokens.len(), 7);
    for (alg, token) in tokens {
        let claims = verifier.verify_at(&token, NOW).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(claims.jwt_id(), claims.subject(), "{alg}");
        // One flipped signature bit must fail.
        let mut bytes = token.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let error = verifier.verify_at(&tampered, NOW).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidSignature, "{alg}");
    }
}

/// Which backend this test binary links, read from the binary itself: aws-lc leaves its name
/// ("AWS-LC", in its version text) in every program that links it, RustCrypto does not. The
/// name is spelled here shifted by one letter, so that this test's own text does not put it
/// in the binary.
fn linked_backend() -> &'static str {
    let needle: Vec<u8> = "BXT.MD".bytes().map(|byte| byte - 1).collect();
    let binary = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    if binary.windows(needle.len()).any(|window| window == needle) {
        "aws-lc-rs"
    } else {
        "rust-crypto"
    }
}

/// The backend scopegate reports is the one linked in: under `cargo test --workspace` feature
/// unification turns aws-lc-rs on, and alone this package has rust-crypto only (CI runs it
/// alone with `SCOPEGATE_EXPECT_BACKEND=rust-crypto`, which must then agree too).
#[test]
fn the_expected_backend_is_compiled_in() {
    assert_eq!(scopegate_core::BACKEND, linked_backend());
    if let Ok(expected) = std::env::var("SCOPEGATE_EXPECT_BACKEND") {
        assert_eq!(scopegate_core::BACKEND, expected);
    }
}
