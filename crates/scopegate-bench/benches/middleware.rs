//! One run, same token, same router, per algorithm: the baseline without authentication, the
//! signature floor, a plain `jsonwebtoken::decode` middleware, scopegate uncached, cached, and
//! cached with extractors, and aliri_tower (RS256 and HS256: its EC support needs OpenSSL).
//! `cargo run -p scopegate-bench --bin report` prints the table and the ratios afterwards.

// A benchmark that cannot set up panics: that is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use scopegate::{ScopeList, ScopePolicy, ScopeRequirement, ScopeSet, scope};
use scopegate_bench::{aliri, fixtures, jsonwebtoken_middleware, no_auth, request};
use tower::ServiceExt;

fn bench_router(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    router: &Router,
    authorization: &str,
    runtime: &tokio::runtime::Runtime,
) {
    // Every contender must accept the token, or the comparison is meaningless.
    let status = runtime
        .block_on(router.clone().oneshot(request(authorization)))
        .expect("response")
        .status();
    assert_eq!(status, 200, "{id} refused the token");
    group.bench_function(id, |b| {
        b.to_async(runtime).iter(|| {
            let router = router.clone();
            async move {
                black_box(router.oneshot(request(authorization)).await.expect("response").status())
            }
        });
    });
}

fn middleware(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for fixture in fixtures() {
        let mut group = c.benchmark_group(fixture.name);
        group
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(60);
        let authorization = fixture.authorization();
        bench_router(&mut group, "1_no_auth", &no_auth(), &authorization, &runtime);
        let (message, signature) = fixture.signed_parts();
        group.bench_function("2_raw_verify", |b| {
            b.iter(|| black_box(fixture.raw.verify(&message, &signature)));
        });
        bench_router(
            &mut group,
            "3_jsonwebtoken",
            &jsonwebtoken_middleware(&fixture),
            &authorization,
            &runtime,
        );
        let uncached = scopegate_bench::scopegate(fixture.verifier(false));
        bench_router(&mut group, "4_scopegate_uncached", &uncached, &authorization, &runtime);
        let cached = scopegate_bench::scopegate(fixture.verifier(true));
        bench_router(&mut group, "5_scopegate_cached", &cached, &authorization, &runtime);
        let extractors = scopegate_bench::scopegate_with_extractors(fixture.verifier(true));
        bench_router(
            &mut group,
            "6_scopegate_cached_extractors",
            &extractors,
            &authorization,
            &runtime,
        );
        if let Some(router) = aliri(&fixture) {
            bench_router(&mut group, "7_aliri_tower", &router, &authorization, &runtime);
        }
        group.finish();
    }
}

/// The cost of `scope!`: the type-level scopes against a hand-written list and a runtime
/// requirement. All three are the same lookup.
fn scope_check(c: &mut Criterion) {
    let granted = ScopeSet::parse("openid profile orders.read orders.write").expect("scopes");
    let policy = ScopePolicy::exact();
    let requirement = ScopeRequirement::all_of(["orders.read"]).expect("requirement");
    let mut group = c.benchmark_group("scope_check");
    group.measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    group.bench_function("macro_type", |b| {
        b.iter(|| {
            black_box(
                policy
                    .grants_all(black_box(&granted), <scope!("orders.read") as ScopeList>::SCOPES),
            )
        });
    });
    group.bench_function("literal_slice", |b| {
        b.iter(|| black_box(policy.grants_all(black_box(&granted), &["orders.read"])));
    });
    group.bench_function("runtime_requirement", |b| {
        b.iter(|| black_box(requirement.is_satisfied_by(black_box(&granted), &policy)));
    });
    group.finish();
}

criterion_group!(benches, middleware, scope_check);
criterion_main!(benches);
