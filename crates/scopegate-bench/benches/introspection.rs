//! An opaque token whose introspection answer is cached against a JWT whose verification is
//! cached, through the same router: what a request costs once the authorization server has
//! answered. The first call of each is made before measuring.

// A benchmark that cannot set up panics: that is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::Verifier;
use scopegate::remote::Introspection;
use scopegate_bench::{no_auth, request};
use scopegate_testkit::{INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer};
use tower::ServiceExt;

fn introspection(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let server = runtime.block_on(IssuerServer::start());
    let verifier = runtime
        .block_on(
            Verifier::builder()
                .issuer(server.issuer().issuer())
                .audience(server.issuer().audience())
                .introspection(
                    Introspection::new(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET)
                        .cache_for(Duration::from_secs(3600)),
                )
                .build(),
        )
        .expect("verifier");
    let opaque = server.opaque_token(
        server.issuer().token().scopes(["orders.read"]).expires_in(Duration::from_secs(3600)),
    );
    let jwt = server
        .issuer()
        .token()
        .scopes(["orders.read"])
        .expires_in(Duration::from_secs(3600))
        .sign();
    let router = scopegate_bench::scopegate(verifier.clone());
    let mut group = c.benchmark_group("introspection");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(60);
    for (id, token) in [("jwt_cache_hit", &jwt), ("introspection_cache_hit", &opaque)] {
        let authorization = format!("Bearer {token}");
        let status = runtime
            .block_on(router.clone().oneshot(request(&authorization)))
            .expect("response")
            .status();
        assert_eq!(status, 200, "{id} refused");
        group.bench_function(format!("router_{id}"), |b| {
            b.to_async(&runtime).iter(|| {
                let router = router.clone();
                let authorization = authorization.clone();
                async move {
                    black_box(
                        router.oneshot(request(&authorization)).await.expect("response").status(),
                    )
                }
            });
        });
        group.bench_function(format!("verify_now_{id}"), |b| {
            b.iter(|| black_box(verifier.verify_now(token).into_ready().expect("cached").is_ok()));
        });
    }
    let baseline = no_auth();
    group.bench_function("router_no_auth", |b| {
        b.to_async(&runtime).iter(|| {
            let router = baseline.clone();
            async move {
                black_box(router.oneshot(request("Bearer x")).await.expect("response").status())
            }
        });
    });
    group.finish();
    assert_eq!(server.introspections(), 1, "every measured request came from the cache");
}

criterion_group!(benches, introspection);
criterion_main!(benches);
