//! A certificate-bound token (RFC 8705) against a bearer token through the same router, the
//! token cached: what the binding check costs. The request carries the connection's
//! `ClientCertificate` as scopegate's TLS serving puts it there (hashed once per connection,
//! outside the timing); the TLS itself is not measured.

// A benchmark that cannot set up panics: that is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::ClientCertificate;
use scopegate_bench::request;
use scopegate_testkit::{TestCertificateAuthority, TestIssuer};
use tower::ServiceExt;

fn mtls(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let issuer = TestIssuer::new();
    let alice = TestCertificateAuthority::new("clients").client_certificate("alice");
    let certificate = ClientCertificate::from_der(alice.der().to_vec());
    let router = scopegate_bench::scopegate(issuer.verifier());
    let lifetime = Duration::from_secs(3600);
    let bearer = format!("Bearer {}", issuer.token().expires_in(lifetime).sign());
    let bound = issuer.token().expires_in(lifetime).bound_to_certificate(&alice).sign();
    let bound = format!("Bearer {bound}");
    let with_certificate = |authorization: &str| {
        let mut request = request(authorization);
        request.extensions_mut().insert(certificate.clone());
        request
    };
    for warm in [request(&bearer), with_certificate(&bound)] {
        let status = runtime.block_on(router.clone().oneshot(warm)).expect("response").status();
        assert_eq!(status, 200);
    }

    let mut group = c.benchmark_group("mtls");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(60);
    let cases = [
        ("router_bearer_cached", false, &bearer),
        ("router_bearer_with_certificate_cached", true, &bearer),
        ("router_certificate_bound_cached", true, &bound),
    ];
    for (name, attach, authorization) in cases {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| {
                let router = router.clone();
                let request =
                    if attach { with_certificate(authorization) } else { request(authorization) };
                async move {
                    let status = router.oneshot(request).await.expect("response").status();
                    debug_assert_eq!(status, 200);
                    black_box(status)
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, mtls);
criterion_main!(benches);
