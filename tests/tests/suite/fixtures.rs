//! Regenerates the checked-in fixtures (see `tests/README.md`). Ignored by default:
//!
//! ```text
//! cargo test -p scopegate-tests -- --ignored fixtures::
//! ```

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate_core::Algorithm;
use scopegate_testkit::{TestIssuer, TestKey};
use serde_json::json;

/// Tokens in every algorithm, valid until 2100, with the JWKS that verifies them: the
/// known-answer tests of the `rust-crypto` backend.
#[test]
#[ignore = "writes tests/rust-crypto/fixtures.json"]
fn regenerate_backend_fixtures() {
    let keys = [
        TestKey::rsa().with_kid("rs256"),
        TestKey::rsa().with_kid("ps256").with_algorithm(Algorithm::PS256),
        // The largest key the parser takes: every backend must take it too (the `rsa` crate's
        // own cap is 4096 bits).
        TestKey::rsa_8192().with_kid("rs256-8192"),
        TestKey::ec_p256().with_kid("es256"),
        TestKey::ec_p384().with_kid("es384"),
        TestKey::ed25519().with_kid("eddsa"),
    ];
    let mut issuer = TestIssuer::named("https://fixtures.scopegate.test").with_audience("fixtures");
    for key in &keys {
        issuer = issuer.add_key(key.clone());
    }
    let tokens: Vec<_> = keys
        .iter()
        .map(|key| {
            let token = issuer
                .token_with_key(key)
                .subject(key.kid())
                .claim("iat", 1_767_225_600u64)
                .claim("exp", 4_102_444_800u64)
                .claim("jti", key.kid())
                .sign();
            json!({ "alg": format!("{:?}", key.algorithm()), "token": token })
        })
        .collect();
    let document = json!({
        "issuer": issuer.issuer(),
        "audience": "fixtures",
        "hmac_secret": "fixtures-hmac-secret-of-32-bytes",
        "hs256_token": TestIssuer::named("https://fixtures.scopegate.test")
            .with_audience("fixtures")
            .with_key(TestKey::hmac(b"fixtures-hmac-secret-of-32-bytes".to_vec()).with_kid("hs256"))
            .token()
            .subject("hs256")
            .claim("iat", 1_767_225_600u64)
            .claim("exp", 4_102_444_800u64)
            .claim("jti", "hs256")
            .sign(),
        // The first key of the set is the issuer's default RSA key; the fixtures use the others.
        "jwks": issuer.jwks(),
        "tokens": tokens,
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rust-crypto/fixtures.json");
    std::fs::write(path, serde_json::to_string_pretty(&document).unwrap() + "\n").unwrap();
}
