//! The newer request paths, interleaved (see the `interleave` module): an introspection cache
//! hit, a DPoP request with its proof's signature reported apart, the step-up and claim-rule
//! extractors, what configuring DPoP and introspection costs a plain Bearer request that
//! uses neither, and hostile requests: a junk token with a DPoP proof whose key the attacker
//! chose (RSA 8192, RSA 4096) against a junk Bearer token. Every request is made before its batch's clock starts (a DPoP proof is a
//! signature), so the rows compare with each other, not with the `interleaved` table.
//!
//! ```text
//! cargo run --release -p scopegate-bench --bin paths [rounds, default 40]
//! ```

#![forbid(unsafe_code)]
#![allow(clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::routing::get;
use scopegate::dpop::{Dpop, DpopMode, InMemoryReplayStore};
use scopegate::remote::Introspection;
use scopegate::{
    Algorithm, BearerAuthLayer, ClaimRule, ClaimRuleDef, MaxAuthAge, RequireAcr, RequireClaim,
    Verified, Verifier, acr,
};
use scopegate_bench::interleave::{self, Contender};
use scopegate_bench::junk_dpop_proof;
use scopegate_bench::{no_auth, proof_signature_check, request};
use scopegate_testkit::{
    INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer, TestKey,
};

const ORIGIN: &str = "https://api.example.com";

/// The claim rule of the step-up row: the token's tenant is `acme`.
struct AcmeTenant;

impl ClaimRuleDef for AcmeTenant {
    fn rule() -> ClaimRule {
        ClaimRule::claim("tenant").expect("a valid path").equals("acme").named("acme-tenant")
    }
}

async fn step_up(
    _: RequireAcr<acr!("mfa")>,
    _: MaxAuthAge<3600>,
    _: RequireClaim<AcmeTenant>,
    Verified(claims): Verified,
) -> &'static str {
    if claims.subject().is_some() { "ok" } else { "no subject" }
}

async fn claims_only(Verified(claims): Verified) -> &'static str {
    if claims.subject().is_some() { "ok" } else { "no subject" }
}

fn routes(verifier: &Verifier) -> Router {
    Router::new()
        .route("/orders", get(claims_only))
        .route("/step-up", get(step_up))
        .layer(BearerAuthLayer::new(verifier.clone()))
}

fn get_with(path: &str, authorization: &str, proof: Option<String>) -> Request {
    let mut builder = Request::builder().uri(path).header(header::AUTHORIZATION, authorization);
    if let Some(proof) = proof {
        builder = builder.header("dpop", proof);
    }
    builder.body(Body::empty()).expect("request")
}

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(40);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let server = runtime.block_on(IssuerServer::start());
    let issuer = server.issuer();
    let client = TestKey::ec_p256();
    let builder = || Verifier::builder().issuer(issuer.issuer()).audience(issuer.audience());
    let plain = runtime.block_on(builder().build()).expect("verifier");
    let dpop = Dpop::new(DpopMode::Allowed, ORIGIN)
        .expect("origin")
        .algorithms([Algorithm::ES256])
        .replay_store(InMemoryReplayStore::new(4_000_000));
    let configured = runtime
        .block_on(
            builder()
                .introspection(
                    Introspection::new(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET)
                        .cache_for(Duration::from_secs(3600)),
                )
                .dpop(dpop)
                .build(),
        )
        .expect("verifier");
    let lifetime = Duration::from_secs(24 * 3600);
    let token = || issuer.token().subject("42").scopes(["orders.read"]).expires_in(lifetime);
    let bearer = format!("Bearer {}", token().sign());
    let opaque = format!("Bearer {}", server.opaque_token(token()));
    let bound = token().bound_to(&client).sign();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    let stepped_up = format!(
        "Bearer {}",
        token().claim("acr", "mfa").claim("auth_time", now).claim("tenant", "acme").sign()
    );
    let dpop_authorization = format!("DPoP {bound}");
    let proof =
        || client.dpop_proof("GET", &format!("{ORIGIN}/orders")).access_token(&bound).sign();

    // The floor under the DPoP row: one proof's ES256 signature checked alone.
    let proof_signature = proof_signature_check(&client, &proof());

    // Hostile requests, against DPoP with its default algorithms (RSA allowed), as the review
    // measured them: a junk token, with proofs made for it by keys of the attacker's choice.
    let hostile = runtime
        .block_on(builder().dpop(Dpop::new(DpopMode::Allowed, ORIGIN).expect("origin")).build())
        .expect("verifier");
    let hostile_routes = routes(&hostile);
    let junk = "junk.token.value";
    let junk_bearer = format!("Bearer {junk}");
    let junk_dpop = format!("DPoP {junk}");
    let (rsa_8192, rsa_4096) = (TestKey::rsa_8192(), TestKey::rsa_4096());
    let junk_proof = |key: &TestKey| junk_dpop_proof(key, &format!("{ORIGIN}/orders"), junk);

    let (plain_routes, configured_routes) = (routes(&plain), routes(&configured));
    let mut contenders: Vec<Contender<'_>> = vec![
        ("a_no_auth", interleave::prepared(&runtime, no_auth(), || request(&bearer))),
        (
            "b_bearer_cached",
            interleave::prepared(&runtime, plain_routes.clone(), || {
                get_with("/orders", &bearer, None)
            }),
        ),
        (
            "c_bearer_cached_dpop_introspection_on",
            interleave::prepared(&runtime, configured_routes.clone(), || {
                get_with("/orders", &bearer, None)
            }),
        ),
        (
            "d_introspection_cache_hit",
            interleave::prepared(&runtime, configured_routes.clone(), || {
                get_with("/orders", &opaque, None)
            }),
        ),
        (
            "e_dpop_cached_token",
            interleave::prepared(&runtime, configured_routes, || {
                get_with("/orders", &dpop_authorization, Some(proof()))
            }),
        ),
        ("f_dpop_proof_signature_only", interleave::bare(&proof_signature)),
        (
            "g_step_up_and_claim_rule",
            interleave::prepared(&runtime, plain_routes.clone(), || {
                get_with("/step-up", &stepped_up, None)
            }),
        ),
        (
            "h_claims_only_same_token",
            interleave::prepared(&runtime, plain_routes, || get_with("/orders", &stepped_up, None)),
        ),
        (
            "i_junk_bearer",
            interleave::prepared_answering(&runtime, hostile_routes.clone(), 401, || {
                get_with("/orders", &junk_bearer, None)
            }),
        ),
        (
            "j_junk_dpop_rsa8192_proof",
            interleave::prepared_answering(&runtime, hostile_routes.clone(), 401, || {
                get_with("/orders", &junk_dpop, Some(junk_proof(&rsa_8192)))
            }),
        ),
        (
            "k_junk_dpop_rsa4096_proof",
            interleave::prepared_answering(&runtime, hostile_routes, 401, || {
                get_with("/orders", &junk_dpop, Some(junk_proof(&rsa_4096)))
            }),
        ),
    ];
    let medians = interleave::run(&mut contenders, rounds);
    assert_eq!(server.introspections(), 1, "every measured opaque request came from the cache");
    let m = |id: &str| {
        medians.iter().find(|(name, _)| *name == id).map(|(_, ns)| *ns).expect("measured")
    };
    println!("paths: {rounds} rounds of ~2 ms batches per contender, requests made beforehand\n");
    println!("| median | time |");
    println!("|---|---|");
    for (id, ns) in &medians {
        println!("| {id} | {ns:.0} ns |");
    }
    println!();
    println!("| derived | value |");
    println!("|---|---|");
    let rows = [
        ("cache-hit overhead (b - a)", m("b_bearer_cached") - m("a_no_auth")),
        (
            "DPoP and introspection configured, on a Bearer request that uses neither (c - b, target <= 100 ns)",
            m("c_bearer_cached_dpop_introspection_on") - m("b_bearer_cached"),
        ),
        (
            "introspection cache hit over a JWT cache hit (d - c)",
            m("d_introspection_cache_hit") - m("c_bearer_cached_dpop_introspection_on"),
        ),
        (
            "DPoP request over Bearer (e - c)",
            m("e_dpop_cached_token") - m("c_bearer_cached_dpop_introspection_on"),
        ),
        (
            "DPoP, non-crypto part (e - c - f)",
            m("e_dpop_cached_token")
                - m("c_bearer_cached_dpop_introspection_on")
                - m("f_dpop_proof_signature_only"),
        ),
        (
            "RequireAcr + MaxAuthAge + RequireClaim (g - h)",
            m("g_step_up_and_claim_rule") - m("h_claims_only_same_token"),
        ),
    ];
    for (label, ns) in rows {
        println!("| {label} | {ns:.0} ns |");
    }
    let ratios = [
        (
            "junk token, RSA-8192 proof / junk Bearer (j / i, target <= 2)",
            m("j_junk_dpop_rsa8192_proof") / m("i_junk_bearer"),
        ),
        (
            "junk token, RSA-4096 proof / junk Bearer (k / i, target <= 2)",
            m("k_junk_dpop_rsa4096_proof") / m("i_junk_bearer"),
        ),
    ];
    for (label, ratio) in ratios {
        println!("| {label} | {ratio:.2} |");
    }
}
