//! Remote keys against a real discovery + JWKS server on 127.0.0.1: discovery, RFC 8414
//! fallback, rotation, single-flight refetches, caching, several issuers.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use scopegate_core::{ErrorKind, TrustedIssuer, Verifier, VerifierBuilder};
use scopegate_testkit::{IssuerServer, TestKey};

fn builder(server: &IssuerServer) -> VerifierBuilder {
    Verifier::builder().issuer(server.issuer().issuer()).audience(server.issuer().audience())
}

#[tokio::test]
async fn discovery_finds_the_jwks() {
    let server = IssuerServer::start().await;
    let verifier = builder(&server).build().await.unwrap();
    let claims = verifier.verify(&server.issuer().token().subject("42").sign()).await.unwrap();
    assert_eq!(claims.subject(), Some("42"));
    assert_eq!((server.discovery_fetches(), server.jwks_fetches()), (1, 1));
    let stats = &verifier.key_source_stats()[0];
    assert_eq!(stats.jwks_uri.as_deref(), Some(server.jwks_uri().as_str()));
    assert_eq!(stats.keys, 1);
    assert_eq!(stats.key_ids, [server.issuer().key().kid()]);
    assert_eq!((stats.fetches, stats.fetch_failures, stats.cache_hits), (1, 0, 1));
}

#[tokio::test]
async fn discovery_refuses_another_issuer() {
    let server = IssuerServer::start().await;
    server.set_discovery_issuer(&format!("{}/", server.issuer().issuer()));
    let error = builder(&server).build().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    assert!(error.message().contains("names another issuer"), "{error}");
    assert_eq!(server.jwks_fetches(), 0);
}

#[tokio::test]
async fn rfc_8414_fallback_inserts_the_well_known_segment() {
    let server = IssuerServer::start_at("/realms/shop").await;
    server.disable_openid_configuration();
    let verifier = builder(&server).build().await.unwrap();
    assert!(verifier.verify(&server.issuer().token().sign()).await.is_ok());
    // The OpenID location answered 404, then `/.well-known/oauth-authorization-server/realms/shop`.
    assert_eq!(server.discovery_fetches(), 2);
}

#[tokio::test]
async fn jwks_uri_skips_discovery() {
    let server = IssuerServer::start().await;
    let verifier = builder(&server).jwks_uri(server.jwks_uri()).build().await.unwrap();
    assert!(verifier.verify(&server.issuer().token().sign()).await.is_ok());
    assert_eq!((server.discovery_fetches(), server.jwks_fetches()), (0, 1));
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_on_first_use() {
    let server = IssuerServer::start().await;
    let verifier = builder(&server).build().await.unwrap();
    let next = TestKey::ec_p256();
    server.publish(&[server.issuer().key().clone(), next.clone()]);
    let token = server.issuer().token_with_key(&next).subject("rotated").sign();
    assert_eq!(verifier.verify(&token).await.unwrap().subject(), Some("rotated"));
    assert_eq!(server.jwks_fetches(), 2);
    let stats = &verifier.key_source_stats()[0];
    assert_eq!((stats.unknown_kids, stats.keys), (1, 2));
    // Within the cool-down, another unknown kid is refused without a fetch.
    let unknown = server.issuer().token().key_id("yet-another").sign();
    assert_eq!(verifier.verify(&unknown).await.unwrap_err().kind(), ErrorKind::UnknownKey);
    assert_eq!(server.jwks_fetches(), 2);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_once_per_cooldown() {
    let server = IssuerServer::start().await;
    let verifier = builder(&server).build().await.unwrap();
    for index in 0..1000 {
        let token = server.issuer().token().key_id(&format!("random-{index}")).sign();
        assert_eq!(verifier.verify(&token).await.unwrap_err().kind(), ErrorKind::UnknownKey);
    }
    // One fetch at build time, one refetch for the first unknown kid, none during the cool-down.
    assert_eq!(server.jwks_fetches(), 2);
    // The first token is looked up twice: before and after its refetch.
    assert_eq!(verifier.key_source_stats()[0].unknown_kids, 1001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_unknown_kids_share_one_fetch() {
    let server = IssuerServer::start().await;
    let verifier = builder(&server).build().await.unwrap();
    let next = TestKey::ed25519();
    server.publish(std::slice::from_ref(&next));
    let token = Arc::new(server.issuer().token_with_key(&next).sign());
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (verifier, token, barrier) =
            (verifier.clone(), Arc::clone(&token), Arc::clone(&barrier));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            verifier.verify(&token).await.map(|_| ())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.jwks_fetches(), 2);
}

#[tokio::test]
async fn cache_control_sets_the_lifetime() {
    let server = IssuerServer::start().await;
    for (header, expected) in [
        (Some("public, max-age=120"), 120),
        (Some("max-age=5"), 60),
        (Some("max-age=999999"), 86_400),
        (None, 600),
    ] {
        server.set_cache_control(header);
        let verifier = builder(&server).jwks_uri(server.jwks_uri()).build().await.unwrap();
        let ttl = verifier.key_source_stats()[0].ttl;
        assert_eq!(ttl, Some(Duration::from_secs(expected)), "{header:?}");
    }
}

#[tokio::test]
async fn keys_refresh_in_the_background_when_their_lifetime_ends() {
    let server = IssuerServer::start().await;
    server.set_cache_control(Some("max-age=1"));
    let verifier = builder(&server)
        .jwks_uri(server.jwks_uri())
        .keys_ttl_bounds(Duration::from_secs(1), Duration::from_secs(60))
        .build()
        .await
        .unwrap();
    let next = TestKey::ec_p384();
    server.publish(std::slice::from_ref(&next));
    // The refresher fetches when the 1 s lifetime ends: wait for that fetch, not for a time.
    server.wait_for_jwks_fetches(2).await;
    // The new key arrived without any request asking for it: a request that comes while the
    // refresh is still reading the answer waits for it, and no third fetch happens.
    let token = server.issuer().token_with_key(&next).sign();
    assert!(verifier.verify(&token).await.is_ok());
    assert_eq!(server.jwks_fetches(), 2);
}

#[tokio::test]
async fn two_issuers_do_not_accept_each_others_tokens() {
    let a = IssuerServer::start_at("/realms/a").await;
    let b = IssuerServer::start_at("/realms/b").await;
    let verifier = Verifier::builder()
        .audience(a.issuer().audience())
        .trust(TrustedIssuer::new(a.issuer().issuer()))
        .trust(TrustedIssuer::new(b.issuer().issuer()))
        .build()
        .await
        .unwrap();
    assert!(verifier.verify(&a.issuer().token().sign()).await.is_ok());
    assert!(verifier.verify(&b.issuer().token().sign()).await.is_ok());
    // A token naming issuer A, signed with B's key and kid.
    let cross = a.issuer().token_with_key(b.issuer().key()).sign();
    assert_eq!(verifier.verify(&cross).await.unwrap_err().kind(), ErrorKind::UnknownKey);
    // ... or with B's key under A's kid.
    let forged = a.issuer().token().sign_with(b.issuer().key());
    assert_eq!(verifier.verify(&forged).await.unwrap_err().kind(), ErrorKind::InvalidSignature);
    let mut expected = [a.issuer().issuer(), b.issuer().issuer()];
    expected.sort_unstable();
    let stats = verifier.key_source_stats();
    assert_eq!(stats.iter().map(|s| s.issuer.as_str()).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn plain_http_is_refused_for_other_hosts() {
    let error = Verifier::builder()
        .issuer("http://id.example.com")
        .audience("api")
        .build()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    assert!(error.message().contains("plain http"), "{error}");
    let error = Verifier::builder()
        .issuer("https://id.example.com")
        .jwks_uri("http://keys.example.com/jwks")
        .audience("api")
        .build()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    assert!(error.message().contains("jwks_uri") && error.message().contains("plain http"), "{error}");
}

/// Serves one JWKS from memory, for any URL, and counts the requests.
struct InMemory {
    jwks: String,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl scopegate_core::remote::HttpClient for InMemory {
    fn get(&self, uri: &http::Uri, max_bytes: usize) -> scopegate_core::remote::HttpFuture<'_> {
        self.requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let uri = uri.to_string();
        Box::pin(async move {
            assert_eq!(uri, "https://keys.example.com/jwks");
            assert!(self.jwks.len() <= max_bytes);
            Ok(scopegate_core::remote::HttpResponse {
                status: http::StatusCode::OK,
                headers: http::HeaderMap::new(),
                body: self.jwks.clone().into(),
            })
        })
    }
}

#[tokio::test]
async fn the_http_client_is_pluggable() {
    let issuer = scopegate_testkit::TestIssuer::named("https://id.example.com");
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let client = InMemory { jwks: issuer.jwks_json(), requests: Arc::clone(&requests) };
    let verifier = Verifier::builder()
        .issuer(issuer.issuer())
        .jwks_uri("https://keys.example.com/jwks")
        .audience(issuer.audience())
        .http_client(client)
        .build()
        .await
        .unwrap();
    assert_eq!(
        verifier.verify(&issuer.token().subject("m").sign()).await.unwrap().subject(),
        Some("m")
    );
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// One key the crypto backend refuses (an EC point that is not on its curve, which parses as
/// JSON and base64url and has the right length) used to make the whole key set unusable: the
/// build failed, and every token of the issuer got `503`. It is skipped; the others serve.
#[tokio::test]
async fn regression_a_key_the_backend_refuses_leaves_the_others_usable() {
    let server = IssuerServer::start().await;
    let mut keys = vec![server.issuer().key().public_jwk()];
    let off_curve = URL_SAFE_NO_PAD.encode([7u8; 32]);
    keys.push(serde_json::json!({
        "kty": "EC", "crv": "P-256", "kid": "off-curve", "alg": "ES256", "x": off_curve, "y": off_curve,
    }));
    server.publish_raw(serde_json::json!({ "keys": keys }));
    let verifier = builder(&server).build().await.unwrap();
    let token = server.issuer().token().subject("still-served").sign();
    assert_eq!(verifier.verify(&token).await.unwrap().subject(), Some("still-served"));
    assert_eq!(verifier.key_source_stats()[0].keys, 1);
}
