//! Revocations shared by replicas on one real `redis-server` (#30): a logout posted to one
//! replica is refused by both within a second, a replica started later refuses it too, replayed
//! event tokens are refused on the other replica, forged or moved records revoke nobody, a
//! revocation is forgotten everywhere after its window, and Redis going down keeps what each
//! replica has and shares the rest when it comes back. Without `redis-server` on the `PATH`
//! these tests are reported as ignored, never as passed.

use std::time::{Duration, Instant};

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use scopegate::redis::{Redis, RedisOptions, RedisRevocations};
use scopegate::{BackChannelLogout, SealingKey};
use scopegate_core::logout::BACKCHANNEL_LOGOUT_EVENT;
use scopegate_core::security_event::ACCOUNT_DISABLED;
use scopegate_core::{ErrorKind, NumericDate, Revocation, Verifier};
use scopegate_testkit::{ManualClock, RedisServer, TestIssuer, TestKey};
use serde_json::json;
use tower::ServiceExt;

const SECRET: [u8; 32] = [7; 32];

/// A replica of the API: its own connection to `server` under `namespace`, revocations kept
/// 600 s, sealed with `secret`, on `clock`.
async fn replica_of(
    issuer: &TestIssuer,
    server: &RedisServer,
    namespace: &str,
    secret: [u8; 32],
    clock: &ManualClock,
) -> Verifier {
    let redis = Redis::connect(&server.url(), RedisOptions::new(namespace)).await.unwrap();
    issuer
        .verifier_builder()
        .clock(clock.clone())
        .revocations(Duration::from_secs(600), 1000)
        .shared_revocations(RedisRevocations::new(redis), SealingKey::new(secret.to_vec()).unwrap())
        .build()
        .await
        .unwrap()
}

async fn replica(issuer: &TestIssuer, server: &RedisServer, clock: &ManualClock) -> Verifier {
    replica_of(issuer, server, "orders", SECRET, clock).await
}

/// Two seconds ahead of the system clock the tokens' `iat` come from: a revocation made "now"
/// names every token minted so far.
fn ahead() -> ManualClock {
    ManualClock::at_secs(NumericDate::now().as_secs() + 2)
}

fn kind(verifier: &Verifier, token: &str) -> Option<ErrorKind> {
    verifier.verify_now(token).into_ready().unwrap().err().map(|error| error.kind())
}

/// How long until `verifier` refuses `token` as revoked, if it does within `limit`.
async fn refused_within(verifier: &Verifier, token: &str, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() <= limit {
        if kind(verifier, token) == Some(ErrorKind::TokenRevoked) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

fn logout_token(issuer: &TestIssuer, jti: &str, sid: &str) -> String {
    issuer
        .token()
        .typ("logout+jwt")
        .without_claim("scope")
        .without_claim("exp")
        .claim("events", json!({ BACKCHANNEL_LOGOUT_EVENT: {} }))
        .claim("jti", jti)
        .claim("sid", sid)
        .sign()
}

fn account_disabled(issuer: &TestIssuer, jti: &str, subject: &str, sent_at: u64) -> String {
    issuer
        .token()
        .claim("iat", sent_at)
        .typ("secevent+jwt")
        .without_claim("scope")
        .without_claim("sub")
        .claim("jti", jti)
        .claim("sub_id", json!({"format": "iss_sub", "iss": issuer.issuer(), "sub": subject}))
        .claim("events", json!({ ACCOUNT_DISABLED: {} }))
        .sign()
}

async fn post_logout(verifier: &Verifier, token: &str) -> (StatusCode, String) {
    let request = Request::post("/backchannel-logout")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("logout_token={token}")))
        .unwrap();
    let response = BackChannelLogout::new(verifier.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn redis_command(server: &RedisServer, command: &redis::Cmd) -> redis::Value {
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    command.query_async(&mut connection).await.unwrap()
}

/// The records Redis keeps for `namespace`.
async fn records(server: &RedisServer, namespace: &str) -> Vec<Vec<u8>> {
    let mut command = redis::cmd("ZRANGE");
    command.arg(format!("{namespace}:revocations")).arg(0).arg(-1);
    redis::from_redis_value(redis_command(server, &command).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server on the PATH; .ci/run installs it")]
async fn a_logout_posted_to_one_replica_is_refused_by_both_within_a_second() {
    let server = RedisServer::start();
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let clock = ahead();
    let (one, two) = (replica(&issuer, &server, &clock).await, replica(&issuer, &server, &clock).await);
    let alice = issuer.token().subject("alice").claim("sid", "s1").sign();
    let bob = issuer.token().subject("bob").claim("sid", "s2").sign();
    for (replica, token) in [(&one, &alice), (&one, &bob), (&two, &alice), (&two, &bob)] {
        assert_eq!(kind(replica, token), None);
        assert!(replica.cached(token).is_some(), "cached before the logout");
    }
    let logout = logout_token(&issuer, "logout-1", "s1");
    assert_eq!(post_logout(&one, &logout).await, (StatusCode::OK, String::new()));
    assert_eq!(kind(&one, &alice), Some(ErrorKind::TokenRevoked));
    let took = refused_within(&two, &alice, Duration::from_secs(1)).await;
    let took = took.expect("the other replica refuses the token within one second");
    println!("the other replica applied the logout after {took:?}");
    assert!(two.cached(&alice).is_none());
    assert_eq!((kind(&one, &bob), kind(&two, &bob)), (None, None), "another subject");
    // The same logout token posted to the other replica is a replay.
    let replayed = post_logout(&two, &logout).await;
    assert_eq!(
        replayed,
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"invalid_request","error_description":"the `jti` claim must be a token not seen before"}"#.to_owned()
        )
    );
    // So is a security event, first accepted by one, then replayed to the other.
    let sent_at = NumericDate::now();
    let disabled = account_disabled(&issuer, "set-1", "bob", sent_at.as_secs());
    let revoked = Some(Revocation::subject(issuer.issuer(), "bob").issued_until(sent_at));
    assert_eq!(one.accept_security_event(&disabled).await.unwrap(), revoked);
    let error = two.accept_security_event(&disabled).await.unwrap_err();
    assert_eq!(error.to_string(), "the `jti` claim must be a token not seen before");
    assert!(refused_within(&two, &bob, Duration::from_secs(1)).await.is_some());
    let (stats_one, stats_two) = (one.revocation_stats(), two.revocation_stats());
    // The logout (the session, and the subject's tokens without a session) and the event; the
    // replays were applied again by the second replica before it learnt they were replays,
    // and changed nothing: the same three revocations, the same three records.
    assert_eq!((stats_one.received, stats_two.received), (3, 3));
    assert_eq!((stats_one.kept, stats_two.kept), (3, 3));
    assert_eq!((stats_one.shared_rejected, stats_two.shared_rejected), (0, 0));
    assert_eq!((stats_one.shared_failures, stats_two.shared_failures), (0, 0));
    // Redis holds the records under one key; no subject or session in any key name.
    let mut names: Vec<String> =
        redis::from_redis_value(redis_command(&server, redis::cmd("KEYS").arg("*")).await).unwrap();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[2], "orders:revocations");
    assert!(names[..2].iter().all(|name| name.starts_with("orders:event:") && name.len() == 13 + 64), "{names:?}");
    assert_eq!(records(&server, "orders").await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server on the PATH; .ci/run installs it")]
async fn a_replica_started_later_refuses_what_was_revoked_before() {
    let server = RedisServer::start();
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let clock = ahead();
    let first = replica(&issuer, &server, &clock).await;
    first.revoke(Revocation::subject(issuer.issuer(), "alice"));
    first.revoke(Revocation::token(issuer.issuer(), "t-1"));
    // Wait until Redis holds both, as any replica would find them.
    let started = Instant::now();
    while records(&server, "orders").await.len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(1), "stored within a second");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let later = replica(&issuer, &server, &clock).await;
    let alice = issuer.token().subject("alice").sign();
    let by_jti = issuer.token().subject("carol").claim("jti", "t-1").sign();
    let bob = issuer.token().subject("bob").sign();
    // At once: `build().await` read the set before returning.
    assert_eq!(kind(&later, &alice), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&later, &by_jti), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&later, &bob), None);
    let stats = later.revocation_stats();
    assert_eq!((stats.kept, stats.received, stats.shared_applied), (2, 0, 2));
    // Alice logs in again after the revocation: her new token passes on the new replica too.
    clock.advance(Duration::from_secs(5));
    let again = issuer.token().subject("alice").issued_at_offset(6).sign();
    assert_eq!((kind(&first, &again), kind(&later, &again)), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server on the PATH; .ci/run installs it")]
async fn forged_moved_or_stretched_records_revoke_nobody() {
    let server = RedisServer::start();
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let clock = ahead();
    let victim = replica(&issuer, &server, &clock).await;
    let bob = issuer.token().subject("bob").sign();
    let far = NumericDate::now().as_secs() + 3600;
    // Unsealed records written by someone who can write to Redis: stored and announced.
    let plain = json!({"iss": issuer.issuer(), "kind": "sub", "value": "bob"}).to_string();
    let mut unsealed = vec![0; 32];
    unsealed.extend_from_slice(&far.to_be_bytes());
    unsealed.extend_from_slice(plain.as_bytes());
    let mut add = redis::cmd("ZADD");
    add.arg("orders:revocations").arg(far).arg(&unsealed[..]).arg(far).arg(plain.as_bytes());
    redis_command(&server, &add).await;
    redis_command(&server, redis::cmd("PUBLISH").arg("orders:revocations").arg(&unsealed[..])).await;
    redis_command(&server, redis::cmd("PUBLISH").arg("orders:revocations").arg(&[0xff_u8; 5000][..])).await;
    // A replica of another API (another namespace, same secret) revokes bob there: its record,
    // moved into this API's set, does not open here.
    let billing = replica_of(&issuer, &server, "billing", SECRET, &clock).await;
    billing.revoke(Revocation::subject(issuer.issuer(), "bob"));
    // A replica with another secret writes into this API's namespace.
    let intruder = replica_of(&issuer, &server, "orders", [9; 32], &clock).await;
    intruder.revoke(Revocation::subject(issuer.issuer(), "bob"));
    let started = Instant::now();
    while records(&server, "billing").await.is_empty() || records(&server, "orders").await.len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(1), "stored within a second");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let moved = records(&server, "billing").await.remove(0);
    redis_command(&server, redis::cmd("ZADD").arg("orders:revocations").arg(far).arg(&moved[..])).await;
    redis_command(&server, redis::cmd("PUBLISH").arg("orders:revocations").arg(&moved[..])).await;
    // A genuine record of this API, for carol, with its time stretched.
    victim.revoke(Revocation::subject(issuer.issuer(), "carol"));
    let started = Instant::now();
    let genuine = loop {
        let all = records(&server, "orders").await;
        if let Some(record) = all.iter().find(|record| record.windows(5).any(|w| w == b"carol")) {
            break record.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(1), "stored within a second");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut stretched = genuine.clone();
    stretched[32..40].copy_from_slice(&(far + 86_400).to_be_bytes());
    redis_command(&server, redis::cmd("PUBLISH").arg("orders:revocations").arg(&stretched[..])).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(kind(&victim, &bob), None, "bob is revoked by nobody who holds the secret");
    // Announced: the unsealed record, the oversized one, the intruder's, the moved one (the
    // genuine carol record is applied; the stretched copy carries its seal tag, known already,
    // and is skipped unopened).
    assert_eq!(victim.revocation_stats().shared_rejected, 4);
    // A replica starting now reads the unsealed (twice: two members), the intruder's and the
    // moved record from the set, and refuses them all.
    let later = replica(&issuer, &server, &clock).await;
    assert_eq!(kind(&later, &bob), None);
    assert_eq!(kind(&later, &issuer.token().subject("carol").sign()), Some(ErrorKind::TokenRevoked));
    let stats = later.revocation_stats();
    assert_eq!((stats.shared_rejected, stats.shared_applied, stats.kept), (4, 1, 1));
    // The store's names for event tokens are MACs under the secret: someone without it cannot
    // mark a logout token as seen before it reaches this API (here the intruder, whose secret
    // differs, accepts it first; with plain hashes, this API would refuse it as a replay).
    let logout = logout_token(&issuer, "logout-9", "s9");
    let session = Revocation::session(issuer.issuer(), "s9");
    assert_eq!(intruder.accept_logout_token(&logout).await.unwrap(), session);
    assert_eq!(victim.accept_logout_token(&logout).await.unwrap(), session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server on the PATH; .ci/run installs it")]
async fn a_revocation_is_forgotten_everywhere_after_its_window() {
    let server = RedisServer::start();
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let clock = ahead();
    let (one, two) = (replica(&issuer, &server, &clock).await, replica(&issuer, &server, &clock).await);
    // Valid for an hour: past the window, only the revocation decides.
    let alice = issuer.token().subject("alice").expires_in(Duration::from_secs(3600)).sign();
    one.revoke(Revocation::subject(issuer.issuer(), "alice"));
    assert!(refused_within(&two, &alice, Duration::from_secs(1)).await.is_some());
    clock.advance(Duration::from_secs(599));
    assert_eq!((kind(&one, &alice), kind(&two, &alice)), (Some(ErrorKind::TokenRevoked), Some(ErrorKind::TokenRevoked)));
    // A replica started within the window still reads it.
    let within = replica(&issuer, &server, &clock).await;
    assert_eq!(kind(&within, &alice), Some(ErrorKind::TokenRevoked));
    clock.advance(Duration::from_secs(1));
    assert_eq!((kind(&one, &alice), kind(&two, &alice), kind(&within, &alice)), (None, None, None));
    let after = replica(&issuer, &server, &clock).await;
    assert_eq!(kind(&after, &alice), None);
    assert_eq!(after.revocation_stats().shared_applied, 0, "nothing past its time is read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server on the PATH; .ci/run installs it")]
async fn with_redis_down_each_replica_keeps_its_own_and_shares_them_when_it_is_back() {
    let mut server = RedisServer::start();
    let issuer = TestIssuer::new().with_key(TestKey::ec_p256());
    let clock = ahead();
    let (one, two) = (replica(&issuer, &server, &clock).await, replica(&issuer, &server, &clock).await);
    let (alice, bob) = (issuer.token().subject("alice").sign(), issuer.token().subject("bob").sign());
    one.revoke(Revocation::subject(issuer.issuer(), "bob"));
    assert!(refused_within(&two, &bob, Duration::from_secs(1)).await.is_some());

    server.kill();
    one.revoke(Revocation::subject(issuer.issuer(), "alice"));
    // A logout during the outage is accepted on this replica's own memory of event tokens.
    let logout = logout_token(&issuer, "logout-down", "s9");
    assert_eq!(post_logout(&one, &logout).await.0, StatusCode::OK);
    assert_eq!(post_logout(&one, &logout).await.0, StatusCode::BAD_REQUEST, "replayed to the same replica");
    assert_eq!(kind(&one, &alice), Some(ErrorKind::TokenRevoked), "applied where it was taken");
    assert_eq!(kind(&two, &bob), Some(ErrorKind::TokenRevoked), "kept what it had");
    assert_eq!(kind(&two, &alice), None, "documented: the other replica does not know yet");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(one.revocation_stats().shared_failures >= 2, "{:?}", one.revocation_stats());
    assert!(two.revocation_stats().shared_failures >= 1, "{:?}", two.revocation_stats());

    // Redis comes back empty (a crash, no save): what waited is stored and announced.
    server.restart();
    let took = refused_within(&two, &alice, Duration::from_secs(6)).await;
    println!("shared {took:?} after Redis restarted");
    assert!(took.is_some(), "the other replica learns of it once Redis is back");
    let session = issuer.token().subject("dave").claim("sid", "s9").sign();
    assert!(refused_within(&two, &session, Duration::from_secs(1)).await.is_some());
    // And a replica started now reads them from Redis, bob's too: stored before the crash and
    // lost with it, stored again by the replica that took it.
    let later = replica(&issuer, &server, &clock).await;
    assert_eq!(kind(&later, &alice), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&later, &session), Some(ErrorKind::TokenRevoked));
    assert_eq!(kind(&later, &bob), Some(ErrorKind::TokenRevoked), "repaired after the loss");
}
