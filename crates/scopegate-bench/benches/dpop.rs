//! A DPoP request against a Bearer request through the same router, with token verification
//! cached and uncached: what the proof costs. Each DPoP iteration gets a fresh proof (made outside the
//! timing), so the replay store does its real work. `proof_signature_only` is the ES256 check
//! of one proof's signature alone, the floor under the DPoP row: the rest is the non-crypto
//! part (parsing, `htu` normalisation, thumbprint, `ath` hash, replay store).

// A benchmark that cannot set up panics: that is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use scopegate::Algorithm;
use scopegate::dpop::{Dpop, DpopMode, InMemoryReplayStore};
use scopegate_bench::{no_auth, proof_signature_check, request};
use scopegate_testkit::{TestIssuer, TestKey};
use tower::ServiceExt;

const URL: &str = "https://api.example.com/orders";

fn dpop_request(token: &str, proof: String) -> Request<Body> {
    Request::builder()
        .uri("/orders")
        .header(header::AUTHORIZATION, format!("DPoP {token}"))
        .header("dpop", proof)
        .body(Body::empty())
        .expect("request")
}

fn dpop(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let issuer = TestIssuer::new();
    let client = TestKey::ec_p256();
    // Large enough that no iteration finds it full.
    let store = InMemoryReplayStore::new(4_000_000);
    let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com")
        .expect("URL")
        .algorithms([Algorithm::ES256])
        .replay_store(store);
    let verifier = issuer.verifier_builder().dpop(dpop.clone()).build_static().expect("verifier");
    let router = scopegate_bench::scopegate(verifier);
    let uncached = issuer
        .verifier_builder()
        .dpop(dpop)
        .disable_token_cache()
        .build_static()
        .expect("verifier");
    let uncached = scopegate_bench::scopegate(uncached);
    let lifetime = Duration::from_secs(3600);
    let bearer = issuer.token().scopes(["orders.read"]).expires_in(lifetime).sign();
    let bound =
        issuer.token().scopes(["orders.read"]).expires_in(lifetime).bound_to(&client).sign();
    let proof = || client.dpop_proof("GET", URL).access_token(&bound).sign();

    let bearer_header = format!("Bearer {bearer}");
    for warm in [
        router.clone().oneshot(request(&bearer_header)),
        router.clone().oneshot(dpop_request(&bound, proof())),
    ] {
        assert_eq!(runtime.block_on(warm).expect("response").status(), 200);
    }

    let mut group = c.benchmark_group("dpop");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(60);
    let baseline = no_auth();
    group.bench_function("router_no_auth", |b| {
        b.to_async(&runtime).iter(|| {
            let router = baseline.clone();
            async move {
                black_box(router.oneshot(request("Bearer x")).await.expect("response").status())
            }
        });
    });
    for (cache, router) in [("cached", &router), ("uncached", &uncached)] {
        group.bench_function(format!("router_bearer_{cache}"), |b| {
            b.to_async(&runtime).iter(|| {
                let router = router.clone();
                let header = bearer_header.clone();
                async move {
                    black_box(router.oneshot(request(&header)).await.expect("response").status())
                }
            });
        });
        group.bench_function(format!("router_dpop_{cache}"), |b| {
            b.to_async(&runtime).iter_batched(
                proof,
                |proof| {
                    let router = router.clone();
                    let request = dpop_request(&bound, proof);
                    async move {
                        let status = router.oneshot(request).await.expect("response").status();
                        debug_assert_eq!(status, 200);
                        black_box(status)
                    }
                },
                BatchSize::SmallInput,
            );
        });
    }
    let proof_signature = proof_signature_check(&client, &proof());
    group.bench_function("proof_signature_only", |b| {
        b.iter(|| black_box(proof_signature()));
    });
    group.finish();
}

criterion_group!(benches, dpop);
criterion_main!(benches);
