//! DPoP (RFC 9449) through a real router: every proof check, every mode, nonces, replay, and
//! the exact status and `WWW-Authenticate` lines of each answer.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use scopegate::dpop::{Dpop, DpopMode, InMemoryReplayStore, Nonces};
use scopegate::{Algorithm, BearerAuthLayer, Clock, RequireScope, Verified, Verifier, scope};
use scopegate_testkit::{ManualClock, TestIssuer, TestKey};
use serde_json::json;
use tower::ServiceExt;

const PUBLIC_URL: &str = "https://api.example.com";
const HTU: &str = "https://api.example.com/orders";
const ALGS: &str = "ES256 EdDSA";

async fn orders(_: RequireScope<scope!("orders.read")>, claims: Verified) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

fn dpop(mode: DpopMode) -> Dpop {
    Dpop::new(mode, PUBLIC_URL).unwrap().algorithms([Algorithm::ES256, Algorithm::EdDSA])
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/orders", get(orders)).route_layer(BearerAuthLayer::new(verifier))
}

fn app_with(issuer: &TestIssuer, dpop: Option<Dpop>) -> Router {
    let builder = issuer.verifier_builder();
    let builder = match dpop {
        Some(dpop) => builder.dpop(dpop),
        None => builder,
    };
    app(builder.build_static().unwrap())
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    challenges: Vec<String>,
    nonce: Option<String>,
    body: String,
}

async fn send(app: &Router, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get("/orders");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let text = |value: &header::HeaderValue| value.to_str().unwrap().to_owned();
    Answer {
        status: parts.status,
        challenges: parts.headers.get_all(header::WWW_AUTHENTICATE).iter().map(text).collect(),
        nonce: parts.headers.get("dpop-nonce").map(text),
        body: String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap(),
    }
}

fn offer_bearer() -> String {
    r#"Bearer realm="api""#.to_owned()
}

fn offer_dpop() -> String {
    format!(r#"DPoP realm="api", algs="{ALGS}""#)
}

fn dpop_error(code: &str, description: &str) -> Vec<String> {
    vec![format!(r#"DPoP error="{code}", error_description="{description}", algs="{ALGS}""#)]
}

fn bad_proof(description: &str) -> Vec<String> {
    dpop_error("invalid_dpop_proof", description)
}

/// One case: a name, the request's headers, the status and the challenges expected.
struct Case {
    name: &'static str,
    headers: Vec<(&'static str, String)>,
    status: StatusCode,
    challenges: Vec<String>,
}

async fn run(app: &Router, cases: Vec<Case>) {
    for case in cases {
        let headers: Vec<(&str, &str)> =
            case.headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let answer = send(app, &headers).await;
        assert_eq!(answer.status, case.status, "{}: {}", case.name, answer.body);
        assert_eq!(answer.challenges, case.challenges, "{}", case.name);
    }
}

fn case(
    name: &'static str,
    headers: Vec<(&'static str, String)>,
    status: StatusCode,
    challenges: Vec<String>,
) -> Case {
    Case { name, headers, status, challenges }
}

fn dpop_headers(token: &str, proof: String) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("DPoP {token}")), ("dpop", proof)]
}

const OK: StatusCode = StatusCode::OK;
const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;

#[tokio::test]
async fn every_proof_check_with_its_answer() {
    let issuer = TestIssuer::new();
    let app = app_with(&issuer, Some(dpop(DpopMode::Allowed)));
    let client = TestKey::ec_p256();
    let other = TestKey::ec_p256();
    let edwards = TestKey::ed25519();
    let rsa = TestKey::rsa();
    let scoped = || issuer.token().scopes(["orders.read"]);
    let token = scoped().bound_to(&client).sign();
    let proof = || client.dpop_proof("GET", HTU).access_token(&token);
    let with = |proof: String| dpop_headers(&token, proof);
    let now = scopegate::NumericDate::now().as_secs();
    let mut private_jwk = client.dpop_jwk();
    private_jwk["d"] = json!("AAAA");
    let edwards_token = scoped().bound_to(&edwards).sign();
    let rsa_token = scoped().bound_to(&rsa).sign();
    let unbound = scoped().sign();
    let expired = scoped().bound_to(&client).expired().sign();
    let other_bound = scoped().bound_to(&other).sign();

    let cases = vec![
        case("no credentials", vec![], UNAUTHORIZED, vec![offer_bearer(), offer_dpop()]),
        case("valid proof", with(proof().sign()), OK, vec![]),
        case(
            "valid proof, scheme in lower case",
            vec![("authorization", format!("dpop {token}")), ("dpop", proof().sign())],
            OK,
            vec![],
        ),
        case(
            "Ed25519 proof",
            dpop_headers(
                &edwards_token,
                edwards.dpop_proof("GET", HTU).access_token(&edwards_token).sign(),
            ),
            OK,
            vec![],
        ),
        case("typ with application/ prefix", with(proof().header("typ", "application/dpop+jwt").sign()), OK, vec![]),
        case("htu with a query", with(proof().claim("htu", format!("{HTU}?page=2#top")).sign()), OK, vec![]),
        case(
            "htu in another normal form",
            with(proof().claim("htu", "HTTPS://API.Example.COM:443/%6Frders").sign()),
            OK,
            vec![],
        ),
        case("iat 50 s old", with(proof().issued_at(now - 50).sign()), OK, vec![]),
        case("iat 3 s ahead", with(proof().issued_at(now + 3).sign()), OK, vec![]),
        case("unbound token as Bearer", vec![("authorization", format!("Bearer {unbound}"))], OK, vec![]),
        case(
            "bound token as Bearer",
            vec![("authorization", format!("Bearer {token}"))],
            UNAUTHORIZED,
            vec![
                r#"Bearer error="invalid_token", error_description="the token is sender-constrained (`cnf`) and cannot be used as a bearer token""#.to_owned(),
                offer_dpop(),
            ],
        ),
        case(
            "Bearer token with a DPoP proof",
            vec![("authorization", format!("Bearer {unbound}")), ("dpop", proof().sign())],
            StatusCode::BAD_REQUEST,
            vec![r#"Bearer error="invalid_request", error_description="a DPoP proof came with a Bearer token; send the token with the DPoP scheme""#.to_owned()],
        ),
        case(
            "unbound token with the DPoP scheme",
            dpop_headers(&unbound, client.dpop_proof("GET", HTU).access_token(&unbound).sign()),
            UNAUTHORIZED,
            dpop_error("invalid_token", "the token is not bound to a DPoP key (`cnf.jkt`)"),
        ),
        case(
            "token bound to another key",
            dpop_headers(&other_bound, client.dpop_proof("GET", HTU).access_token(&other_bound).sign()),
            UNAUTHORIZED,
            dpop_error("invalid_token", "the DPoP proof's key is not the key the token is bound to"),
        ),
        case(
            "expired bound token",
            dpop_headers(&expired, client.dpop_proof("GET", HTU).access_token(&expired).sign()),
            UNAUTHORIZED,
            dpop_error("invalid_token", "the token has expired"),
        ),
        case(
            "DPoP scheme without a token",
            vec![("authorization", "DPoP".to_owned())],
            StatusCode::BAD_REQUEST,
            vec![r#"Bearer error="invalid_request", error_description="the Authorization header has the DPoP scheme but no token""#.to_owned()],
        ),
        case(
            "DPoP token without a proof",
            vec![("authorization", format!("DPoP {token}"))],
            UNAUTHORIZED,
            bad_proof("the DPoP token came without a DPoP proof header"),
        ),
        case(
            "two DPoP headers",
            vec![("authorization", format!("DPoP {token}")), ("dpop", proof().sign()), ("dpop", proof().sign())],
            UNAUTHORIZED,
            bad_proof("the request has more than one DPoP header"),
        ),
        case(
            "two proofs in one header",
            with(format!("{}, {}", proof().sign(), proof().sign())),
            UNAUTHORIZED,
            bad_proof("the DPoP header holds more than one proof"),
        ),
        case("not a JWS", with("abc".to_owned()), UNAUTHORIZED, bad_proof("the DPoP proof is not a compact JWS with JSON parts")),
        case(
            "larger than 8 KiB",
            with(proof().claim("pad", "x".repeat(9000)).sign()),
            UNAUTHORIZED,
            bad_proof("the DPoP proof is larger than this resource accepts"),
        ),
        case(
            "crit header",
            with(proof().header("crit", ["exp"]).sign()),
            UNAUTHORIZED,
            bad_proof("the DPoP proof uses a header extension (`crit`, `b64`)"),
        ),
        case("typ at+jwt", with(proof().header("typ", "at+jwt").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `typ` is not `dpop+jwt`")),
        case("typ missing", with(proof().without_header("typ").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `typ` is not `dpop+jwt`")),
        case("typ JWT", with(proof().header("typ", "JWT").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `typ` is not `dpop+jwt`")),
        case("alg none", with(proof().header("alg", "none").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `alg` is not one this resource accepts")),
        case("alg HS256", with(proof().header("alg", "HS256").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `alg` is not one this resource accepts")),
        case(
            "alg RS256, not on the allowlist",
            dpop_headers(&rsa_token, rsa.dpop_proof("GET", HTU).access_token(&rsa_token).sign()),
            UNAUTHORIZED,
            bad_proof("the DPoP proof's `alg` is not one this resource accepts"),
        ),
        case("alg missing", with(proof().header("alg", json!(null)).sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no `alg`")),
        case("jwk missing", with(proof().without_header("jwk").sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no `jwk` object")),
        case("jwk a string", with(proof().header("jwk", "key").sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no `jwk` object")),
        case("jwk with a private member", with(proof().header("jwk", &private_jwk).sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `jwk` is not a public signature key")),
        case(
            "jwk symmetric",
            with(proof().header("jwk", json!({"kty": "oct", "k": "c2VjcmV0"})).sign()),
            UNAUTHORIZED,
            bad_proof("the DPoP proof's `jwk` is not a public signature key"),
        ),
        case(
            "jwk of another curve than alg",
            with(proof().header("alg", "EdDSA").sign()),
            UNAUTHORIZED,
            bad_proof("the DPoP proof's `jwk` does not fit its `alg`"),
        ),
        case(
            "signed by another key",
            with(proof().sign_with(&other)),
            UNAUTHORIZED,
            bad_proof("the DPoP proof's signature does not verify with its `jwk`"),
        ),
        // The binding is checked before the signature: a proof naming another key than the
        // token's costs no signature check.
        case(
            "jwk of another key",
            with(proof().header("jwk", other.dpop_jwk()).sign()),
            UNAUTHORIZED,
            dpop_error("invalid_token", "the DPoP proof's key is not the key the token is bound to"),
        ),
        case(
            "jti of a spent proof, from another key",
            dpop_headers(&other_bound, other.dpop_proof("GET", HTU).access_token(&other_bound).jti("shared-jti").sign()),
            OK,
            vec![],
        ),
        case(
            "jti of a spent proof, same key",
            with(proof().jti("shared-jti").sign()),
            OK,
            vec![],
        ),
        case(
            "jti spent by this key",
            with(proof().jti("shared-jti").sign()),
            UNAUTHORIZED,
            bad_proof("the DPoP proof was used before"),
        ),
        case("jti a number", with(proof().claim("jti", 7).sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no usable `jti`")),
        case("jti missing", with(proof().without_claim("jti").sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no usable `jti`")),
        case("jti empty", with(proof().jti("").sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no usable `jti`")),
        case("jti too long", with(proof().jti(&"j".repeat(257)).sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no usable `jti`")),
        case("htm POST", with(proof().claim("htm", "POST").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htm` is not the request's method")),
        case("htm lower case", with(proof().claim("htm", "get").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htm` is not the request's method")),
        case("htm missing", with(proof().without_claim("htm").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htm` is not the request's method")),
        case("htu another host", with(proof().claim("htu", "https://evil.example.com/orders").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("htu http", with(proof().claim("htu", "http://api.example.com/orders").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("htu another port", with(proof().claim("htu", "https://api.example.com:8443/orders").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("htu another path", with(proof().claim("htu", "https://api.example.com/orders/7").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("htu with a trailing slash", with(proof().claim("htu", format!("{HTU}/")).sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("htu with a fragment only", with(proof().claim("htu", format!("{HTU}#x")).sign()), OK, vec![]),
        case("htu with user information", with(proof().claim("htu", "https://user@api.example.com/orders").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("htu relative", with(proof().claim("htu", "/orders").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("htu missing", with(proof().without_claim("htu").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `htu` is not the request's URI")),
        case("iat 70 s old", with(proof().issued_at(now - 70).sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `iat` is outside the accepted window")),
        case("iat 30 s ahead", with(proof().issued_at(now + 30).sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `iat` is outside the accepted window")),
        case("iat missing", with(proof().without_claim("iat").sign()), UNAUTHORIZED, bad_proof("the DPoP proof has no `iat`")),
        case("iat negative", with(proof().claim("iat", -1).sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `iat` is not a NumericDate")),
        case("iat a string", with(proof().claim("iat", "now").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `iat` is not a NumericDate")),
        case("ath missing", with(proof().without_claim("ath").sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `ath` is not the hash of the access token")),
        case(
            "ath of another token",
            with(client.dpop_proof("GET", HTU).access_token(&unbound).sign()),
            UNAUTHORIZED,
            bad_proof("the DPoP proof's `ath` is not the hash of the access token"),
        ),
        case("nonce not a string", with(proof().claim("nonce", 7).sign()), UNAUTHORIZED, bad_proof("the DPoP proof's `nonce` is not a string")),
    ];
    assert_eq!(cases.len(), 63, "every case ran");
    run(&app, cases).await;
}

/// `iat` at the edges of the window (60 s back, 5 s ahead), on a clock that does not move.
#[tokio::test]
async fn the_proof_window_edges() {
    let issuer = TestIssuer::new();
    let clock = ManualClock::now();
    let verifier = issuer
        .verifier_builder()
        .clock(clock.clone())
        .dpop(dpop(DpopMode::Allowed))
        .build_static()
        .unwrap();
    let app = app(verifier);
    let client = TestKey::ec_p256();
    let token = issuer.token().scopes(["orders.read"]).bound_to(&client).sign();
    let now = clock.now_secs();
    let at = |iat: u64| dpop_headers(&token, client.dpop_proof("GET", HTU).access_token(&token).issued_at(iat).sign());
    let outside = bad_proof("the DPoP proof's `iat` is outside the accepted window");
    run(
        &app,
        vec![
            case("60 s old", at(now - 60), OK, vec![]),
            case("61 s old", at(now - 61), UNAUTHORIZED, outside.clone()),
            case("5 s ahead", at(now + 5), OK, vec![]),
            case("6 s ahead", at(now + 6), UNAUTHORIZED, outside),
        ],
    )
    .await;
}

#[tokio::test]
async fn scopes_and_guards_answer_in_the_scheme_presented() {
    let issuer = TestIssuer::new();
    let app = app_with(&issuer, Some(dpop(DpopMode::Allowed)));
    let client = TestKey::ec_p256();
    let token = issuer.token().scopes(["orders.write"]).bound_to(&client).sign();
    let proof = client.dpop_proof("GET", HTU).access_token(&token).sign();
    let unbound = issuer.token().scopes(["orders.write"]).sign();
    run(
        &app,
        vec![
            case(
                "DPoP without the scope",
                dpop_headers(&token, proof),
                StatusCode::FORBIDDEN,
                vec![format!(r#"DPoP error="insufficient_scope", scope="orders.read", algs="{ALGS}""#)],
            ),
            case(
                "Bearer without the scope",
                vec![("authorization", format!("Bearer {unbound}"))],
                StatusCode::FORBIDDEN,
                vec![r#"Bearer error="insufficient_scope", scope="orders.read""#.to_owned()],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn required_and_off_modes() {
    let issuer = TestIssuer::new();
    let client = TestKey::ec_p256();
    let token = issuer.token().scopes(["orders.read"]).bound_to(&client).sign();
    let unbound = issuer.token().scopes(["orders.read"]).sign();
    let proof = || client.dpop_proof("GET", HTU).access_token(&token).sign();

    let required = app_with(&issuer, Some(dpop(DpopMode::Required)));
    run(
        &required,
        vec![
            case("no credentials", vec![], UNAUTHORIZED, vec![offer_dpop()]),
            case("unbound Bearer", vec![("authorization", format!("Bearer {unbound}"))], UNAUTHORIZED, vec![offer_dpop()]),
            case("bound Bearer", vec![("authorization", format!("Bearer {token}"))], UNAUTHORIZED, vec![offer_dpop()]),
            case("DPoP", dpop_headers(&token, proof()), OK, vec![]),
        ],
    )
    .await;

    for (name, off) in [("no DPoP configured", None), ("DPoP off", Some(dpop(DpopMode::Off)))] {
        let app = app_with(&issuer, off);
        let bound_bearer = vec![r#"Bearer error="invalid_token", error_description="the token is sender-constrained (`cnf`) and cannot be used as a bearer token""#.to_owned()];
        run(
            &app,
            vec![
                case(name, dpop_headers(&token, proof()), UNAUTHORIZED, vec![offer_bearer()]),
                case(name, vec![("authorization", format!("Bearer {token}"))], UNAUTHORIZED, bound_bearer),
                case(name, vec![("authorization", format!("Bearer {unbound}"))], OK, vec![]),
            ],
        )
        .await;
    }
}

#[tokio::test]
async fn a_proof_is_accepted_once() {
    let issuer = TestIssuer::new();
    let app = app_with(&issuer, Some(dpop(DpopMode::Allowed)));
    let client = TestKey::ec_p256();
    let token = issuer.token().scopes(["orders.read"]).bound_to(&client).sign();
    let proof = client.dpop_proof("GET", HTU).access_token(&token).sign();
    let first = send(&app, &[("authorization", &format!("DPoP {token}")), ("dpop", &proof)]).await;
    assert_eq!(first.status, OK);
    assert_eq!(first.body, "test-user");
    let again = send(&app, &[("authorization", &format!("DPoP {token}")), ("dpop", &proof)]).await;
    assert_eq!(again.status, UNAUTHORIZED);
    assert_eq!(again.challenges, bad_proof("the DPoP proof was used before"));
    // A new proof from the same key passes.
    let fresh = client.dpop_proof("GET", HTU).access_token(&token).sign();
    let third = send(&app, &[("authorization", &format!("DPoP {token}")), ("dpop", &fresh)]).await;
    assert_eq!(third.status, OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_64_concurrent_replays_exactly_one_passes() {
    let issuer = TestIssuer::new();
    let app = app_with(&issuer, Some(dpop(DpopMode::Allowed)));
    let client = TestKey::ec_p256();
    let token = issuer.token().scopes(["orders.read"]).bound_to(&client).sign();
    let proof = client.dpop_proof("GET", HTU).access_token(&token).sign();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (app, token, proof, barrier) = (app.clone(), token.clone(), proof.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                send(&app, &[("authorization", &format!("DPoP {token}")), ("dpop", &proof)]).await
            })
        })
        .collect();
    let mut passed = 0;
    for task in tasks {
        let answer = task.await.unwrap();
        match answer.status {
            OK => passed += 1,
            // Every other one is refused as a replay, not for any other reason.
            UNAUTHORIZED => assert_eq!(answer.challenges, bad_proof("the DPoP proof was used before")),
            other => panic!("{other}"),
        }
    }
    assert_eq!(passed, 1);
}

/// The attack: one DPoP client sends proofs as fast as it can until the replay store is full.
/// It used to answer `503` to every DPoP client from then on. Then the store forgot its oldest
/// proofs and refused any proof not newer than them, for every client of the shard: a flood
/// dated as far ahead as the verifier allows (`iat` = now + 5 s) locked honest clients out.
/// Now what the store forgets is refused only for the key that made it.
#[tokio::test]
async fn regression_a_flood_cannot_fill_the_replay_store_against_honest_clients() {
    let issuer = TestIssuer::new();
    let clock = ManualClock::now();
    let store = InMemoryReplayStore::new(256);
    let verifier = issuer.verifier_builder().clock(clock.clone());
    let app = app(verifier.dpop(dpop(DpopMode::Allowed).replay_store(store)).build_static().unwrap());
    let (flooder, honest) = (TestKey::ec_p256(), TestKey::ec_p256());
    let flooder_token = issuer.token().scopes(["orders.read"]).bound_to(&flooder).sign();
    let honest_token = issuer.token().scopes(["orders.read"]).bound_to(&honest).sign();
    let too_old = bad_proof(
        "the DPoP proof is older than this server can still check for replay; send a fresh proof",
    );
    let now = clock.now_secs();
    let mut accepted = Vec::new();
    // 200 proofs spread over the last 40 seconds, oldest first, then 800 dated 5 s ahead.
    let issued_at = |n: u64| if n < 200 { now - 40 + n / 5 } else { now + 5 };
    for n in 0..1_000u64 {
        let proof = flooder.dpop_proof("GET", HTU).access_token(&flooder_token).issued_at(issued_at(n)).sign();
        let answer = send_dpop(&app, &flooder_token, &proof).await;
        match answer.status {
            OK => accepted.push(proof),
            UNAUTHORIZED => assert_eq!(answer.challenges, too_old),
            other => panic!("proof {n}: {other}, never 503"),
        }
    }
    assert!(accepted.len() >= 100, "{} of 1,000 proofs accepted", accepted.len());
    // Honest clients keep working, several proofs a second.
    for _ in 0..3 {
        let proof = honest.dpop_proof("GET", HTU).access_token(&honest_token).issued_at(now).sign();
        assert_eq!(send_dpop(&app, &honest_token, &proof).await.status, OK);
    }
    // And no proof accepted during the flood passes twice: by memory, or by time.
    for proof in accepted {
        let answer = send_dpop(&app, &flooder_token, &proof).await;
        assert_eq!(answer.status, UNAUTHORIZED);
        let replayed = bad_proof("the DPoP proof was used before");
        assert!(answer.challenges == replayed || answer.challenges == too_old, "{:?}", answer.challenges);
    }
}

async fn send_dpop(app: &Router, token: &str, proof: &str) -> Answer {
    send(app, &[("authorization", &format!("DPoP {token}")), ("dpop", proof)]).await
}

#[tokio::test]
async fn nonces_are_demanded_issued_and_renewed() {
    let issuer = TestIssuer::new();
    let clock = ManualClock::now();
    let nonces = Nonces::new([7u8; 32]).unwrap().lifetime(Duration::from_secs(300));
    let verifier = issuer
        .verifier_builder()
        .clock(clock.clone())
        .dpop(dpop(DpopMode::Allowed).nonces(nonces))
        .build_static()
        .unwrap();
    let app = app(verifier);
    let client = TestKey::ec_p256();
    let token = issuer.token().scopes(["orders.read"]).expires_in(Duration::from_secs(3600)).bound_to(&client).sign();
    let now = || clock.now_secs();
    let request = |nonce: Option<&str>| {
        let proof = client.dpop_proof("GET", HTU).access_token(&token).issued_at(now());
        let proof = match nonce {
            Some(nonce) => proof.nonce(nonce),
            None => proof,
        };
        vec![("authorization".to_owned(), format!("DPoP {token}")), ("dpop".to_owned(), proof.sign())]
    };
    let call = |headers: Vec<(String, String)>| {
        let app = app.clone();
        async move {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            send(&app, &headers).await
        }
    };
    let needs_nonce = dpop_error("use_dpop_nonce", "this resource requires a fresh server nonce in the DPoP proof");

    let first = call(request(None)).await;
    assert_eq!(first.status, UNAUTHORIZED);
    assert_eq!(first.challenges, needs_nonce);
    let nonce = first.nonce.expect("a use_dpop_nonce answer carries DPoP-Nonce");

    let forged = call(request(Some("forged-nonce"))).await;
    assert_eq!((forged.status, forged.challenges.clone()), (UNAUTHORIZED, needs_nonce.clone()));
    assert!(forged.nonce.is_some());

    let with_nonce = call(request(Some(&nonce))).await;
    assert_eq!(with_nonce.status, OK, "{}", with_nonce.body);
    assert_eq!(with_nonce.nonce, None, "a fresh nonce is not renewed");

    clock.advance(Duration::from_secs(200));
    let renewing = call(request(Some(&nonce))).await;
    assert_eq!(renewing.status, OK);
    let renewed = renewing.nonce.expect("past half its lifetime, a new nonce comes with the answer");
    assert_ne!(renewed, nonce);

    clock.advance(Duration::from_secs(150));
    let stale = call(request(Some(&nonce))).await;
    assert_eq!((stale.status, stale.challenges), (UNAUTHORIZED, needs_nonce));
    let current = call(request(Some(&renewed))).await;
    assert_eq!(current.status, OK);
}

#[tokio::test]
async fn challenges_name_the_metadata_and_the_metadata_names_dpop() {
    let issuer = TestIssuer::new();
    let verifier = issuer
        .verifier_builder()
        .protected_resource(scopegate::ProtectedResource::new("https://api.example.com").unwrap())
        .audience(issuer.audience())
        .dpop(dpop(DpopMode::Required))
        .build_static()
        .unwrap();
    let document = verifier.protected_resource().unwrap().to_json();
    assert_eq!(document["dpop_signing_alg_values_supported"], json!(["ES256", "EdDSA"]));
    assert_eq!(document["dpop_bound_access_tokens_required"], json!(true));
    let answer = send(&app(verifier), &[]).await;
    let metadata = "https://api.example.com/.well-known/oauth-protected-resource";
    assert_eq!(
        answer.challenges,
        [format!(r#"DPoP realm="api", algs="{ALGS}", resource_metadata="{metadata}""#)]
    );
}
