//! A flood of random opaque tokens against a slow authorization server (every introspection
//! answered after `delay` ms), through the layer on a two-worker runtime. The flood does not
//! wait for answers before sending more, as an attacker would not: 64 flooders each keep 32
//! requests in flight.
//!
//! 1. the throughput of a client whose opaque token is cached, alone, then during the flood;
//! 2. how long after the flood stops a new legitimate token first passes (retrying every
//!    10 ms while it gets `503`).
//!
//! ```text
//! cargo run --release -p scopegate-bench --bin flood [seconds per phase, default 3] [delay ms, default 200]
//! ```

#![forbid(unsafe_code)]
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::routing::get;
use scopegate::remote::Introspection;
use scopegate::{BearerAuthLayer, Verifier};
use scopegate_testkit::{
    EndpointBehaviour, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer,
};
use tower::ServiceExt;

const FLOODERS: usize = 64;
/// Requests each flooder keeps in flight.
const IN_FLIGHT: usize = 32;

fn request(token: &str) -> Request {
    Request::builder()
        .uri("/orders")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

async fn status(app: &Router, token: &str) -> u16 {
    app.clone().oneshot(request(token)).await.expect("response").status().as_u16()
}

/// Requests per second of one client sending `token` for `seconds`, one at a time.
async fn throughput(app: &Router, token: &str, seconds: u64) -> f64 {
    let start = Instant::now();
    let mut served = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        assert_eq!(status(app, token).await, 200, "the cached token was refused");
        served += 1;
    }
    served as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(3);
    let delay: u64 = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let server = IssuerServer::start().await;
        let verifier = Verifier::builder()
            .issuer(server.issuer().issuer())
            .audience(server.issuer().audience())
            .introspection(Introspection::new(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET))
            .build()
            .await
            .expect("verifier");
        let app = axum_app(verifier);
        let cached = server.opaque_token(server.issuer().token().subject("regular"));
        assert_eq!(status(&app, &cached).await, 200);
        server.set_introspection_behaviour(EndpointBehaviour::Slow(Duration::from_millis(delay)));

        let alone = throughput(&app, &cached, seconds).await;

        let flooding = Arc::new(AtomicBool::new(true));
        let (sent, unavailable) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let flood: Vec<_> = (0..FLOODERS)
            .map(|flooder| {
                let (app, flooding) = (app.clone(), Arc::clone(&flooding));
                let (sent, unavailable) = (Arc::clone(&sent), Arc::clone(&unavailable));
                tokio::spawn(async move {
                    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
                    let mut n = 0u64;
                    while flooding.load(Ordering::Relaxed) {
                        let slot = Arc::clone(&slots).acquire_owned().await.expect("slots");
                        let token = format!("opq_flood_{flooder}_{n}");
                        n += 1;
                        sent.fetch_add(1, Ordering::Relaxed);
                        let (app, unavailable) = (app.clone(), Arc::clone(&unavailable));
                        tokio::spawn(async move {
                            if status(&app, &token).await == 503 {
                                unavailable.fetch_add(1, Ordering::Relaxed);
                            }
                            drop(slot);
                        });
                    }
                })
            })
            .collect();
        let during = throughput(&app, &cached, seconds).await;
        flooding.store(false, Ordering::Relaxed);
        let ended = Instant::now();
        let fresh = server.opaque_token(server.issuer().token().subject("newcomer"));
        let mut attempts = 0;
        let passed_after = loop {
            attempts += 1;
            if status(&app, &fresh).await == 200 {
                break ended.elapsed();
            }
            assert!(ended.elapsed() < Duration::from_secs(60), "no pass within a minute");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        for flooder in flood {
            flooder.abort();
        }
        println!(
            "flood: {FLOODERS} clients, {IN_FLIGHT} requests in flight each, sending new opaque tokens; \
             introspection answers after {delay} ms\n"
        );
        println!("| measure | value |");
        println!("|---|---|");
        println!("| cached token alone | {alone:.0} req/s |");
        println!("| cached token during the flood | {during:.0} req/s ({:.2} of alone) |", during / alone);
        println!(
            "| flood requests sent / answered 503 | {} / {} |",
            sent.load(Ordering::Relaxed),
            unavailable.load(Ordering::Relaxed)
        );
        println!("| calls that reached the authorization server | {} |", server.introspections());
        println!(
            "| a new legitimate token passes after the flood ends | {:.0} ms ({attempts} attempts; target <= 1000 ms) |",
            passed_after.as_secs_f64() * 1000.0
        );
    });
}

fn axum_app(verifier: Verifier) -> Router {
    Router::new()
        .route("/orders", get(|| async { "orders" }))
        .layer(BearerAuthLayer::new(verifier))
        .with_state(())
}
