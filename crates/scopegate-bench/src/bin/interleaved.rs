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
use std::hint::black_box;
use std::time::Instant;

use axum::Router;
use scopegate_bench::{aliri, fixtures, jsonwebtoken_middleware, no_auth, request};
use tower::ServiceExt;

/// One contender: a name and a closure that runs `n` iterations and returns nanoseconds each.
type Contender<'a> = (&'static str, Box<dyn FnMut(u32) -> f64 + 'a>);

fn router<'a>(
    runtime: &'a tokio::runtime::Runtime,
    router: Router,
    authorization: &'a str,
) -> Box<dyn FnMut(u32) -> f64 + 'a> {
    let status = runtime
        .block_on(router.clone().oneshot(request(authorization)))
        .expect("response")
        .status();
    assert_eq!(status, 200, "a contender refused the token");
    Box::new(move |n| {
        let start = Instant::now();
        runtime.block_on(async {
            for _ in 0..n {
                black_box(router.clone().oneshot(request(authorization)).await.expect("response"));
            }
        });
        start.elapsed().as_nanos() as f64 / f64::from(n)
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(40);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut medians: HashMap<(String, String), f64> = HashMap::new();
    for fixture in fixtures() {
        let authorization = fixture.authorization();
        let (message, signature) = fixture.signed_parts();
        let raw = &fixture.raw;
        let mut contenders: Vec<Contender<'_>> = vec![
            ("1_no_auth", router(&runtime, no_auth(), &authorization)),
            (
                "2_raw_verify",
                Box::new(|n| {
                    let start = Instant::now();
                    for _ in 0..n {
                        black_box(raw.verify(&message, &signature));
                    }
                    start.elapsed().as_nanos() as f64 / f64::from(n)
                }),
            ),
            ("3_jsonwebtoken", router(&runtime, jsonwebtoken_middleware(&fixture), &authorization)),
            (
                "4_scopegate_uncached",
                router(
                    &runtime,
                    scopegate_bench::scopegate(fixture.verifier(false)),
                    &authorization,
                ),
            ),
            (
                "5_scopegate_cached",
                router(
                    &runtime,
                    scopegate_bench::scopegate(fixture.verifier(true)),
                    &authorization,
                ),
            ),
            (
                "6_scopegate_cached_extractors",
                router(
                    &runtime,
                    scopegate_bench::scopegate_with_extractors(fixture.verifier(true)),
                    &authorization,
                ),
            ),
        ];
        if let Some(peer) = aliri(&fixture) {
            contenders.push(("7_aliri_tower", router(&runtime, peer, &authorization)));
        }
        // Batches of about 2 ms each, sized from a first measurement.
        let batches: Vec<u32> = contenders
            .iter_mut()
            .map(|(_, run)| {
                let each = run(50);
                // Clamped to 10..20,000 before the cast: it cannot truncate.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let batch = (2_000_000.0 / each).clamp(10.0, 20_000.0) as u32;
                batch
            })
            .collect();
        let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
        for _ in 0..rounds {
            for ((_, run), (batch, times)) in
                contenders.iter_mut().zip(batches.iter().zip(samples.iter_mut()))
            {
                times.push(run(*batch));
            }
        }
        for ((name, _), times) in contenders.iter().zip(samples.iter_mut()) {
            medians.insert((fixture.name.to_owned(), (*name).to_owned()), median(times));
        }
    }
    println!("interleaved: {rounds} rounds of ~2 ms batches per contender\n");
    scopegate_bench::table::print(&|alg, bench| {
        medians.get(&(alg.to_owned(), bench.to_owned())).copied()
    });
}
