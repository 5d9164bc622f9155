//! The cache-hit path with revocations: a verifier that has none, and one that keeps 10,000
//! (subjects, sessions, `jti`s and clients of the same issuer, none naming the token), against
//! the same cached token. What consulting the revocations costs a request that is not revoked.

// A benchmark that cannot set up panics: that is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::{RequestFacts, Revocation};
use scopegate_testkit::{TestIssuer, TestKey};

fn revocation(c: &mut Criterion) {
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let token = issuer
        .token()
        .subject("alice")
        .claim("sid", "s-alice")
        .claim("jti", "j-alice")
        .expires_in(Duration::from_secs(3600))
        .sign();
    let none = issuer.verifier();
    let many = issuer.verifier();
    for n in 0..2500 {
        many.revoke(Revocation::subject(issuer.issuer(), &format!("user-{n}")));
        many.revoke(Revocation::session(issuer.issuer(), &format!("s-{n}")));
        many.revoke(Revocation::token(issuer.issuer(), &format!("j-{n}")));
        many.revoke(Revocation::client(issuer.issuer(), &format!("c-{n}")));
    }
    assert_eq!(many.revocation_stats().kept, 10_000);
    for verifier in [&none, &many] {
        let verified = verifier.verify_now(&token).into_ready().expect("static keys");
        verified.expect("not revoked");
        assert!(verifier.cached(&token).is_some());
    }

    let mut group = c.benchmark_group("revocation");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(60);
    for (name, verifier) in [("cached_no_revocations", &none), ("cached_10000_revocations", &many)]
    {
        group.bench_function(name, |b| {
            b.iter(|| black_box(verifier.cached_for(black_box(&token), RequestFacts::new())));
        });
    }
    group.finish();
}

criterion_group!(benches, revocation);
criterion_main!(benches);
