//! Tenants resolved per request (#34), against one identity provider on 127.0.0.1 hosting
//! hundreds of tenants: each tenant's tokens only on its own host, issuers outside the pattern
//! refused without a network call, floods of made-up tenants bounded, eviction and
//! re-discovery, key rotation, Entra's shared `{tenantid}` discovery, and a resolver of the
//! application's own.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scopegate_core::{
    Error, ErrorKind, IssuerPattern, RequestFacts, Tenant, TenantFormat, TenantResolver, Tenants,
    TrustedIssuer, Verifier, VerifierBuilder,
};
use scopegate_testkit::{TenantIssuerServer, TestIssuer, TestKey};

const AUDIENCE: &str = "orders-api";

fn realms(server: &TenantIssuerServer) -> IssuerPattern {
    IssuerPattern::new(&format!("{}/realms/{{tenant}}", server.base_url())).unwrap()
}

fn builder(tenants: Tenants) -> VerifierBuilder {
    Verifier::builder().audience(AUDIENCE).tenants(tenants).refetch_cooldown(Duration::ZERO)
}

fn on(tenant: &str) -> RequestFacts<'_> {
    RequestFacts::new().tenant(Some(tenant))
}

fn token(issuer: &TestIssuer) -> String {
    issuer.token().audience(AUDIENCE).subject("alice").sign()
}

async fn kind(verifier: &Verifier, token: &str, facts: RequestFacts<'_>) -> ErrorKind {
    verifier.verify_for(token, facts).await.unwrap_err().kind()
}

#[tokio::test]
async fn hundreds_of_tenants_each_on_its_own_host_only() {
    let server = TenantIssuerServer::start().await;
    let verifier =
        builder(Tenants::pattern(realms(&server)).new_tenants(1000, 1000)).build().await.unwrap();
    let names: Vec<String> = (0..300).map(|n| format!("tenant-{n}")).collect();
    let issuers: Vec<TestIssuer> = names.iter().map(|name| server.tenant(name)).collect();
    for (name, issuer) in names.iter().zip(&issuers) {
        let claims = verifier.verify_for(&token(issuer), on(name)).await.unwrap();
        assert_eq!(claims.tenant(), Some(name.as_str()));
        assert_eq!(claims.issuer(), issuer.issuer());
    }
    // One discovery and one JWKS a tenant, however many requests.
    assert_eq!((server.discovery_fetches(), server.jwks_fetches()), (300, 300));
    let before = server.requests();
    for (n, issuer) in issuers.iter().enumerate().step_by(7) {
        let token = token(issuer);
        let other = &names[(n + 1) % names.len()];
        // Cached or not, another tenant's host refuses it, before any network call.
        assert_eq!(kind(&verifier, &token, on(other)).await, ErrorKind::UntrustedIssuer);
        assert!(verifier.verify_for(&token, on(&names[n])).await.is_ok());
        assert!(verifier.cached_for(&token, on(other)).is_none());
        assert!(verifier.cached_for(&token, on(&names[n])).is_some());
        assert_eq!(kind(&verifier, &token, on(other)).await, ErrorKind::UntrustedIssuer);
    }
    // A request that names no tenant takes no tenant's token (unless `on_any_request`).
    let token = token(&issuers[3]);
    assert!(verifier.verify_for(&token, on(&names[3])).await.is_ok());
    assert_eq!(kind(&verifier, &token, RequestFacts::new()).await, ErrorKind::UntrustedIssuer);
    assert!(verifier.cached_for(&token, RequestFacts::new()).is_none());
    assert_eq!(server.requests(), before);
    let stats = verifier.tenant_stats().unwrap();
    assert_eq!((stats.live, stats.on_probation, stats.admitted, stats.evicted), (300, 0, 300, 0));
}

#[tokio::test]
async fn issuers_outside_the_pattern_cost_no_network_call() {
    let server = TenantIssuerServer::start().await;
    let verifier = builder(Tenants::pattern(realms(&server))).build().await.unwrap();
    let base = server.base_url();
    let key = TestIssuer::new().with_key(TestKey::ec_p256());
    for iss in [
        format!("{base}/realms/a.b"),
        format!("{base}/realms/acme/extra"),
        format!("{base}/realms/"),
        format!("{base}/realms/%2e%2e"),
        format!("{base}/other/acme"),
        "https://evil.example/realms/acme".to_owned(),
        format!("{base}.evil.example/realms/acme"),
        format!("{base}/realms/{}", "a".repeat(65)),
    ] {
        let forged = key.token().issuer(&iss).audience(AUDIENCE).sign();
        assert_eq!(
            kind(&verifier, &forged, RequestFacts::new()).await,
            ErrorKind::UntrustedIssuer,
            "{iss}"
        );
    }
    // Another tenant's token on this tenant's host: refused before its keys are fetched.
    let globex = server.tenant("globex");
    assert_eq!(kind(&verifier, &token(&globex), on("acme")).await, ErrorKind::UntrustedIssuer);
    assert_eq!(server.requests(), 0);
    assert_eq!(verifier.tenant_stats().unwrap().admitted, 0);
}

#[tokio::test]
async fn a_flood_of_made_up_tenants_is_bounded_and_live_tenants_are_unaffected() {
    let server = TenantIssuerServer::start().await;
    let tenants = Tenants::pattern(realms(&server)).new_tenants(4, 2);
    let verifier = builder(tenants).build().await.unwrap();
    let acme = server.tenant("acme");
    let live_token = token(&acme);
    assert!(verifier.verify_for(&live_token, on("acme")).await.is_ok());
    let acme_fetches = server.fetches_for("acme");
    let started = Instant::now();
    let mut refused_fast = 0;
    for n in 0..2000 {
        // The attacker names the made-up tenant on the request too (a header, a path).
        let name = format!("flood-{n}");
        let made_up = acme.token().issuer(&format!("{}/realms/{name}", server.base_url()));
        let made_up = made_up.audience(AUDIENCE).sign();
        let error = verifier.verify_for(&made_up, on(&name)).await.unwrap_err();
        // Unknown tenants: their discovery answered 404 (503 now, remembered); beyond the
        // admission rate: a fast 503 with no fetch at all.
        assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable, "{error}");
        if error.message().contains("too many new tenants") {
            refused_fast += 1;
        }
        if n % 100 == 0 {
            // The live tenant is unaffected: cached, and fresh tokens verify without fetching.
            assert!(verifier.cached_for(&live_token, on("acme")).is_some());
            assert!(verifier.cached_for(&live_token, on(&name)).is_none());
            assert!(verifier.verify_for(&token(&acme), on("acme")).await.is_ok());
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = verifier.tenant_stats().unwrap();
    // Admitted: the burst and the rate over the elapsed time (one extra for the live tenant).
    let allowed = 1 + 4 + Duration::from_secs_f64(elapsed * 2.0).as_secs() + 1;
    assert!(stats.admitted <= allowed, "{} admitted in {elapsed:.1}s", stats.admitted);
    assert_eq!(refused_fast, 2000 - (stats.admitted - 1));
    assert_eq!(stats.refused_admission, refused_fast);
    // Each admitted made-up tenant cost one discovery (two URLs: OpenID, then RFC 8414).
    let admitted = usize::try_from(stats.admitted).unwrap();
    assert!(server.requests() <= 2 + 2 * admitted, "{}", server.requests());
    assert_eq!(server.fetches_for("acme"), acme_fetches);
    assert_eq!((stats.live, stats.on_probation, stats.evicted), (1, 0, 0));
    // A made-up tenant admitted once is remembered: no second discovery, and the answer says
    // so (not "too many new tenants").
    let requests = server.requests();
    let first = acme.token().issuer(&format!("{}/realms/flood-0", server.base_url()));
    let first = first.audience(AUDIENCE).sign();
    let error = verifier.verify_for(&first, on("flood-0")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable);
    assert_eq!(error.message(), "the tenant's keys could not be fetched recently; try again shortly");
    assert_eq!(server.requests(), requests);
}

#[tokio::test]
async fn live_tenants_are_bounded_and_evicted_ones_are_discovered_again() {
    let server = TenantIssuerServer::start().await;
    let tenants = Tenants::pattern(realms(&server)).max_tenants(8).new_tenants(100, 100);
    let verifier = builder(tenants).build().await.unwrap();
    let names: Vec<String> = (0..40).map(|n| format!("t{n}")).collect();
    let mut tokens = Vec::new();
    for name in &names {
        let token = token(&server.tenant(name));
        assert!(verifier.verify_for(&token, on(name)).await.is_ok());
        tokens.push(token);
    }
    let stats = verifier.tenant_stats().unwrap();
    assert!(stats.live <= 8, "{stats:?}");
    assert_eq!(stats.promoted, 40);
    assert_eq!(stats.evicted, 40 - stats.live as u64);
    // A cached token is a hit only while its tenant is live: exactly the live tenants' hit.
    let hits: Vec<bool> = (names.iter().zip(&tokens))
        .map(|(name, token)| verifier.cached_for(token, on(name)).is_some())
        .collect();
    assert_eq!(hits.iter().filter(|hit| **hit).count(), stats.live);
    // Every tenant still verifies: an evicted one is discovered again (one discovery and one
    // JWKS), a live one costs nothing.
    for (name, token) in names.iter().zip(&tokens) {
        let live = verifier.cached_for(token, on(name)).is_some();
        let before = server.fetches_for(name);
        assert!(verifier.verify_for(token, on(name)).await.is_ok(), "{name}");
        let expected = if live { 0 } else { 2 };
        assert_eq!(server.fetches_for(name) - before, expected, "{name}");
    }
    let stats = verifier.tenant_stats().unwrap();
    assert!(stats.live <= 8 && stats.promoted > 40, "{stats:?}");
}

#[tokio::test]
async fn a_tenant_whose_keys_rotate() {
    let server = TenantIssuerServer::start().await;
    let verifier = builder(Tenants::pattern(realms(&server))).build().await.unwrap();
    let old = server.tenant("acme");
    let old_token = token(&old);
    assert!(verifier.verify_for(&old_token, on("acme")).await.is_ok());
    let new = server.rotate("acme");
    // A token of the new key: an unknown `kid`, the JWKS fetched again, verified.
    assert!(verifier.verify_for(&token(&new), on("acme")).await.is_ok());
    // The withdrawn key: neither a fresh token of it nor the one cached under it passes.
    assert_eq!(kind(&verifier, &token(&old), on("acme")).await, ErrorKind::UnknownKey);
    assert!(verifier.cached_for(&old_token, on("acme")).is_none());
    assert_eq!(kind(&verifier, &old_token, on("acme")).await, ErrorKind::UnknownKey);
}

const TENANT_A: &str = "11111111-2222-4333-8444-555555555555";
const TENANT_B: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

fn entra(server: &TenantIssuerServer) -> IssuerPattern {
    IssuerPattern::new(&format!("{}/{{tenant}}/v2.0", server.base_url()))
        .unwrap()
        .format(TenantFormat::Guid)
        .tenant_claim("tid")
}

#[tokio::test]
async fn entra_tenants_share_one_discovery_with_the_tenantid_template() {
    let server = TenantIssuerServer::start().await;
    let pattern = entra(&server).shared_discovery(server.entra_common());
    let verifier = builder(Tenants::pattern(pattern).on_any_request()).build().await.unwrap();
    for tenant in [TENANT_A, TENANT_B] {
        let issuer = server.entra_tenant(tenant);
        let token = issuer.token().audience(AUDIENCE).claim("tid", tenant).sign();
        assert_eq!(verifier.verify(&token).await.unwrap().tenant(), Some(tenant));
    }
    // One discovery (the `common` document naming `{tenantid}`) and one JWKS for all tenants.
    assert_eq!((server.fetches_for("common"), server.requests()), (2, 2));
    let a = server.entra_tenant(TENANT_A);
    // `tid` must say the tenant `iss` says: a token of the shared key claiming another tenant,
    // or none, is refused.
    let mismatched = a.token().audience(AUDIENCE).claim("tid", TENANT_B).sign();
    assert_eq!(kind(&verifier, &mismatched, RequestFacts::new()).await, ErrorKind::InvalidClaim);
    let without = a.token().audience(AUDIENCE).sign();
    assert_eq!(kind(&verifier, &without, RequestFacts::new()).await, ErrorKind::InvalidClaim);
    // Tenants written otherwise than as lowercase GUIDs are not tenants.
    for other in [TENANT_B.to_uppercase(), "common".to_owned(), "organizations".to_owned()] {
        let iss = format!("{}/{other}/v2.0", server.base_url());
        let token = a.token().issuer(&iss).audience(AUDIENCE).claim("tid", other.as_str()).sign();
        assert_eq!(kind(&verifier, &token, RequestFacts::new()).await, ErrorKind::UntrustedIssuer);
    }
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn entra_tenants_discovered_one_by_one_and_unknown_ones_remembered() {
    let server = TenantIssuerServer::start().await;
    let verifier = builder(Tenants::pattern(entra(&server)).on_any_request()).build().await.unwrap();
    let a = server.entra_tenant(TENANT_A);
    assert!(verifier.verify(&a.token().audience(AUDIENCE).claim("tid", TENANT_A).sign()).await.is_ok());
    assert_eq!(server.fetches_for(TENANT_A), 1);
    // A GUID Entra does not know: its discovery answers 400; the tenant is remembered as
    // failing (503, no second fetch), and never becomes live.
    let unknown = "99999999-9999-4999-8999-999999999999";
    let stranger = a.token().issuer(&format!("{}/{unknown}/v2.0", server.base_url()));
    let token = stranger.audience(AUDIENCE).claim("tid", unknown).sign();
    for _ in 0..3 {
        assert_eq!(kind(&verifier, &token, RequestFacts::new()).await, ErrorKind::KeySourceUnavailable);
    }
    assert_eq!(server.fetches_for(unknown), 1);
    let stats = verifier.tenant_stats().unwrap();
    assert_eq!((stats.live, stats.failed, stats.on_probation), (1, 1, 0));
}

/// A resolver backed by a table, as an application's tenant database: per-tenant audiences.
struct TenantTable {
    tenants: HashMap<String, (String, String)>,
    calls: Arc<AtomicUsize>,
    down: bool,
}

impl TenantResolver for TenantTable {
    async fn resolve(&self, issuer: &str) -> Result<Option<Tenant>, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        if self.down {
            return Err(Error::new(ErrorKind::KeySourceUnavailable, "the tenant database is down"));
        }
        Ok(self.tenants.get(issuer).map(|(id, audience)| {
            Tenant::new(id, TrustedIssuer::new(issuer).audience(audience))
        }))
    }
}

fn table(server: &TenantIssuerServer, down: bool) -> (TenantTable, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let tenants = [("acme", "acme-reports"), ("globex", "globex-reports")]
        .into_iter()
        .map(|(id, audience)| {
            (server.tenant(id).issuer().to_owned(), (id.to_owned(), audience.to_owned()))
        })
        .collect();
    (TenantTable { tenants, calls: Arc::clone(&calls), down }, calls)
}

#[tokio::test]
async fn a_resolver_of_the_applications_own_with_settings_per_tenant() {
    let server = TenantIssuerServer::start().await;
    let (resolver, calls) = table(&server, false);
    let verifier = builder(Tenants::resolver(resolver)).build().await.unwrap();
    let acme = server.tenant("acme");
    // Twenty requests at once for a new tenant: one resolver call, one discovery, one JWKS.
    let token = acme.token().audience("acme-reports").sign();
    let mut waits = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (verifier, token) = (verifier.clone(), token.clone());
        waits.spawn(async move { verifier.verify_for(&token, on("acme")).await });
    }
    for result in waits.join_all().await {
        assert_eq!(result.unwrap().tenant(), Some("acme"));
    }
    assert_eq!((calls.load(Ordering::SeqCst), server.fetches_for("acme")), (1, 2));
    // Each tenant has its own audience: acme's token for globex's audience is refused.
    let wrong = acme.token().audience("globex-reports").sign();
    assert_eq!(kind(&verifier, &wrong, on("acme")).await, ErrorKind::InvalidAudience);
    assert_eq!(kind(&verifier, &token, on("globex")).await, ErrorKind::UntrustedIssuer);
    // An issuer the table does not know: 401, and the answer is remembered.
    let stranger = server.tenant("initech");
    let token = stranger.token().audience("acme-reports").sign();
    for _ in 0..3 {
        assert_eq!(kind(&verifier, &token, on("initech")).await, ErrorKind::UntrustedIssuer);
    }
    // A request naming no tenant: refused without asking (no tenant's token could pass).
    assert_eq!(kind(&verifier, &server.tenant("hooli").token().sign(), RequestFacts::new()).await, ErrorKind::UntrustedIssuer);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(server.fetches_for("initech"), 0);
}

#[tokio::test]
async fn a_resolver_that_fails_gives_503_and_is_not_asked_again_at_once() {
    let server = TenantIssuerServer::start().await;
    let (resolver, calls) = table(&server, true);
    let verifier = builder(Tenants::resolver(resolver)).build().await.unwrap();
    let token = server.tenant("acme").token().audience("acme-reports").sign();
    for _ in 0..3 {
        assert_eq!(kind(&verifier, &token, on("acme")).await, ErrorKind::KeySourceUnavailable);
    }
    assert_eq!((calls.load(Ordering::SeqCst), server.requests()), (1, 0));
}

#[tokio::test]
async fn configured_issuers_stay_trusted_beside_the_tenants() {
    let server = TenantIssuerServer::start().await;
    let admin = TestIssuer::named("https://admin.example.com").with_key(TestKey::ec_p256());
    let verifier = builder(Tenants::pattern(realms(&server)))
        .trust(TrustedIssuer::new(admin.issuer()).keys(admin.key_set()))
        .build()
        .await
        .unwrap();
    let claims = verifier.verify_for(&token(&admin), on("acme")).await.unwrap();
    assert_eq!(claims.tenant(), None);
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn bad_tenant_settings_stop_the_build() {
    let server = TenantIssuerServer::start().await;
    let host = IssuerPattern::new("https://{tenant}.example.com/").unwrap().format(TenantFormat::Name);
    let error = builder(Tenants::pattern(host)).build().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    let plain = IssuerPattern::new("http://id.example.com/realms/{tenant}").unwrap();
    let error = builder(Tenants::pattern(plain)).build().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration, "{error}");
    let error = builder(Tenants::pattern(realms(&server)).max_tenants(0)).build().await.unwrap_err();
    assert_eq!(error.message(), "`max_tenants` must be at least 1");
    let error = builder(Tenants::patterns([])).build().await.unwrap_err();
    assert_eq!(error.message(), "the tenants have no issuer pattern");
}

#[tokio::test]
async fn a_new_tenant_is_discovered_once_however_many_requests_wait() {
    let server = TenantIssuerServer::start().await;
    let verifier = builder(Tenants::pattern(realms(&server))).build().await.unwrap();
    let token = token(&server.tenant("acme"));
    let mut waits = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (verifier, token) = (verifier.clone(), token.clone());
        waits.spawn(async move { verifier.verify_for(&token, on("acme")).await.map(|claims| claims.tenant().map(str::to_owned)) });
    }
    for result in waits.join_all().await {
        assert_eq!(result.unwrap().as_deref(), Some("acme"));
    }
    assert_eq!((server.discovery_fetches(), server.jwks_fetches()), (1, 1));
    assert_eq!(verifier.tenant_stats().unwrap().admitted, 1);
}

#[tokio::test]
async fn a_discovery_document_pointing_elsewhere_is_refused() {
    let server = TenantIssuerServer::start().await;
    let verifier = builder(Tenants::pattern(realms(&server))).build().await.unwrap();
    let acme = server.tenant("acme");
    // The tenant's own document names keys on another origin (here another port of loopback:
    // an internal service, say). Nothing is fetched there, and the tenant is refused.
    let elsewhere = TenantIssuerServer::start().await;
    server.set_jwks_uri("acme", &format!("{}/realms/acme/jwks", elsewhere.base_url()));
    let error = verifier.verify_for(&token(&acme), on("acme")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::KeySourceUnavailable);
    assert_eq!((server.discovery_fetches(), elsewhere.requests()), (1, 0));
}

#[tokio::test]
async fn a_tenant_whose_discovery_failed_with_no_one_waiting_is_remembered() {
    let server = TenantIssuerServer::start().await;
    let verifier = builder(Tenants::pattern(realms(&server))).build().await.unwrap();
    let ghost = server.tenant("acme").token().issuer(&format!("{}/realms/ghost", server.base_url()));
    let ghost = ghost.audience(AUDIENCE).sign();
    // The client goes away at once: the fetch goes on in its own task, and fails (404).
    let gone = tokio::time::timeout(Duration::from_micros(1), verifier.verify_for(&ghost, on("ghost")));
    assert!(gone.await.is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fetched = server.fetches_for("ghost");
    assert!(fetched >= 1, "{fetched}");
    let error = verifier.verify_for(&ghost, on("ghost")).await.unwrap_err();
    assert_eq!(error.message(), "the tenant's keys could not be fetched recently; try again shortly");
    assert_eq!(server.fetches_for("ghost"), fetched);
    let stats = verifier.tenant_stats().unwrap();
    assert_eq!((stats.on_probation, stats.failed, stats.live), (0, 1, 0));
}

#[tokio::test]
async fn a_forgotten_tenant_is_refused_from_the_cache_and_discovered_again() {
    let server = TenantIssuerServer::start().await;
    let verifier = builder(Tenants::pattern(realms(&server))).build().await.unwrap();
    let acme = server.tenant("acme");
    let token = token(&acme);
    assert!(verifier.verify_for(&token, on("acme")).await.is_ok());
    verifier.forget_tenant(acme.issuer());
    assert!(verifier.cached_for(&token, on("acme")).is_none());
    // Offboarded at the provider too: its next token is refused after one more discovery.
    server.remove_tenant("acme");
    assert_eq!(kind(&verifier, &token, on("acme")).await, ErrorKind::KeySourceUnavailable);
    assert_eq!(server.fetches_for("acme"), 2 + 2);
    assert_eq!(verifier.tenant_stats().unwrap().live, 0);
}

#[tokio::test]
async fn several_patterns_must_not_name_the_same_tenant() {
    let server = TenantIssuerServer::start().await;
    let auth0 = IssuerPattern::new("https://{tenant}.eu.auth0.com/").unwrap();
    let open = Tenants::patterns([realms(&server), auth0.clone()]);
    let error = builder(open).build().await.unwrap_err();
    assert_eq!(
        error.message(),
        "several issuer patterns could name the same tenant: give each an `only_tenants` list, with no tenant in two lists"
    );
    let overlapping = Tenants::patterns([
        realms(&server).only_tenants(["acme", "globex"]),
        auth0.clone().only_tenants(["acme"]),
    ]);
    assert!(builder(overlapping).build().await.is_err());
    let apart = Tenants::patterns([realms(&server).only_tenants(["acme"]), auth0.only_tenants(["globex"])]);
    let verifier = builder(apart).build().await.unwrap();
    assert!(verifier.verify_for(&token(&server.tenant("acme")), on("acme")).await.is_ok());
    // A realm the list leaves out is no tenant, with no network call.
    let before = server.requests();
    assert_eq!(kind(&verifier, &token(&server.tenant("globex")), on("globex")).await, ErrorKind::UntrustedIssuer);
    assert_eq!(server.requests(), before);
}

#[tokio::test]
async fn a_dpop_bound_tenant_token_only_on_its_tenants_request() {
    use scopegate_core::DpopRequest;
    use scopegate_core::dpop::{Dpop, DpopMode};
    let server = TenantIssuerServer::start().await;
    let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com").unwrap();
    let verifier = builder(Tenants::pattern(realms(&server))).dpop(dpop).build().await.unwrap();
    let client = TestKey::ec_p256();
    let bound = server.tenant("acme").token().audience(AUDIENCE).bound_to(&client).sign();
    let proof = |path: &str| {
        client.dpop_proof("GET", &format!("https://api.example.com{path}")).access_token(&bound).sign()
    };
    let path = "/tenants/acme/orders";
    let request = |tenant| DpopRequest::new("GET", path).with_tenant(Some(tenant));
    let refused = verifier.verify_dpop(&bound, &proof(path), request("globex")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::UntrustedIssuer);
    let verified = verifier.verify_dpop(&bound, &proof(path), request("acme")).await.unwrap();
    assert_eq!(verified.claims.tenant(), Some("acme"));
}

#[tokio::test]
async fn evicted_tenants_come_back_even_when_new_ones_are_not_admitted() {
    let server = TenantIssuerServer::start().await;
    // Three admissions in all, never refilled: then no new tenant, ever.
    let tenants = Tenants::pattern(realms(&server)).max_tenants(2).new_tenants(3, 0);
    let verifier = builder(tenants).build().await.unwrap();
    let names = ["t0", "t1", "t2"];
    for name in names {
        assert!(verifier.verify_for(&token(&server.tenant(name)), on(name)).await.is_ok());
    }
    assert!(verifier.tenant_stats().unwrap().evicted >= 1);
    // Each comes back (an evicted one is discovered again without admission)...
    for _ in 0..2 {
        for name in names {
            assert!(verifier.verify_for(&token(&server.tenant(name)), on(name)).await.is_ok(), "{name}");
        }
    }
    // ...while a tenant never seen is not admitted.
    let error = verifier.verify_for(&token(&server.tenant("t3")), on("t3")).await.unwrap_err();
    assert_eq!(error.message(), "too many new tenants at once; try again shortly");
    assert_eq!(verifier.tenant_stats().unwrap().admitted, 3);
}

#[tokio::test]
async fn the_layer_passes_the_requests_tenant_to_dpop_checks() {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http::{Request, StatusCode};
    use scopegate::{BearerAuthLayer, TenantFrom};
    use scopegate_core::dpop::{Dpop, DpopMode};
    use tower::ServiceExt;

    let server = TenantIssuerServer::start().await;
    let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com").unwrap();
    let verifier = builder(Tenants::pattern(realms(&server))).dpop(dpop).build().await.unwrap();
    let layer = BearerAuthLayer::new(verifier).tenant_from(TenantFrom::path_prefix("/tenants/"));
    let app = Router::new().route("/tenants/{tenant}/orders", get(|| async { "ok" })).layer(layer);
    let client = TestKey::ec_p256();
    let bound = server.tenant("acme").token().audience(AUDIENCE).bound_to(&client).sign();
    let call = |tenant: &str| {
        let path = format!("/tenants/{tenant}/orders");
        let proof = client.dpop_proof("GET", &format!("https://api.example.com{path}")).access_token(&bound).sign();
        let request = Request::get(path)
            .header("authorization", format!("DPoP {bound}"))
            .header("dpop", proof)
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(request)
    };
    assert_eq!(call("acme").await.unwrap().status(), StatusCode::OK);
    let refused = call("globex").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"DPoP error="invalid_token", error_description="the token's issuer is not trusted here", algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA""#
    );
}
