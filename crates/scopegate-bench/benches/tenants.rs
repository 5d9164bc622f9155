//! A cached token of one of 1,000 live tenants against a cached token of a verifier with one
//! issuer: what resolving the tenant per request costs on the hot path (the live-set lookup
//! and the comparison with the tenant the request names). In the verifier alone, and through
//! the router with the tenant read from the `Host` header.

// A benchmark that cannot set up panics: that is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::header;
use scopegate::{
    BearerAuthLayer, Error, RequestFacts, Tenant, TenantFrom, TenantResolver, Tenants,
    TrustedIssuer, Verifier,
};
use scopegate_bench::request;
use scopegate_testkit::{TestIssuer, TestKey};
use tower::ServiceExt;

const TENANTS: u32 = 1000;
const AUDIENCE: &str = "orders-api";

/// Tenants with static keys: nothing to fetch, so the bench measures only the lookups.
struct Table(HashMap<String, (String, TestIssuer)>);

impl TenantResolver for Table {
    async fn resolve(&self, issuer: &str) -> Result<Option<Tenant>, Error> {
        Ok(self
            .0
            .get(issuer)
            .map(|(id, tenant)| Tenant::new(id, TrustedIssuer::new(issuer).keys(tenant.key_set()))))
    }
}

fn tenants(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let lifetime = Duration::from_secs(3600);
    let single = TestIssuer::new().with_key(TestKey::ec_p256()).with_audience(AUDIENCE);
    let single_verifier = single.verifier();
    let single_token = single.token().expires_in(lifetime).sign();

    let table: HashMap<_, _> = (0..TENANTS)
        .map(|n| {
            let id = format!("t{n}");
            let issuer = TestIssuer::named(&format!("https://id.example.com/realms/{id}"))
                .with_key(TestKey::ec_p256());
            (issuer.issuer().to_owned(), (id, issuer))
        })
        .collect();
    let tokens: HashMap<String, String> = table
        .values()
        .map(|(id, issuer)| {
            (id.clone(), issuer.token().audience(AUDIENCE).expires_in(lifetime).sign())
        })
        .collect();
    let tenants = Tenants::resolver(Table(table)).new_tenants(2 * TENANTS, 1000);
    let verifier = runtime.block_on(async {
        let verifier = Verifier::builder()
            .audience(AUDIENCE)
            .tenants(tenants)
            .build()
            .await
            .expect("verifier");
        for (id, token) in &tokens {
            let facts = RequestFacts::new().tenant(Some(id));
            verifier.verify_for(token, facts).await.expect("tenant token");
        }
        verifier
    });
    assert_eq!(verifier.tenant_stats().expect("tenants").live, TENANTS as usize);
    let middle = "t500";
    let tenant_token = tokens.get(middle).expect("tenant t500");
    let verified = single_verifier.verify_now(&single_token).into_ready().expect("static keys");
    verified.expect("single-issuer token");
    assert!(single_verifier.cached(&single_token).is_some());

    let mut group = c.benchmark_group("tenants");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(60);
    group.bench_function("verifier_single_issuer_cached", |b| {
        b.iter(|| {
            black_box(single_verifier.cached_for(black_box(&single_token), RequestFacts::new()))
        });
    });
    group.bench_function("verifier_one_of_1000_tenants_cached", |b| {
        b.iter(|| {
            let facts = RequestFacts::new().tenant(Some(black_box(middle)));
            black_box(verifier.cached_for(black_box(tenant_token), facts))
        });
    });

    let route = || Router::new().route("/orders", get(|| async { "ok" }));
    let single_router = route().layer(BearerAuthLayer::new(single_verifier.clone()));
    let tenant_router = route().layer(
        BearerAuthLayer::new(verifier.clone())
            .tenant_from(TenantFrom::subdomain_of("api.example.com")),
    );
    let single_authorization = format!("Bearer {single_token}");
    let tenant_authorization = format!("Bearer {tenant_token}");
    // Both requests carry the same `Host`: only the tenant's work differs.
    let with_host = |authorization: &str| {
        let mut request = request(authorization);
        let host = header::HeaderValue::from_static("t500.api.example.com");
        request.headers_mut().insert(header::HOST, host);
        request
    };
    let cases: [(&str, &Router, &str); 2] = [
        ("router_single_issuer_cached", &single_router, &single_authorization),
        ("router_one_of_1000_tenants_by_host_cached", &tenant_router, &tenant_authorization),
    ];
    let host = TenantFrom::subdomain_of("api.example.com");
    let probe = with_host(&tenant_authorization);
    group.bench_function("tenant_from_host", |b| {
        b.iter(|| black_box(host.tenant(black_box(probe.uri()), black_box(probe.headers()))));
    });
    for (name, router, authorization) in cases {
        let make = || with_host(authorization);
        let status = runtime.block_on(router.clone().oneshot(make())).expect("response").status();
        assert_eq!(status, 200, "{name}");
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| {
                let (router, request) = (router.clone(), make());
                async move { black_box(router.oneshot(request).await.expect("response").status()) }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, tenants);
criterion_main!(benches);
