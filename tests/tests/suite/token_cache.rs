//! The verified-token cache: hits skip verification, entries never outlive the token or the
//! key that verified it, the cache is bounded and belongs to one verifier.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use scopegate_core::{ErrorKind, TokenCacheKey, Verifier};
use scopegate_testkit::{IssuerServer, ManualClock, TestIssuer, TestKey};
use scopegate_tests::verify;

#[test]
fn a_token_seen_before_is_served_from_the_cache() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let token = issuer.token().subject("7").sign();
    for _ in 0..5 {
        assert_eq!(verify(&verifier, &token).unwrap().subject(), Some("7"));
    }
    let stats = verifier.token_cache_stats().unwrap();
    assert_eq!((stats.entries, stats.inserts), (1, 1));
    // Refused tokens are not cached.
    let _ = verify(&verifier, &issuer.token().expired().sign()).unwrap_err();
    assert_eq!(verifier.token_cache_stats().unwrap().entries, 1);
}

#[test]
fn the_cache_can_be_turned_off() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier_builder().disable_token_cache().build_static().unwrap();
    assert!(verify(&verifier, &issuer.token().sign()).is_ok());
    assert_eq!(verifier.token_cache_stats(), None);
}

/// Before: `exp = now + 1` with zero leeway and a real sleep, which failed when the second
/// ticked between minting and the first check. Now the verifier reads a clock the test moves.
#[test]
fn an_entry_never_outlives_the_token() {
    let issuer = TestIssuer::new();
    // One reading of the time for the clock and the token: with zero leeway, a token minted a
    // second after the clock was read would be issued in its future.
    let now = scopegate::NumericDate::now().as_secs();
    let clock = ManualClock::at_secs(now);
    let verifier =
        issuer.verifier_builder().leeway(Duration::ZERO).clock(clock.clone()).build_static().unwrap();
    let token = issuer.token().claim("iat", now).claim("exp", now + 60).sign();
    assert!(verify(&verifier, &token).is_ok());
    clock.advance(Duration::from_secs(59));
    assert!(verify(&verifier, &token).is_ok(), "served from the cache");
    clock.advance(Duration::from_secs(2));
    assert_eq!(verify(&verifier, &token).unwrap_err().kind(), ErrorKind::Expired);
    assert_eq!(verifier.token_cache_stats().unwrap().inserts, 1);
}

#[test]
fn an_entry_never_outlives_the_maximum_age() {
    let issuer = TestIssuer::new();
    let now = scopegate::NumericDate::now().as_secs();
    let clock = ManualClock::at_secs(now);
    let verifier = issuer
        .verifier_builder()
        .leeway(Duration::ZERO)
        .max_token_age(Duration::from_secs(60))
        .clock(clock.clone())
        .build_static()
        .unwrap();
    // Issued 30 s ago: fine now, too old 31 s later (still long before `exp`).
    let token = issuer.token().claim("iat", now - 30).sign();
    assert!(verify(&verifier, &token).is_ok());
    clock.advance(Duration::from_secs(29));
    assert!(verify(&verifier, &token).is_ok());
    clock.advance(Duration::from_secs(2));
    assert_eq!(verify(&verifier, &token).unwrap_err().kind(), ErrorKind::TooOld);
}

/// An issuer server, and a verifier whose refetch cool-down (10 s) runs on a clock the test
/// moves.
async fn remote() -> (IssuerServer, Verifier, ManualClock) {
    let server = IssuerServer::start().await;
    let clock = ManualClock::now();
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .refetch_cooldown(Duration::from_secs(10))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    (server, verifier, clock)
}

#[tokio::test]
async fn a_key_leaving_the_jwks_evicts_what_it_verified() {
    let (server, verifier, clock) = remote().await;
    let token = server.issuer().token().sign();
    assert!(verifier.verify(&token).await.is_ok());
    // Rotate the old key out; an unknown kid makes the verifier refetch.
    let next = TestKey::ec_p256();
    server.publish(std::slice::from_ref(&next));
    clock.advance(Duration::from_secs(11));
    assert!(verifier.verify(&server.issuer().token_with_key(&next).sign()).await.is_ok());
    assert_eq!(verifier.verify(&token).await.unwrap_err().kind(), ErrorKind::UnknownKey);
}

#[tokio::test]
async fn keys_that_stay_keep_their_entries() {
    let (server, verifier, clock) = remote().await;
    let token = server.issuer().token().sign();
    assert!(verifier.verify(&token).await.is_ok());
    let next = TestKey::ed25519();
    server.publish(&[server.issuer().key().clone(), next.clone()]);
    clock.advance(Duration::from_secs(11));
    assert!(verifier.verify(&server.issuer().token_with_key(&next).sign()).await.is_ok());
    assert!(verifier.verify(&token).await.is_ok());
    // Two tokens, each verified once.
    assert_eq!(verifier.token_cache_stats().unwrap().inserts, 2);
}

#[test]
fn the_cache_is_bounded() {
    let issuer = TestIssuer::new();
    let by_count =
        issuer.verifier_builder().token_cache_limits(8, 64 * 1024 * 1024).build_static().unwrap();
    let by_bytes =
        issuer.verifier_builder().token_cache_limits(1000, 20 * 1024).build_static().unwrap();
    for index in 0..200 {
        let token = issuer.token().subject(&index.to_string()).sign();
        assert!(verify(&by_count, &token).is_ok());
        assert!(verify(&by_bytes, &token).is_ok());
    }
    assert!(
        by_count.token_cache_stats().unwrap().entries <= 8,
        "{:?}",
        by_count.token_cache_stats()
    );
    let bytes = by_bytes.token_cache_stats().unwrap();
    assert!(bytes.estimated_bytes <= 20 * 1024 && bytes.entries < 20, "{bytes:?}");
}

#[test]
fn keyed_by_sha256_the_cache_serves_the_same_token_only() {
    let issuer = TestIssuer::new();
    // Limits whose per-entry floor (bytes / entries = 104) is below either entry's estimate.
    let limits = |builder: scopegate_core::VerifierBuilder| {
        builder.token_cache_limits(10_000, 1024 * 1024).build_static().unwrap()
    };
    let by_digest = limits(issuer.verifier_builder().token_cache_key(TokenCacheKey::Sha256));
    let by_token = limits(issuer.verifier_builder());
    let token = issuer.token().subject("7").sign();
    for _ in 0..3 {
        assert_eq!(verify(&by_digest, &token).unwrap().subject(), Some("7"));
        assert_eq!(verify(&by_token, &token).unwrap().subject(), Some("7"));
    }
    assert_eq!(by_digest.cached(&token).unwrap().subject(), Some("7"));
    // One character of the signature changed: no hit, and the signature check refuses it.
    let middle = token.len() - 10;
    let changed = if token.as_bytes()[middle] == b'A' { "B" } else { "A" };
    let mut tampered = token.clone();
    tampered.replace_range(middle..=middle, changed);
    assert!(by_digest.cached(&tampered).is_none());
    assert_eq!(verify(&by_digest, &tampered).unwrap_err().kind(), ErrorKind::InvalidSignature);
    let digest = by_digest.token_cache_stats().unwrap();
    assert_eq!((digest.entries, digest.inserts), (1, 1));
    // The entry holds 32 bytes of digest instead of the token.
    let whole = by_token.token_cache_stats().unwrap();
    assert_eq!(whole.estimated_bytes - digest.estimated_bytes, token.len() as u64 - 32);
}

#[test]
fn keyed_by_sha256_the_cache_is_bounded_alike() {
    let issuer = TestIssuer::new();
    let verifier = issuer
        .verifier_builder()
        .token_cache_key(TokenCacheKey::Sha256)
        .token_cache_limits(8, 64 * 1024 * 1024)
        .build_static()
        .unwrap();
    for index in 0..50 {
        assert!(verify(&verifier, &issuer.token().subject(&index.to_string()).sign()).is_ok());
    }
    let stats = verifier.token_cache_stats().unwrap();
    assert!(stats.entries <= 8 && stats.inserts == 50 && stats.evictions > 0, "{stats:?}");
}

#[test]
fn each_verifier_has_its_own_cache() {
    let issuer = TestIssuer::new();
    let token = issuer.token().audience("orders-api").sign();
    let orders = Verifier::builder()
        .issuer(issuer.issuer())
        .audience("orders-api")
        .keys(issuer.key_set())
        .build_static()
        .unwrap();
    let billing = Verifier::builder()
        .issuer(issuer.issuer())
        .audience("billing-api")
        .keys(issuer.key_set())
        .build_static()
        .unwrap();
    assert!(verify(&orders, &token).is_ok());
    assert_eq!(verify(&billing, &token).unwrap_err().kind(), ErrorKind::InvalidAudience);
}
