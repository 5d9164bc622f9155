//! The example services end to end: each `app()` driven through its router with tokens from
//! its development issuer, asserting statuses, challenges and bodies.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: Value,
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let challenge =
        response.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Answer { status, challenge, body }
}

#[tokio::test]
async fn orders_api_follows_its_route_table() {
    let issuer = orders_api::dev::DevIssuer::new();
    let tokens = issuer.tokens();
    let (reader, writer, operator) = (&tokens[0].token, &tokens[1].token, &tokens[2].token);
    let app = orders_api::app(issuer.verifier());

    let health = call(&app, "GET", "/health", None, None).await;
    assert_eq!((health.status, health.body), (StatusCode::OK, json!({"status": "ok"})));

    let anonymous = call(&app, "GET", "/orders", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.challenge.as_deref(), Some(r#"Bearer realm="orders-api""#));

    let me = call(&app, "GET", "/me", Some(reader), None).await;
    assert_eq!(
        me.body,
        json!({"sub": "alice", "client_id": "reporting", "aud": "orders-api", "scopes": ["orders.read"], "roles": []})
    );

    let forbidden =
        call(&app, "POST", "/orders", Some(reader), Some(json!({"item": "book"}))).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(
        forbidden.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.write""#)
    );

    let created = call(&app, "POST", "/orders", Some(writer), Some(json!({"item": "book"}))).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        created.body,
        json!({"id": 1, "item": "book", "status": "pending", "created_by": "bob", "approved_by": null})
    );

    let listed = call(&app, "GET", "/orders", Some(reader), None).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));

    let not_operator = call(&app, "POST", "/orders/1/approve", Some(writer), None).await;
    assert_eq!(
        not_operator.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.approve""#)
    );

    let approved = call(&app, "POST", "/orders/1/approve", Some(operator), None).await;
    assert_eq!(approved.status, StatusCode::OK);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["approved_by"], "carol");

    let missing = call(&app, "POST", "/orders/9/approve", Some(operator), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let garbage = call(&app, "GET", "/orders", Some("not.a.token"), None).await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        garbage.challenge.as_deref(),
        Some(
            r#"Bearer error="invalid_token", error_description="the token header is not valid unpadded base64url""#
        )
    );
}

#[tokio::test]
async fn orders_api_publishes_its_metadata() {
    let issuer = orders_api::dev::DevIssuer::new();
    let app = orders_api::app(issuer.verifier_for("http://127.0.0.1:3000").unwrap());
    let document = call(&app, "GET", "/.well-known/oauth-protected-resource", None, None).await;
    assert_eq!(
        (document.status, document.body),
        (
            StatusCode::OK,
            json!({
                "resource": "http://127.0.0.1:3000",
                "authorization_servers": [orders_api::dev::ISSUER],
                "scopes_supported": ["orders.approve", "orders.read", "orders.write"],
                "bearer_methods_supported": ["header"],
                "resource_name": "orders-api",
            })
        )
    );
    // The audience stays `orders-api`; challenges point to the document.
    let reader = &issuer.tokens()[0].token;
    assert_eq!(call(&app, "GET", "/orders", Some(reader), None).await.status, StatusCode::OK);
    let denied = call(&app, "POST", "/orders", Some(reader), Some(json!({"item": "x"}))).await;
    assert_eq!(
        denied.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders.write", resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource""#)
    );
}

#[tokio::test]
async fn orders_api_banner_commands_match_the_routes() {
    let issuer = orders_api::dev::DevIssuer::new();
    let metadata = "http://127.0.0.1:3000/.well-known/oauth-protected-resource";
    let dpop = issuer.dpop_reader("http://127.0.0.1:3000/orders");
    let banner = orders_api::dev::banner(&issuer, &issuer.tokens(), &dpop, "http://127.0.0.1:3000", metadata);
    let expected: Vec<&str> = banner
        .lines()
        .filter(|l| l.starts_with("curl"))
        .filter_map(|l| l.rsplit("   # ").next())
        .collect();
    let challenge = format!(r#"401 Bearer realm="orders-api", resource_metadata="{metadata}""#);
    let replayed = format!(
        r#"401 DPoP error="invalid_dpop_proof", error_description="the DPoP proof was used before", algs="ES256 EdDSA", resource_metadata="{metadata}""#
    );
    assert_eq!(
        expected,
        ["200", "200", "200", &challenge, "200", "200", "403", "201", "403", "200", "401", "200", &replayed, "401"]
    );
    assert_eq!(banner.lines().filter(|l| l.starts_with("export ")).count(), 5);
}

#[tokio::test]
async fn blog_api_reads_typed_claims() {
    let issuer = blog_api::dev_issuer();
    let app = blog_api::app(issuer.verifier());
    let editor =
        blog_api::dev_token(&issuer, "Eddie", &["read:posts", "write:posts", "delete:posts"]);
    let reader = blog_api::dev_token(&issuer, "Rita", &["read:posts"]);
    let created =
        call(&app, "POST", "/posts", Some(&editor), Some(json!({"title": "Hello"}))).await;
    assert_eq!(
        (created.status, created.body),
        (StatusCode::CREATED, json!({"id": 1, "title": "Hello", "author": "Eddie"}))
    );
    assert_eq!(
        call(&app, "GET", "/posts", Some(&reader), None).await.body,
        json!([{"id": 1, "title": "Hello", "author": "Eddie"}])
    );
    let denied = call(&app, "DELETE", "/posts/1", Some(&reader), None).await;
    assert_eq!(
        denied.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="delete:posts""#)
    );
    assert_eq!(
        call(&app, "DELETE", "/posts/1", Some(&editor), None).await.status,
        StatusCode::NO_CONTENT
    );
    let admin_only = call(&app, "GET", "/admin/users", Some(&editor), None).await;
    assert_eq!(
        admin_only.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="admin:users""#)
    );
    let admin = blog_api::dev_token(&issuer, "Ada", &["admin:users"]);
    assert_eq!(
        call(&app, "GET", "/admin/users", Some(&admin), None).await.body,
        json!({"users": ["Ada"], "listed_for": "ada@example.com"})
    );
    // A valid token without the `name` claim does not fit the typed claims: 403, naming it.
    let nameless = issuer.token().scopes(["write:posts"]).sign();
    let answer = call(&app, "POST", "/posts", Some(&nameless), Some(json!({"title": "x"}))).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.body["error_description"],
        "the token has no `name` claim, which this resource needs"
    );
}

/// The gateway end to end over real HTTP: the caller's token forwarded to orders, exchanged
/// for shipping, each downstream telling what it saw.
#[tokio::test]
async fn gateway_forwards_to_orders_and_exchanges_for_shipping() {
    let deployment = gateway::Deployment::start().await.unwrap();
    let app = deployment.gateway.clone();
    let customer = deployment.token("alice", &["order", "shipping.write"]);
    let viewer = deployment.token("alice", &["order:item"]);
    let operator = deployment.token("alice", &["order"]);

    let items = call(&app, "GET", "/orders/7/items", Some(&viewer), None).await;
    assert_eq!(
        (items.status, items.body),
        (
            StatusCode::OK,
            json!({"service": "orders", "subject": "alice", "audience": ["internal-apis"], "scopes": ["order:item"]})
        )
    );
    let shipped = call(&app, "POST", "/orders/7/ship", Some(&customer), None).await;
    assert_eq!(
        (shipped.status, shipped.body),
        (
            StatusCode::OK,
            json!({"service": "shipping", "subject": "alice", "audience": ["shipping-api"], "scopes": ["shipping.write"]})
        )
    );
    let refused = call(&app, "POST", "/orders/7/ship", Some(&operator), None).await;
    assert_eq!(
        (refused.status, refused.body),
        (
            StatusCode::FORBIDDEN,
            json!({"error": "the authorization server refused the token exchange (`invalid_scope`)"})
        )
    );
    let denied = call(&app, "POST", "/orders/7/ship", Some(&viewer), None).await;
    assert_eq!(denied.challenge.as_deref(), Some(r#"Bearer error="insufficient_scope", scope="order""#));
    // A second shipment reuses the exchanged token: one exchange so far.
    let again = call(&app, "POST", "/orders/8/ship", Some(&customer), None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(deployment.idp.exchanges(), 2, "one for the customer, one refused for the operator");
}

#[tokio::test]
async fn multi_tenant_takes_each_tenants_tokens_on_its_own_host_only() {
    let identity = scopegate_testkit::TenantIssuerServer::start().await;
    let (acme, globex) = (identity.tenant("acme"), identity.tenant("globex"));
    let verifier = multi_tenant::verifier(&identity.base_url()).await.unwrap();
    let app = multi_tenant::app(verifier, "api.example.com");
    let sign = |issuer: &scopegate_testkit::TestIssuer| {
        issuer.token().audience(multi_tenant::AUDIENCE).subject("a1").scopes(["reports.read"]).sign()
    };
    let (acme_token, globex_token) = (sign(&acme), sign(&globex));
    let acme_host = "http://acme.api.example.com";
    let answer = call(&app, "GET", &format!("{acme_host}/reports"), Some(&acme_token), None).await;
    assert_eq!(answer.body, json!({"tenant": "acme", "reports": []}));
    let who = call(&app, "GET", "http://globex.api.example.com/whoami", Some(&globex_token), None).await;
    assert_eq!(who.body, json!({"tenant": "globex", "issuer": globex.issuer(), "sub": "a1"}));
    // Globex's token on acme's host, before or after it was cached on globex's.
    let refused = call(&app, "GET", &format!("{acme_host}/whoami"), Some(&globex_token), None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.challenge.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the token's issuer is not trusted here""#)
    );
    // Globex's claims signed with acme's key; a host that names no tenant.
    let cross = globex.token_with_key(acme.key()).audience(multi_tenant::AUDIENCE).sign();
    let answer = call(&app, "GET", "http://globex.api.example.com/whoami", Some(&cross), None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = call(&app, "GET", "http://api.example.com/whoami", Some(&acme_token), None).await;
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the request names no tenant this API serves""#)
    );
    // Two realms discovered, once each.
    assert_eq!((identity.fetches_for("acme"), identity.fetches_for("globex")), (2, 2));
}

/// `SCOPEGATE_ISSUER` plus introspection credentials: opaque tokens are introspected at the
/// discovered endpoint, JWTs keep working.
#[tokio::test]
async fn orders_api_introspects_opaque_tokens_of_a_real_issuer() {
    let server = scopegate_testkit::IssuerServer::start().await;
    let variables = std::collections::HashMap::from([
        ("SCOPEGATE_ISSUER", server.issuer().issuer().to_owned()),
        ("SCOPEGATE_AUDIENCE", server.issuer().audience().to_owned()),
        ("SCOPEGATE_INTROSPECTION_CLIENT_ID", scopegate_testkit::INTROSPECTION_CLIENT_ID.to_owned()),
        ("SCOPEGATE_INTROSPECTION_CLIENT_SECRET", scopegate_testkit::INTROSPECTION_CLIENT_SECRET.to_owned()),
    ]);
    let resource = orders_api::dev::protected_resource("http://127.0.0.1:3000").unwrap();
    let builder =
        orders_api::config::real_issuer(|name| variables.get(name).cloned(), resource, None).unwrap().unwrap();
    let app = orders_api::app(builder.build().await.unwrap());
    let opaque = server.opaque_token(server.issuer().token().subject("ola").scopes(["orders.read"]));
    let me = call(&app, "GET", "/me", Some(&opaque), None).await;
    assert_eq!((me.status, me.body["sub"].as_str()), (StatusCode::OK, Some("ola")));
    let jwt = server.issuer().token().scopes(["orders.read"]).sign();
    assert_eq!(call(&app, "GET", "/orders", Some(&jwt), None).await.status, StatusCode::OK);
    assert_eq!(server.introspections(), 1);
}

/// `SCOPEGATE_DPOP=required` with `SCOPEGATE_PUBLIC_URL`: Bearer is refused with the DPoP
/// challenge, a bound token with its proof passes; an unknown mode is a configuration error.
#[tokio::test]
async fn orders_api_requires_dpop_when_told() {
    let server = scopegate_testkit::IssuerServer::start().await;
    let variables = |mode: &str| {
        std::collections::HashMap::from([
            ("SCOPEGATE_ISSUER", server.issuer().issuer().to_owned()),
            ("SCOPEGATE_AUDIENCE", server.issuer().audience().to_owned()),
            ("SCOPEGATE_DPOP", mode.to_owned()),
            ("SCOPEGATE_PUBLIC_URL", "https://orders.example.com".to_owned()),
        ])
    };
    let resource = || orders_api::dev::protected_resource("http://127.0.0.1:3000").unwrap();
    let required = variables("required");
    let builder =
        orders_api::config::real_issuer(|name| required.get(name).cloned(), resource(), None).unwrap().unwrap();
    let app = orders_api::app(builder.build().await.unwrap());
    let client = scopegate_testkit::TestKey::ec_p256();
    let token = server.issuer().token().scopes(["orders.read"]).bound_to(&client).sign();
    let bearer = call(&app, "GET", "/orders", Some(&token), None).await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bearer.challenge.as_deref(),
        Some(r#"DPoP realm="orders-api", algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA", resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource""#)
    );
    let proof = client.dpop_proof("GET", "https://orders.example.com/orders").access_token(&token).sign();
    let request = Request::get("/orders")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.oneshot(request).await.unwrap().status(), StatusCode::OK);

    let wrong = variables("sometimes");
    let error = orders_api::config::real_issuer(|name| wrong.get(name).cloned(), resource(), None).unwrap().unwrap_err();
    assert_eq!(error.to_string(), "SCOPEGATE_DPOP is `sometimes`: use off, allowed or required");
}

/// `SCOPEGATE_TLS_CERT`, `SCOPEGATE_TLS_KEY` and `SCOPEGATE_TLS_CLIENT_CA`: the orders API over
/// real TLS, a token bound to a certificate passes with it and not with another.
#[tokio::test]
async fn orders_api_serves_https_with_client_certificates() {
    let pki = super::mtls::Pki::new();
    let dir = std::env::temp_dir().join(format!("scopegate-orders-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, contents: &str| {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let variables = std::collections::HashMap::from([
        ("SCOPEGATE_TLS_CERT", file("server.crt", pki.server.pem())),
        ("SCOPEGATE_TLS_KEY", file("server.key", pki.server.private_key_pem())),
        ("SCOPEGATE_TLS_CLIENT_CA", file("clients.crt", &pki.ca.certificate_pem())),
    ]);
    let settings = orders_api::tls::tls_settings(|name| variables.get(name).cloned()).unwrap().unwrap();
    assert!(settings.asks_for_client_certificates());
    let issuer = scopegate_testkit::TestIssuer::new().with_audience("orders-api");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(scopegate::tls::serve(listener, settings, orders_api::app(issuer.verifier())));
    let (alice, mallory) = (pki.ca.client_certificate("alice"), pki.ca.client_certificate("mallory"));
    let token = issuer.token().subject("alice").scopes(["orders.read"]).bound_to_certificate(&alice).sign();
    let bearer = || vec![("authorization", format!("Bearer {token}"))];
    let (status, _, body) = super::mtls::get_over_tls(address, pki.client(Some(&alice)), "/me", bearer()).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["sub"], "alice");
    let (status, challenge, _) = super::mtls::get_over_tls(address, pki.client(Some(&mallory)), "/orders", bearer()).await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the request's TLS client certificate is not the one the token is bound to""#)
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let wrong = std::collections::HashMap::from([("SCOPEGATE_TLS_CLIENT_CA", "clients.crt".to_owned())]);
    let error = orders_api::tls::tls_settings(|name| wrong.get(name).cloned()).unwrap().unwrap_err();
    assert_eq!(error.to_string(), "SCOPEGATE_TLS_CLIENT_CA needs SCOPEGATE_TLS_CERT and SCOPEGATE_TLS_KEY");
}

/// `SCOPEGATE_INTROSPECTION_FORMAT=jwt`: signed answers (RFC 9701) are asked for and checked;
/// an unsigned one is not used (`503`); an unknown format is a configuration error.
#[tokio::test]
async fn orders_api_asks_for_signed_introspection_answers() {
    let server = scopegate_testkit::IssuerServer::start().await;
    let variables = |format: &str| {
        std::collections::HashMap::from([
            ("SCOPEGATE_ISSUER", server.issuer().issuer().to_owned()),
            ("SCOPEGATE_AUDIENCE", server.issuer().audience().to_owned()),
            ("SCOPEGATE_INTROSPECTION_CLIENT_ID", scopegate_testkit::INTROSPECTION_CLIENT_ID.to_owned()),
            ("SCOPEGATE_INTROSPECTION_CLIENT_SECRET", scopegate_testkit::INTROSPECTION_CLIENT_SECRET.to_owned()),
            ("SCOPEGATE_INTROSPECTION_FORMAT", format.to_owned()),
        ])
    };
    let resource = || orders_api::dev::protected_resource("http://127.0.0.1:3000").unwrap();
    let jwt = variables("jwt");
    let builder = orders_api::config::real_issuer(|name| jwt.get(name).cloned(), resource(), None).unwrap().unwrap();
    let app = orders_api::app(builder.build().await.unwrap());
    let opaque = || server.opaque_token(server.issuer().token().subject("ola").scopes(["orders.read"]));
    let me = call(&app, "GET", "/me", Some(&opaque()), None).await;
    assert_eq!((me.status, me.body["sub"].as_str()), (StatusCode::OK, Some("ola")));
    server.set_signed_introspection(scopegate_testkit::SignedIntrospection::Unsigned);
    assert_eq!(call(&app, "GET", "/me", Some(&opaque()), None).await.status, StatusCode::SERVICE_UNAVAILABLE);

    let wrong = variables("xml");
    let error = orders_api::config::real_issuer(|name| wrong.get(name).cloned(), resource(), None).unwrap().unwrap_err();
    assert_eq!(error.to_string(), "SCOPEGATE_INTROSPECTION_FORMAT is `xml`: use json or jwt");
}
