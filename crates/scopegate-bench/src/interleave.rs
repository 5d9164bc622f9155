//! The interleaving harness: every contender runs a ~2 ms batch in turn, round after round, so
//! that a shared or throttled machine slows them all alike; the figure of each is the median
//! of its per-batch times. Used by the `interleaved` and `paths` binaries.

use std::hint::black_box;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use tower::ServiceExt;

/// A closure that runs `n` iterations and returns the nanoseconds each took.
pub type Batch<'a> = Box<dyn FnMut(u32) -> f64 + 'a>;

/// One contender: its id and how it runs a batch.
pub type Contender<'a> = (&'static str, Batch<'a>);

/// A contender that sends `request()` through `router` on `runtime`, checking first that the
/// answer is `200`.
pub fn router<'a>(
    runtime: &'a tokio::runtime::Runtime,
    router: Router,
    mut request: impl FnMut() -> Request + 'a,
) -> Batch<'a> {
    let router = served_and_checked(runtime, router, request(), 200);
    Box::new(move |n| {
        let start = Instant::now();
        runtime.block_on(async {
            for _ in 0..n {
                black_box(router.clone().oneshot(request()).await.expect("response"));
            }
        });
        start.elapsed().as_nanos() as f64 / f64::from(n)
    })
}

/// `router` as `axum::serve` runs it: `into_make_service` calls `with_state`, which turns
/// every handler into a service and applies every layer once. Without this, `oneshot` on a
/// `Router<()>` re-applies the layers on each request, a cost no server pays.
pub fn served(router: Router) -> Router {
    router.with_state(())
}

/// `router` [`served`], after checking that it answers `request` with `expected`.
fn served_and_checked(
    runtime: &tokio::runtime::Runtime,
    router: Router,
    request: Request,
    expected: u16,
) -> Router {
    let router = served(router);
    let status = runtime.block_on(router.clone().oneshot(request)).expect("response").status();
    assert_eq!(status, expected, "a contender's request got another answer");
    router
}

/// A contender that runs `work` with no router around it.
pub fn bare<'a>(mut work: impl FnMut() -> bool + 'a) -> Batch<'a> {
    assert!(work(), "a bare contender failed");
    Box::new(move |n| {
        let start = Instant::now();
        for _ in 0..n {
            black_box(work());
        }
        start.elapsed().as_nanos() as f64 / f64::from(n)
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs `rounds` rounds of every contender and returns each one's median, in nanoseconds.
pub fn run(contenders: &mut [Contender<'_>], rounds: usize) -> Vec<(&'static str, f64)> {
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
    contenders
        .iter()
        .zip(samples.iter_mut())
        .map(|((name, _), times)| (*name, median(times)))
        .collect()
}

/// A contender like [`router`] whose requests are all made before the clock starts: for
/// requests that are costly to make (a DPoP proof is a signature) or that must be fresh.
pub fn prepared<'a>(
    runtime: &'a tokio::runtime::Runtime,
    router: Router,
    request: impl FnMut() -> Request + 'a,
) -> Batch<'a> {
    prepared_answering(runtime, router, 200, request)
}

/// [`prepared`] for requests that must get `expected` (a refusal, for hostile requests).
pub fn prepared_answering<'a>(
    runtime: &'a tokio::runtime::Runtime,
    router: Router,
    expected: u16,
    mut request: impl FnMut() -> Request + 'a,
) -> Batch<'a> {
    let router = served_and_checked(runtime, router, request(), expected);
    Box::new(move |n| {
        let requests: Vec<Request> = (0..n).map(|_| request()).collect();
        let start = Instant::now();
        runtime.block_on(async {
            for request in requests {
                black_box(router.clone().oneshot(request).await.expect("response"));
            }
        });
        start.elapsed().as_nanos() as f64 / f64::from(n)
    })
}
