//! Calling downstream APIs: forwarding the caller's token only to allowed origins, and RFC
//! 8693 token exchange at the test kit's token endpoint (claims of the result, refusals,
//! faults, single-flight, caching and its bound).

use std::sync::Arc;
use std::time::Duration;

use http::{Request, StatusCode};
use scopegate::dpop::{Dpop, DpopMode};
use scopegate::remote::{ExchangeRequest, TokenExchange};
use scopegate::{
    AccessToken, BearerAuthLayer, Clock, ErrorKind, ForwardTokenLayer, Rejection, Scheme, Verifier,
};
use scopegate_testkit::{
    EndpointBehaviour, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer,
    ManualClock, TestIssuer, TestKey,
};
use serde_json::Value;
use tower::{Layer, ServiceExt, service_fn};

/// A client that answers with the `Authorization` header it was given, if any.
fn echo_client() -> impl tower::Service<Request<()>, Response = Option<String>, Error = std::convert::Infallible, Future: Send> + Clone {
    service_fn(|request: Request<()>| async move {
        Ok(request.headers().get("authorization").map(|value| value.to_str().unwrap().to_owned()))
    })
}

/// What a handler behind `layer` gets as the caller's token for `request`, as the layer
/// recorded it.
async fn verified_caller(layer: BearerAuthLayer, request: Request<()>) -> Option<AccessToken> {
    let handler = service_fn(|request: Request<()>| async move {
        let mut response = http::Response::new(String::new());
        if let Some(token) = AccessToken::from_request(request.extensions(), request.headers()) {
            response.extensions_mut().insert(token);
        }
        Ok::<_, std::convert::Infallible>(response)
    });
    let response = layer.layer(handler).oneshot(request).await.unwrap();
    response.extensions().get::<AccessToken>().cloned()
}

/// A verified caller's token (`dpop`: DPoP-bound, presented with its proof), and the token.
async fn caller(dpop: bool) -> (AccessToken, String) {
    let issuer = TestIssuer::new();
    let dpop_on = Dpop::new(DpopMode::Allowed, "https://api.example.com").unwrap();
    let layer = BearerAuthLayer::new(issuer.verifier_builder().dpop(dpop_on).build_static().unwrap());
    let client = TestKey::ec_p256();
    let request = if dpop {
        let token = issuer.token().bound_to(&client).sign();
        let proof = client.dpop_proof("GET", "https://api.example.com/").access_token(&token).sign();
        let request = Request::get("/").header("authorization", format!("DPoP {token}"));
        (request.header("dpop", proof).body(()).unwrap(), token)
    } else {
        let token = issuer.token().sign();
        (Request::get("/").header("authorization", format!("Bearer {token}")).body(()).unwrap(), token)
    };
    (verified_caller(layer, request.0).await.expect("verified"), request.1)
}

/// A verified caller whose token is bound to the certificate its connection presented.
async fn certificate_bound_caller() -> AccessToken {
    let issuer = TestIssuer::new();
    let alice = scopegate_testkit::TestCertificateAuthority::new("clients").client_certificate("alice");
    let token = issuer.token().bound_to_certificate(&alice).sign();
    let mut request = Request::get("/").header("authorization", format!("Bearer {token}")).body(()).unwrap();
    request.extensions_mut().insert(scopegate::ClientCertificate::from_der(alice.der().to_vec()));
    verified_caller(BearerAuthLayer::new(issuer.verifier()), request).await.expect("verified")
}

/// The layer read the token from the cookie (DPoP off, so the `DPoP` header is another
/// scheme); the token to forward is the cookie's, never the unverified header's.
#[tokio::test]
async fn regression_the_forwarded_token_is_the_one_the_layer_verified() {
    let issuer = TestIssuer::new();
    let token = issuer.token().sign();
    let layer = BearerAuthLayer::new(issuer.verifier()).token_cookie("access_token");
    let request = Request::get("/orders")
        .header("authorization", "DPoP never.verified.token")
        .header("cookie", format!("access_token={token}"))
        .body(())
        .unwrap();
    let forwarded = verified_caller(layer.clone(), request).await.expect("a verified token");
    assert_eq!((forwarded.secret(), forwarded.scheme()), (token.as_str(), Scheme::Bearer));
    assert_eq!(forwarded.bearer_header().unwrap(), format!("Bearer {token}").as_str());
    // An anonymous request (optional layer) has no token to forward, whatever its headers say.
    let anonymous = Request::get("/").header("authorization", "Basic eDp5").body(()).unwrap();
    assert!(verified_caller(layer.optional(), anonymous).await.is_none());
}

#[tokio::test]
async fn forwarding_only_to_allowed_origins() {
    let layer = ForwardTokenLayer::new(["http://127.0.0.1:8081", "https://orders.internal", "http://plain.internal"]).unwrap();
    let client = layer.layer(echo_client());
    let (token, signed) = caller(false).await;
    assert_eq!(format!("{token:?}"), r#"AccessToken { scheme: Bearer, token: "[redacted]" }"#);
    let send = |uri: &str, token: Option<AccessToken>| {
        let mut request = Request::get(uri).body(()).unwrap();
        if let Some(token) = token {
            request.extensions_mut().insert(token);
        }
        client.clone().oneshot(request)
    };
    let bearer = Some(format!("Bearer {signed}"));
    assert_eq!(send("http://127.0.0.1:8081/orders", Some(token.clone())).await.unwrap(), bearer);
    assert_eq!(send("https://orders.internal/x", Some(token.clone())).await.unwrap(), bearer);
    assert_eq!(send("https://ORDERS.internal:443/x", Some(token.clone())).await.unwrap(), bearer);
    // http's default port, said or not, on both sides.
    assert_eq!(send("http://plain.internal/x", Some(token.clone())).await.unwrap(), bearer);
    assert_eq!(send("http://plain.internal:80/x", Some(token.clone())).await.unwrap(), bearer);
    for elsewhere in [
        "http://127.0.0.1:8082/orders",
        "https://127.0.0.1:8081/orders",
        "http://orders.internal/x",
        "https://orders.internal.evil.com/x",
        "/relative",
    ] {
        assert_eq!(send(elsewhere, Some(token.clone())).await.unwrap(), None, "{elsewhere}");
    }
    // A redirect follower outside the layer re-sends the original request to the new
    // location: each hop is checked, so the token does not follow to another origin.
    let mut hops = Vec::new();
    for location in ["http://127.0.0.1:8081/start", "https://evil.example.com/steal"] {
        hops.push(send(location, Some(token.clone())).await.unwrap());
    }
    assert_eq!(hops, [bearer.clone(), None]);
    // No token, no header; a DPoP-bound token is never sent as a bearer token.
    assert_eq!(send("http://127.0.0.1:8081/orders", None).await.unwrap(), None);
    let (dpop, _) = caller(true).await;
    assert_eq!((dpop.scheme(), token.scheme()), (Scheme::Dpop, Scheme::Bearer));
    assert_eq!(send("http://127.0.0.1:8081/orders", Some(dpop.clone())).await.unwrap(), None);
    assert_eq!(dpop.bearer_header().unwrap_err().kind(), ErrorKind::SenderConstrained);
    // Nor is a token bound to the caller's TLS certificate (RFC 8705), which this API cannot
    // present downstream.
    let bound = certificate_bound_caller().await;
    assert_eq!(send("http://127.0.0.1:8081/orders", Some(bound.clone())).await.unwrap(), None);
    let error = bound.bearer_header().unwrap_err();
    assert_eq!(
        (error.kind(), error.message()),
        (
            ErrorKind::SenderConstrained,
            "a token bound to the caller's TLS certificate cannot be forwarded (nor exchanged: \
             this API cannot present the caller's certificate)"
        )
    );
    assert!(ForwardTokenLayer::new(["https://orders.internal/path"]).is_err());
    assert!(ForwardTokenLayer::new(["orders.internal"]).is_err());
}

/// The forwarding service is ready when, and only when, the client it wraps is.
#[test]
fn forwarding_waits_for_the_client_it_wraps() {
    struct NeverReady;
    impl tower::Service<Request<()>> for NeverReady {
        type Response = ();
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<(), std::convert::Infallible>>;
        fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Pending
        }
        fn call(&mut self, _: Request<()>) -> Self::Future {
            std::future::ready(Ok(()))
        }
    }
    let mut forwarding = ForwardTokenLayer::new(["https://orders.internal"]).unwrap().layer(NeverReady);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(tower::Service::poll_ready(&mut forwarding, &mut context).is_pending());
}

async fn gateway(server: &IssuerServer, exchange: TokenExchange, clock: Option<ManualClock>) -> Verifier {
    let builder = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience(server.issuer().audience())
        .token_exchange(exchange)
        .fetch_timeout(Duration::from_millis(500));
    let builder = match clock {
        Some(clock) => builder.clock(clock),
        None => builder,
    };
    builder.build().await.unwrap()
}

fn exchange() -> TokenExchange {
    TokenExchange::new(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET)
}

fn payload(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn an_exchanged_token_is_narrower_and_never_longer() {
    let server = IssuerServer::start().await;
    let verifier = gateway(&server, exchange(), None).await;
    let caller = server
        .issuer()
        .token()
        .subject("ada")
        .scopes(["orders.read", "shipping.write"])
        .expires_in(Duration::from_secs(120))
        .sign();
    let shipping = ExchangeRequest::audience("shipping-api").scopes(["shipping.write"]);
    let token = verifier.exchange(&caller, &shipping).await.unwrap();
    assert!(format!("{token:?}").contains("[redacted]") && !format!("{token:?}").contains(token.access_token()));
    assert_eq!((token.token_type(), token.scope()), ("Bearer", Some("shipping.write")));
    // What the shipping API sees, verified as it would.
    let downstream = Verifier::builder()
        .issuer(server.issuer().issuer())
        .audience("shipping-api")
        .keys(server.issuer().key_set())
        .build_static()
        .unwrap();
    let claims = downstream.verify(token.access_token()).await.unwrap();
    assert_eq!(claims.subject(), Some("ada"));
    assert_eq!(claims.scopes().iter().collect::<Vec<_>>(), ["shipping.write"]);
    assert_eq!(claims.client_id(), Some(INTROSPECTION_CLIENT_ID));
    let caller_exp = payload(&caller)["exp"].as_u64().unwrap();
    assert!(claims.expires_at().unwrap().as_secs() <= caller_exp);
    assert!(token.expires_at() <= caller_exp);
    assert_eq!(payload(token.access_token())["act"]["sub"], INTROSPECTION_CLIENT_ID);
    // The caller's token does not work at shipping, and the exchanged one not at the gateway.
    assert_eq!(downstream.verify(&caller).await.unwrap_err().kind(), ErrorKind::InvalidAudience);
    assert_eq!(verifier.verify(token.access_token()).await.unwrap_err().kind(), ErrorKind::InvalidAudience);
}

#[tokio::test]
async fn refusals_and_faults_are_typed() {
    let server = IssuerServer::start().await;
    let verifier = gateway(&server, exchange(), None).await;
    let caller = server.issuer().token().scopes(["orders.read"]).sign();
    let too_much = ExchangeRequest::audience("shipping-api").scopes(["shipping.write"]);
    let refused = verifier.exchange(&caller, &too_much).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::TokenExchangeRefused);
    assert_eq!(refused.message(), "the authorization server refused the token exchange (`invalid_scope`)");
    assert_eq!(Rejection::from_error(refused).status(), StatusCode::FORBIDDEN);
    // A bound token cannot be exchanged by this API (it cannot prove the key or present the
    // certificate): refused for that, before the authorization server is asked.
    let alice = scopegate_testkit::TestCertificateAuthority::new("clients").client_certificate("alice");
    let calls = server.exchanges();
    for bound in [
        server.issuer().token().scopes(["orders.read"]).bound_to_certificate(&alice).sign(),
        server.issuer().token().scopes(["orders.read"]).bound_to(&TestKey::ec_p256()).sign(),
    ] {
        let refused = verifier.exchange(&bound, &too_much).await.unwrap_err();
        assert_eq!(
            (refused.kind(), refused.message()),
            (
                ErrorKind::TokenExchangeRefused,
                "a sender-constrained (DPoP- or certificate-bound) token cannot be exchanged by \
                 this API: it cannot prove the caller's key or present its certificate"
            )
        );
    }
    assert_eq!(server.exchanges(), calls);
    let no_target = ExchangeRequest::default().scopes(["orders.read"]);
    let refused = verifier.exchange(&caller, &no_target).await.unwrap_err();
    assert_eq!(refused.message(), "the authorization server refused the token exchange (`invalid_target`)");

    for behaviour in [EndpointBehaviour::Status(503), EndpointBehaviour::Hang, EndpointBehaviour::Reset, EndpointBehaviour::Body(b"<html>".to_vec())] {
        server.set_token_endpoint_behaviour(behaviour.clone());
        let request = ExchangeRequest::audience(format!("api-{behaviour:?}")).scopes(["orders.read"]);
        let error = verifier.exchange(&caller, &request).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TokenExchangeUnavailable, "{behaviour:?}");
        assert_eq!(Rejection::from_error(error).status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    server.set_token_endpoint_behaviour(EndpointBehaviour::Serve);
    // Wrong credentials: the API's configuration, so 503 (and an error log), not 403.
    let wrong = gateway(&server, TokenExchange::new(INTROSPECTION_CLIENT_ID, "wrong"), None).await;
    let request = ExchangeRequest::audience("shipping-api");
    assert_eq!(wrong.exchange(&caller, &request).await.unwrap_err().kind(), ErrorKind::TokenExchangeUnavailable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_requests_make_one_exchange() {
    let server = IssuerServer::start().await;
    let verifier = gateway(&server, exchange(), None).await;
    let caller = Arc::new(server.issuer().token().scopes(["shipping.write"]).sign());
    server.set_token_endpoint_behaviour(EndpointBehaviour::Hold);
    let request = ExchangeRequest::audience("shipping-api").scopes(["shipping.write"]);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (verifier, caller, request) = (verifier.clone(), Arc::clone(&caller), request.clone());
            tokio::spawn(async move { verifier.exchange(&caller, &request).await })
        })
        .collect();
    server.wait_for_token_requests(1).await;
    // Every other request has joined the one exchange before the endpoint answers (waited on
    // by count, not by sleeping).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while verifier.exchange_stats()[0].joined < 99 {
        assert!(std::time::Instant::now() < deadline, "{:?}", verifier.exchange_stats());
        tokio::task::yield_now().await;
    }
    server.release_token_endpoint();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap().access_token().to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1);
    assert_eq!(server.exchanges(), 1);
    println!("100 concurrent exchanges of one caller token: {} call(s)", server.exchanges());
}

#[tokio::test]
async fn cached_until_near_expiry_then_renewed_and_bounded() {
    let server = IssuerServer::start().await;
    server.set_exchanged_token_lifetime(60);
    let clock = ManualClock::at_secs(scopegate::NumericDate::now().as_secs());
    let verifier = gateway(&server, exchange().cache_entries(2), Some(clock.clone())).await;
    let caller = server.issuer().token().scopes(["a", "b", "c", "d"]).expires_in(Duration::from_secs(3600)).sign();
    let request = ExchangeRequest::audience("shipping-api").scopes(["a"]);
    let first = verifier.exchange(&caller, &request).await.unwrap();
    let again = verifier.exchange(&caller, &request).await.unwrap();
    assert_eq!(first.access_token(), again.access_token());
    assert_eq!(server.exchanges(), 1);
    // 60 s tokens (59 if the server's second ticked before it answered), renewed 30 s before
    // they expire.
    clock.advance(Duration::from_secs(28));
    verifier.exchange(&caller, &request).await.unwrap();
    assert_eq!(server.exchanges(), 1);
    clock.advance(Duration::from_secs(3));
    let renewed = verifier.exchange(&caller, &request).await.unwrap();
    assert_eq!(server.exchanges(), 2);
    assert!(renewed.expires_at() >= clock.now_secs());
    for scope in ["b", "c", "d"] {
        verifier.exchange(&caller, &ExchangeRequest::audience("shipping-api").scopes([scope])).await.unwrap();
    }
    let stats = &verifier.exchange_stats()[0];
    assert!(stats.cached <= 2, "{stats:?}");
    assert_eq!((stats.calls, stats.hits, stats.failures), (5, 2, 0));
}

#[tokio::test]
async fn a_revoked_callers_exchanged_token_is_dropped() {
    let server = IssuerServer::start().await;
    let verifier = gateway(&server, exchange(), None).await;
    let caller = server.issuer().token().subject("ada").scopes(["a"]).sign();
    let bystander = server.issuer().token().subject("bob").scopes(["a"]).sign();
    let request = ExchangeRequest::audience("shipping-api").scopes(["a"]);
    verifier.exchange(&caller, &request).await.unwrap();
    verifier.exchange(&bystander, &request).await.unwrap();
    assert_eq!(verifier.exchange_stats()[0].cached, 2);
    verifier.revoke(scopegate::Revocation::subject(server.issuer().issuer(), "ada"));
    let error = verifier.exchange(&caller, &request).await.unwrap_err();
    assert_eq!((error.kind(), error.to_string()), (ErrorKind::TokenRevoked, "the token was revoked".to_owned()));
    assert_eq!(verifier.exchange_stats()[0].cached, 1, "ada's exchanged token is gone");
    verifier.exchange(&bystander, &request).await.unwrap();
    assert_eq!(server.exchanges(), 2, "bob's comes from the cache");
}

/// A real redirect, over real HTTP: the allowed server answers `302` to another origin, and a
/// redirect follower outside the layer (it keeps the request's extensions, the token with them)
/// sends the request there. The token reaches the allowed origin only; a control run that also
/// allows the second origin shows the token would have followed.
#[tokio::test]
async fn a_redirect_to_another_origin_does_not_carry_the_token() {
    use std::sync::{Arc, Mutex};

    use axum::response::IntoResponse;
    use http_body_util::Empty;
    use hyper::body::Bytes;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use tower::Service;

    type Seen = Arc<Mutex<Vec<Option<String>>>>;
    async fn serve(host: &str, then: Option<String>, seen: Seen) -> String {
        let listener = tokio::net::TcpListener::bind(format!("{host}:0")).await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(move |headers: http::HeaderMap| {
            let (seen, then) = (Arc::clone(&seen), then.clone());
            async move {
                let authorization = headers.get("authorization").map(|value| value.to_str().unwrap().to_owned());
                seen.lock().unwrap().push(authorization);
                match then {
                    Some(location) => (StatusCode::FOUND, [(http::header::LOCATION, location)]).into_response(),
                    None => StatusCode::OK.into_response(),
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        origin
    }

    let (token, signed) = caller(false).await;
    let stolen: Seen = Arc::default();
    let elsewhere = serve("127.0.0.2", None, Arc::clone(&stolen)).await;
    let allowed_seen: Seen = Arc::default();
    let allowed = serve("127.0.0.1", Some(format!("{elsewhere}/steal")), Arc::clone(&allowed_seen)).await;

    // Follows up to 3 redirects, re-sending with the original extensions (the worst case).
    async fn follow<S>(mut client: S, token: AccessToken, mut uri: String) -> StatusCode
    where
        S: Service<Request<Empty<Bytes>>, Response = http::Response<hyper::body::Incoming>> + Clone,
        S::Error: std::fmt::Debug,
    {
        for _ in 0..3 {
            let mut request = Request::get(&uri).body(Empty::<Bytes>::new()).unwrap();
            request.extensions_mut().insert(token.clone());
            let response = client.ready().await.unwrap().call(request).await.unwrap();
            match response.headers().get(http::header::LOCATION) {
                Some(location) if response.status().is_redirection() => uri = location.to_str().unwrap().to_owned(),
                _ => return response.status(),
            }
        }
        panic!("too many redirects");
    }
    let http = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let client = ForwardTokenLayer::new([allowed.as_str()]).unwrap().layer(http.clone());
    assert_eq!(follow(client, token.clone(), format!("{allowed}/start")).await, StatusCode::OK);
    let bearer = Some(format!("Bearer {signed}"));
    assert_eq!(*allowed_seen.lock().unwrap(), std::slice::from_ref(&bearer));
    assert_eq!(*stolen.lock().unwrap(), [None], "the token followed the redirect");

    // Control: with the second origin allowed too, the same follower carries it there.
    let both = ForwardTokenLayer::new([allowed.as_str(), elsewhere.as_str()]).unwrap().layer(http);
    assert_eq!(follow(both, token, format!("{allowed}/start")).await, StatusCode::OK);
    assert_eq!(stolen.lock().unwrap().last(), Some(&bearer));
}
