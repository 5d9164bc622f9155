//! One request path, repeated: run under callgrind to count its instructions, which stay the
//! same from run to run on a machine whose timings do not.
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured*' \
//!     target/release/instructions cache_hit 2000
//! ```
//!
//! Paths: `no_auth`, `cache_hit`, `cache_hit_sha256` (the cache keyed by SHA-256),
//! `cache_hit_extractors`, `uncached`. A third argument picks the fixture's algorithm (default
//! HS256, whose signature costs least). Each runs `count` requests after 100 warm-up requests,
//! and only those are counted (`measured`); the set-up (key generation, random) is not.

#![forbid(unsafe_code)]
#![allow(clippy::expect_used)]

use scopegate_bench::interleave::served;
use scopegate_bench::{fixtures, no_auth, request};
use tower::ServiceExt;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "cache_hit".to_owned());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let algorithm = args.next().unwrap_or_else(|| "HS256".to_owned());
    let fixture = fixtures()
        .into_iter()
        .find(|f| f.name == algorithm)
        .expect("a fixture: RS256, ES256, EdDSA or HS256");
    let router = match path.as_str() {
        "no_auth" => no_auth(),
        "cache_hit" => scopegate_bench::scopegate(fixture.verifier(true)),
        "cache_hit_sha256" => {
            scopegate_bench::scopegate(fixture.verifier_keyed_by(scopegate::TokenCacheKey::Sha256))
        }
        "cache_hit_extractors" => {
            scopegate_bench::scopegate_with_extractors(fixture.verifier(true))
        }
        "uncached" => scopegate_bench::scopegate(fixture.verifier(false)),
        other => {
            eprintln!(
                "unknown path {other}: no_auth, cache_hit, cache_hit_sha256, \
                 cache_hit_extractors, uncached"
            );
            std::process::exit(2);
        }
    };
    let router = if std::env::var_os("UNSERVED").is_some() { router } else { served(router) };
    let authorization = fixture.authorization();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let run = |count: usize| {
        runtime.block_on(async {
            for _ in 0..count {
                let response =
                    router.clone().oneshot(request(&authorization)).await.expect("infallible");
                assert!(response.status().is_success());
            }
        });
    };
    run(100);
    measured(&run, count);
}

/// What callgrind counts, with `--collect-atstart=no --toggle-collect='*measured*'`.
#[inline(never)]
fn measured(run: &dyn Fn(usize), count: usize) {
    run(count);
}
