//! Work that outlives one request: a key fetch that a request starts must survive that
//! request's cancellation, and nothing the verifier spawned may outlive the verifier.

use std::time::Duration;

use scopegate_core::remote::{HttpClient, HttpFuture, HttpResponse};
use scopegate_core::{Verification, Verifier};
use scopegate_testkit::{IssuerServer, EndpointBehaviour, TestIssuer, TestKey};
use tokio::sync::watch;

/// Before: the refetch for an unknown `kid` ran inside the requesting request's future. A
/// client that went away mid-fetch left the fetch flagged "in flight" with the cool-down
/// spent, and every request with the new `kid` got `503` until the cool-down ended.
#[tokio::test]
async fn regression_a_cancelled_request_cannot_cancel_the_key_fetch() {
    let server = IssuerServer::start().await;
    let verifier = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        // One demand fetch an hour: a second fetch cannot rescue the request below.
        .refetch_cooldown(Duration::from_secs(3600))
        .build()
        .await
        .unwrap();
    let next = TestKey::ec_p256();
    server.publish(&[server.issuer().key().clone(), next.clone()]);
    server.set_jwks_behaviour(EndpointBehaviour::Hold);
    let token = server.issuer().token_with_key(&next).subject("after-rotation").sign();

    // The first request starts the refetch, and its client goes away while it runs.
    let Verification::Pending(first) = verifier.verify_now(&token) else {
        panic!("an unknown kid must wait for a refetch");
    };
    // Boxed so that `drop` really drops it, as hyper does with a cancelled request.
    let mut first = Box::pin(first);
    tokio::select! {
        _ = &mut first => panic!("the fetch is held: the request cannot finish"),
        () = server.wait_for_jwks_fetches(2) => {}
    }
    drop(first);

    // A second request with the new kid waits for that same fetch and succeeds when it ends.
    let second = tokio::spawn({
        let (verifier, token) = (verifier.clone(), token.clone());
        async move { verifier.verify(&token).await }
    });
    server.release_jwks();
    let claims = second.await.unwrap().unwrap();
    assert_eq!(claims.subject(), Some("after-rotation"));
    // One fetch at build time, one refetch: the dropped request did not cost another.
    assert_eq!(server.jwks_fetches(), 2);
    assert_eq!(verifier.key_source_stats()[0].keys, 2);
}

/// Answers the first request with a key set; holds every later one until the test ends.
struct Gated {
    jwks: String,
    calls: watch::Sender<usize>,
    open: watch::Receiver<bool>,
}

impl HttpClient for Gated {
    fn get(&self, _: &http::Uri, _: usize) -> HttpFuture<'_> {
        let mut calls = 0;
        self.calls.send_modify(|count| {
            *count += 1;
            calls = *count;
        });
        let mut open = self.open.clone();
        let body = self.jwks.clone();
        Box::pin(async move {
            if calls > 1 {
                let _ = open.wait_for(|open| *open).await;
            }
            Ok(HttpResponse {
                status: http::StatusCode::OK,
                headers: http::HeaderMap::new(),
                body: body.into(),
            })
        })
    }
}

#[test]
fn no_task_outlives_the_verifier() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let metrics = tokio::runtime::Handle::current().metrics();
        assert_eq!(metrics.num_alive_tasks(), 0);
        let issuer = TestIssuer::named("https://id.example.com");
        let (calls, mut seen) = watch::channel(0);
        let (_gate, open) = watch::channel(false);
        let client = Gated { jwks: issuer.jwks_json(), calls, open };
        let verifier = Verifier::builder()
            .issuer(issuer.issuer())
            .jwks_uri("https://keys.example.com/jwks")
            .audience(issuer.audience())
            .http_client(client)
            .build()
            .await
            .unwrap();
        // The background refresher sleeps until the key set's lifetime ends (10 minutes).
        assert_eq!((verifier.background_tasks(), metrics.num_alive_tasks()), (1, 1));
        // A refetch for an unknown kid is held in flight.
        let pending = verifier.verify_now(&issuer.token().key_id("rotated").sign());
        let held = seen.wait_for(|calls| *calls == 2);
        tokio::time::timeout(Duration::from_secs(10), held).await.unwrap().unwrap();
        assert_eq!((verifier.background_tasks(), metrics.num_alive_tasks()), (2, 2));

        drop(pending);
        // Another clone keeps everything alive.
        let clone = verifier.clone();
        drop(verifier);
        tokio::task::yield_now().await;
        assert_eq!(clone.background_tasks(), 2);
        // The last clone goes: both tasks are aborted, and reaped when the scheduler next runs.
        drop(clone);
        for _ in 0..100 {
            if metrics.num_alive_tasks() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(metrics.num_alive_tasks(), 0);
    });
}

/// Without a runtime to spawn on, a refetch runs inside the request's future (documented).
#[test]
fn without_a_runtime_the_fetch_runs_in_the_request() {
    let issuer = TestIssuer::named("https://id.example.com");
    let (calls, _seen) = watch::channel(0);
    let (_gate, open) = watch::channel(true);
    let client = Gated { jwks: issuer.jwks_json(), calls, open };
    let verifier = Verifier::builder()
        .issuer(issuer.issuer())
        .jwks_uri("https://keys.example.com/jwks")
        .audience(issuer.audience())
        .http_client(client)
        .fetch_keys_lazily(true)
        .build_static()
        .unwrap();
    let token = issuer.token().subject("lazy").sign();
    let Verification::Pending(pending) = verifier.verify_now(&token) else {
        panic!("lazy keys must be fetched first");
    };
    // A runtime only to drive the future: the fetch was not spawned anywhere.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let claims = runtime.block_on(pending).unwrap();
    assert_eq!(claims.subject(), Some("lazy"));
    assert_eq!(verifier.background_tasks(), 0);
}
