//! Concurrent load on loopback while the issuer rotates its keys: 64 keep-alive connections
//! against the layer in a hyper server for as long as the issuer takes to rotate its keys
//! eight times (a new key every 400 ms, the oldest dropped). Counts wrong answers, which must
//! be zero:
//!
//! - a token signed by a key the issuer never published is accepted;
//! - a token signed by a key published since well before the request (longer than the
//!   refetch cool-down plus a fetch), and still published after it, is refused;
//! - a token signed by a key withdrawn well before the request (longer than the key set's
//!   time to live plus a fetch) is accepted, from the key set or from the token cache;
//! - anything other than 200 or 401, or a broken connection.
//!
//! Tokens of keys in the middle of a rotation may go either way and are not judged.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use scopegate_core::Verifier;
use scopegate_testkit::{IssuerServer, TestKey};
use scopegate_tower::BearerAuthLayer;
use tower::ServiceBuilder;

const CONNECTIONS: usize = 64;
const ROTATIONS: usize = 8;
/// Each connection sends at least this many requests, however slow the machine.
const MIN_REQUESTS: usize = 10;
const ROTATE_EVERY: Duration = Duration::from_millis(400);
const COOLDOWN: Duration = Duration::from_millis(100);
/// How long a key must have been published before its tokens must pass.
const SETTLED: Duration = Duration::from_millis(600);

/// A signing key and when it was published and withdrawn.
struct Published {
    token: String,
    since: Instant,
    until: Option<Instant>,
}

async fn ok(_: Request<Incoming>) -> Result<Response<String>, std::convert::Infallible> {
    Ok(Response::new("ok".to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wrong_answer_under_load_while_keys_rotate() {
    let server = IssuerServer::start().await;
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .refetch_cooldown(COOLDOWN)
        .keys_ttl(Duration::from_millis(300))
        .keys_ttl_bounds(Duration::from_millis(300), Duration::from_secs(60))
        .build()
        .await
        .unwrap();
    let service = ServiceBuilder::new().layer(BearerAuthLayer::new(verifier)).service_fn(ok);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });

    let issuer = server.issuer().clone();
    let first =
        Published { token: issuer.token().sign(), since: Instant::now() - SETTLED, until: None };
    let keys = Arc::new(Mutex::new(vec![(issuer.key().clone(), first)]));
    let forged = issuer.token().sign_with(&TestKey::rsa());
    let done = Arc::new(AtomicBool::new(false));

    // Every ROTATE_EVERY: publish a new key; the two newest keys are published, the one before
    // them is withdrawn.
    let rotator = {
        let (keys, done) = (Arc::clone(&keys), Arc::clone(&done));
        tokio::spawn(async move {
            for _ in 0..ROTATIONS {
                tokio::time::sleep(ROTATE_EVERY).await;
                let next = TestKey::ec_p256();
                let token = issuer.token_with_key(&next).sign();
                let mut keys = keys.lock().unwrap();
                let now = Instant::now();
                keys.push((next, Published { token, since: now, until: None }));
                let count = keys.len();
                if let Some((_, withdrawn)) =
                    count.checked_sub(3).and_then(|index| keys.get_mut(index))
                {
                    withdrawn.until = Some(now);
                }
                let live: Vec<TestKey> =
                    keys.iter().skip(count.saturating_sub(2)).map(|(key, _)| key.clone()).collect();
                server.publish(&live);
            }
            tokio::time::sleep(ROTATE_EVERY).await;
            done.store(true, Ordering::SeqCst);
            server
        })
    };

    let requests = Arc::new(AtomicUsize::new(0));
    // How many requests carried a token of a key withdrawn long enough ago: the check above
    // must have had something to judge.
    let withdrawn_sent = Arc::new(AtomicUsize::new(0));
    let wrong = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..CONNECTIONS {
        let (keys, forged, requests, wrong, done) = (
            Arc::clone(&keys),
            forged.clone(),
            Arc::clone(&requests),
            Arc::clone(&wrong),
            Arc::clone(&done),
        );
        let withdrawn_sent = Arc::clone(&withdrawn_sent);
        clients.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
            tokio::spawn(connection);
            let mut round = client;
            let mut sent = 0;
            while sent < MIN_REQUESTS || !done.load(Ordering::SeqCst) {
                round += 1;
                sent += 1;
                let start = Instant::now();
                // Every fourth request is forged; the others use one of the keys, in turn.
                let (token, settled_key) = if round % 4 == 0 {
                    (forged.clone(), None)
                } else {
                    let keys = keys.lock().unwrap();
                    let (_, published) = &keys[round % keys.len()];
                    (published.token.clone(), Some(round % keys.len()))
                };
                let request = Request::get("/orders")
                    .header(header::HOST, "localhost")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Empty::<Bytes>::new())
                    .unwrap();
                let response = match sender.send_request(request).await {
                    Ok(response) => response,
                    Err(error) => {
                        wrong.lock().unwrap().push(format!("connection broke: {error}"));
                        return;
                    }
                };
                let status = response.status();
                let _ = response.into_body().collect().await;
                let end = Instant::now();
                requests.fetch_add(1, Ordering::Relaxed);
                let verdict = match settled_key {
                    None if status == StatusCode::OK => Some("a forged token was accepted"),
                    Some(index) => {
                        let keys = keys.lock().unwrap();
                        let published = &keys[index].1;
                        let settled = published.since + SETTLED <= start
                            && published.until.is_none_or(|until| until > end);
                        // Withdrawn from the key set before the keys' time to live (and
                        // a fetch) had passed, and before this request.
                        let gone = published.until.is_some_and(|until| until + SETTLED <= start);
                        if gone {
                            withdrawn_sent.fetch_add(1, Ordering::Relaxed);
                        }
                        if settled && status != StatusCode::OK {
                            Some("a token of a settled key was refused")
                        } else if gone && status == StatusCode::OK {
                            Some("a token of a withdrawn key was accepted")
                        } else {
                            None
                        }
                    }
                    None => None,
                };
                if let Some(verdict) = verdict {
                    wrong.lock().unwrap().push(format!("{verdict} ({status})"));
                }
                if status != StatusCode::OK && status != StatusCode::UNAUTHORIZED {
                    wrong.lock().unwrap().push(format!("unexpected status {status}"));
                }
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let server = rotator.await.unwrap();
    let wrong = wrong.lock().unwrap();
    let total = requests.load(Ordering::Relaxed);
    let rotations = keys.lock().unwrap().len() - 1;
    println!(
        "{total} requests over {CONNECTIONS} connections, {rotations} rotations, {} JWKS fetches",
        server.jwks_fetches()
    );
    assert!(total >= CONNECTIONS * MIN_REQUESTS, "only {total} requests");
    assert_eq!(rotations, ROTATIONS);
    assert!(withdrawn_sent.load(Ordering::Relaxed) > 0, "no token of a withdrawn key was judged");
    assert!(
        wrong.is_empty(),
        "{} wrong answers of {total}: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
}
