//! 100 concurrent requests carrying the same, never-seen token: how many full verifications
//! happen? Each one adds a cache entry, so the cache's insert count tells.
//!
//! ```text
//! cargo run --release -p scopegate-bench --bin first_sight
//! ```

#![forbid(unsafe_code)]

use std::error::Error;
use std::sync::Arc;

use orders_api::dev::DevIssuer;

fn main() -> Result<(), Box<dyn Error>> {
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).build()?;
    let issuer = DevIssuer::new();
    let mut counts = Vec::new();
    for round in 0..20 {
        let verifier = issuer.verifier();
        let token: Arc<str> = Arc::from(issuer.reader_token(&format!("first-sight-{round}")));
        let barrier = Arc::new(tokio::sync::Barrier::new(100));
        runtime.block_on(async {
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let (verifier, token, barrier) =
                        (verifier.clone(), Arc::clone(&token), Arc::clone(&barrier));
                    tokio::spawn(async move {
                        barrier.wait().await;
                        verifier.verify(&token).await.is_ok()
                    })
                })
                .collect();
            for task in tasks {
                assert!(task.await.unwrap_or(false), "a request was refused");
            }
        });
        counts.push(verifier.token_cache_stats().ok_or("cache on")?.inserts);
    }
    counts.sort_unstable();
    let median = counts.get(counts.len() / 2).copied().unwrap_or_default();
    let max = counts.last().copied().unwrap_or_default();
    println!("{workers} worker threads, 100 concurrent first-sight requests, 20 rounds:");
    println!("full verifications per round: median {median}, max {max} (single-flight would be 1)");
    Ok(())
}
