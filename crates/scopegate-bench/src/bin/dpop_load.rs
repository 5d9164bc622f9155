//! Two orders-api replicas under DPoP load, on one Redis and then each with its own memory:
//! req/s, and how many replayed proofs were accepted.
//!
//! ```text
//! cargo build --release -p orders-api -p scopegate-bench --bin dpop_load
//! target/release/dpop_load [seconds per phase, default 10] [connections, default 64]
//! ```
//!
//! It starts the test kit's identity provider, a `redis-server` on a free port, and two
//! `target/release/orders-api` processes trusting that provider with `SCOPEGATE_DPOP=allowed`
//! (and, in the shared phase, `SCOPEGATE_REDIS_URL`). Each connection sends a request with a
//! fresh proof to one replica, then the same proof to the other (a replay). Proofs are signed
//! before the timed phase, so the client's signing does not compete with the servers. Loopback
//! only; bounded time.

#![forbid(unsafe_code)]

use std::error::Error;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use scopegate_testkit::{IssuerServer, RedisServer, TestKey};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

const PUBLIC_URL: &str = "https://orders.example.com";

/// One orders-api process; killed when dropped.
struct Replica {
    child: Child,
    address: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn replica(issuer: &IssuerServer, redis: Option<&str>) -> Result<Replica, Box<dyn Error>> {
    let mut command = Command::new("target/release/orders-api");
    command
        .env("SCOPEGATE_ADDR", "127.0.0.1:0")
        .env("SCOPEGATE_ISSUER", issuer.issuer().issuer())
        .env("SCOPEGATE_AUDIENCE", issuer.issuer().audience())
        .env("SCOPEGATE_DPOP", "allowed")
        .env("SCOPEGATE_PUBLIC_URL", PUBLIC_URL)
        .env_remove("SCOPEGATE_REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = redis {
        command.env("SCOPEGATE_REDIS_URL", url);
    }
    let mut child = command.spawn().map_err(|error| {
        format!("cannot start target/release/orders-api ({error}); build it with --release")
    })?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(tokio::process::ChildStdout::from_std(stdout)?).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(address) = line.strip_prefix("listening on http://") {
            // Keep draining its output so that it never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok(Replica { child, address: address.to_owned() });
        }
    }
    Err("orders-api exited before listening".into())
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    fresh_ok: AtomicU64,
    fresh_refused: AtomicU64,
    replays_refused: AtomicU64,
    replays_accepted: AtomicU64,
    unavailable: AtomicU64,
}

type Sender = hyper::client::conn::http1::SendRequest<Body>;

async fn connect(address: &str) -> Result<Sender, Box<dyn Error>> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn send(sender: &mut Sender, token: &str, proof: &str) -> Result<StatusCode, Box<dyn Error>> {
    sender.ready().await?;
    let request = Request::get("/orders")
        .header("host", "orders.example.com")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(Body::empty())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    // Drain the body so that the connection can be reused.
    let _ = http_body_util::BodyExt::collect(response.into_body()).await?;
    Ok(status)
}

async fn phase(
    name: &str,
    replicas: &[Replica; 2],
    token: &str,
    proofs: Vec<Vec<String>>,
    seconds: u64,
) -> Result<(), Box<dyn Error>> {
    let counts = Arc::new(Counts::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (connection, proofs) in proofs.into_iter().enumerate() {
        let [one, other] = replicas;
        let (fresh_to, replay_to) = if connection % 2 == 0 { (one, other) } else { (other, one) };
        let mut fresh = connect(&fresh_to.address).await?;
        let mut replay = connect(&replay_to.address).await?;
        let (counts, token) = (Arc::clone(&counts), token.to_owned());
        tasks.push(tokio::spawn(async move {
            for proof in proofs {
                if Instant::now() >= deadline {
                    break;
                }
                let first = send(&mut fresh, &token, &proof).await.ok();
                let second = send(&mut replay, &token, &proof).await.ok();
                counts.requests.fetch_add(2, Ordering::Relaxed);
                let count = |counter: &AtomicU64| counter.fetch_add(1, Ordering::Relaxed);
                match first {
                    Some(StatusCode::OK) => count(&counts.fresh_ok),
                    Some(StatusCode::SERVICE_UNAVAILABLE) => count(&counts.unavailable),
                    _ => count(&counts.fresh_refused),
                };
                match second {
                    Some(StatusCode::OK) => count(&counts.replays_accepted),
                    Some(StatusCode::SERVICE_UNAVAILABLE) => count(&counts.unavailable),
                    _ => count(&counts.replays_refused),
                };
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let requests = load(&counts.requests);
    println!(
        "{name:<10} {:>9.0} req/s  {requests:>8} requests  fresh accepted {:>7}  fresh refused {:>3}  \
         replays refused {:>7}  replays ACCEPTED {:>7}  503s {:>3}",
        requests as f64 / elapsed,
        load(&counts.fresh_ok),
        load(&counts.fresh_refused),
        load(&counts.replays_refused),
        load(&counts.replays_accepted),
        load(&counts.unavailable),
    );
    Ok(())
}

fn proofs(client: &TestKey, token: &str, connections: usize, each: usize) -> Vec<Vec<String>> {
    let url = format!("{PUBLIC_URL}/orders");
    (0..connections)
        .map(|_| {
            (0..each).map(|_| client.dpop_proof("GET", &url).access_token(token).sign()).collect()
        })
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map_or(Ok(10), |value| value.parse())?;
    let connections: usize = args.next().map_or(Ok(64), |value| value.parse())?;
    let issuer = IssuerServer::start().await;
    let redis = RedisServer::start();
    let client = TestKey::ec_p256();
    let token = issuer
        .issuer()
        .token()
        .scopes(["orders.read"])
        .expires_in(Duration::from_secs(3600))
        .bound_to(&client)
        .sign();
    // Enough proofs for the phase at well above the rate two cores reach.
    let each = usize::try_from(seconds)? * 400;
    println!(
        "{connections} connections, {seconds} s per phase, each iteration a fresh proof to one \
         replica and its replay to the other"
    );
    for (name, url) in [("redis", Some(redis.url())), ("in-memory", None)] {
        eprintln!("signing {} proofs for the {name} phase", connections * each);
        let proofs = proofs(&client, &token, connections, each);
        let replicas =
            [replica(&issuer, url.as_deref()).await?, replica(&issuer, url.as_deref()).await?];
        phase(name, &replicas, &token, proofs, seconds).await?;
    }
    Ok(())
}
