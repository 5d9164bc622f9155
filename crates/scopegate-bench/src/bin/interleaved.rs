//! The middleware benchmark, interleaved: every contender runs a short batch in turn, round
//! after round, so that a shared or throttled machine slows them all alike. Prints medians of
//! the per-round times and the target ratios. Complements the criterion run, whose groups run
//! one after the other.
//!
//! ```text
//! cargo run --release -p scopegate-bench --bin interleaved [rounds, default 40]
//! ```

#![forbid(unsafe_code)]
#![allow(clippy::expect_used)]

use std::collections::HashMap;

use scopegate::TokenCacheKey;
use scopegate_bench::interleave::{self, Contender};
use scopegate_bench::{aliri, fixtures, jsonwebtoken_middleware, no_auth, request};

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(40);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut medians: HashMap<(String, String), f64> = HashMap::new();
    for fixture in fixtures() {
        let authorization = fixture.authorization();
        let (message, signature) = fixture.signed_parts();
        let raw = &fixture.raw;
        let router = |router| interleave::router(&runtime, router, || request(&authorization));
        let mut contenders: Vec<Contender<'_>> = vec![
            ("1_no_auth", router(no_auth())),
            ("2_raw_verify", interleave::bare(|| raw.verify(&message, &signature))),
            ("3_jsonwebtoken", router(jsonwebtoken_middleware(&fixture))),
            ("4_scopegate_uncached", router(scopegate_bench::scopegate(fixture.verifier(false)))),
            ("5_scopegate_cached", router(scopegate_bench::scopegate(fixture.verifier(true)))),
            (
                "6_scopegate_cached_extractors",
                router(scopegate_bench::scopegate_with_extractors(fixture.verifier(true))),
            ),
        ];
        contenders.push((
            "8_scopegate_cached_sha256",
            router(scopegate_bench::scopegate(fixture.verifier_keyed_by(TokenCacheKey::Sha256))),
        ));
        if let Some(peer) = aliri(&fixture) {
            contenders.push(("7_aliri_tower", router(peer)));
        }
        for (name, median) in interleave::run(&mut contenders, rounds) {
            medians.insert((fixture.name.to_owned(), name.to_owned()), median);
        }
    }
    println!("interleaved: {rounds} rounds of ~2 ms batches per contender\n");
    scopegate_bench::table::print(&|alg, bench| {
        medians.get(&(alg.to_owned(), bench.to_owned())).copied()
    });
}
