//! gRPC answers over a real tonic server and tonic's generated clients on 127.0.0.1: every
//! refusal class as the gRPC status a client acts on (exact code, message, metadata and
//! `google.rpc.ErrorInfo` details), per-method rules with unnamed methods closed and unnamed
//! services (health) open, a streaming method refused before its first message, DPoP in gRPC
//! metadata, and REST and gRPC on one port.

use std::net::SocketAddr;
use std::time::Duration;

use http::StatusCode;
use scopegate::dpop::{Dpop, DpopMode, Nonces};
use scopegate::grpc::GrpcMethods;
use scopegate::{Algorithm, BearerAuthLayer, GuardLayer, RequireScope, RoleRequirement, ScopeRequirement, Verifier, scope};
use scopegate_testkit::{IssuerServer, TestIssuer, TestKey};
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Status};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_types::StatusExt;

/// The table of the tests: `Check` of a made-up inventory service needs `inventory.read`,
/// `SetPrice` `inventory.write` and the role `admin`; the real health service is named with
/// `Check` only, so its `Watch` is closed.
fn methods() -> GrpcMethods {
    let read = || ScopeRequirement::all_of(["inventory.read"]).unwrap();
    GrpcMethods::new()
        .method("/inventory.v1.Inventory/GetItem", read())
        .unwrap()
        .method(
            "/inventory.v1.Inventory/SetPrice",
            (ScopeRequirement::all_of(["inventory.write"]).unwrap(), RoleRequirement::new("admin")),
        )
        .unwrap()
}

/// Serves tonic-health behind the layer (optional, so that ungoverned services stay open) and
/// `rules`, on a tonic server; also a REST route on the same port.
async fn start(verifier: Verifier, rules: GrpcMethods) -> SocketAddr {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let rest = axum::Router::new().route(
        "/orders",
        axum::routing::get(|_: RequireScope<scope!("orders.read")>| async { "orders" }),
    );
    let routes = tonic::service::Routes::from(rest).add_service(health);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = Server::builder()
        .accept_http1(true)
        .layer(BearerAuthLayer::new(verifier).realm("inventory").optional())
        .layer(GuardLayer::new(rules))
        .add_routes(routes);
    tokio::spawn(server.serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)));
    address
}

async fn channel(address: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap()
}

fn with_token<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    request
}

/// A unary call to `path` with health's messages: the guard answers before routing, and a
/// call it lets through reaches tonic's router, which knows no such service (`UNIMPLEMENTED`).
async fn unary(address: SocketAddr, path: &'static str, request: Request<HealthCheckRequest>) -> Result<HealthCheckResponse, Status> {
    let mut grpc = tonic::client::Grpc::new(channel(address).await);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckResponse>::default();
    grpc.unary(request, path.parse().unwrap(), codec).await.map(tonic::Response::into_inner)
}

/// An `ErrorInfo` as compared here: reason, domain, metadata in order.
type Info = (String, String, Vec<(String, String)>);

/// What a client sees of a refusal: code, message, challenge, and the `ErrorInfo`.
fn seen(status: &Status) -> (Code, String, Option<String>, Info) {
    let challenge = status.metadata().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    let info = status.get_details_error_info().expect("ErrorInfo in grpc-status-details-bin");
    let mut metadata: Vec<_> = info.metadata.into_iter().collect();
    metadata.sort();
    (status.code(), status.message().to_owned(), challenge, (info.reason, info.domain, metadata))
}

fn info(reason: &str, metadata: &[(&str, &str)]) -> Info {
    let metadata = metadata.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    (reason.to_owned(), "scopegate".to_owned(), metadata)
}

#[tokio::test]
async fn every_refusal_is_a_grpc_status_with_its_challenge_and_details() {
    let issuer = TestIssuer::new();
    let address = start(issuer.verifier(), methods()).await;
    let get_item = "/inventory.v1.Inventory/GetItem";
    let call = |path: &'static str, token: Option<String>| async move {
        unary(address, path, with_token(HealthCheckRequest::default(), token.as_deref())).await.unwrap_err()
    };

    // No token: UNAUTHENTICATED, the challenge naming the method's scopes.
    let anonymous = call(get_item, None).await;
    assert_eq!(
        seen(&anonymous),
        (
            Code::Unauthenticated,
            "this resource needs an access token".to_owned(),
            Some(r#"Bearer realm="inventory", scope="inventory.read""#.to_owned()),
            info("MISSING_TOKEN", &[("error", "unauthorized"), ("required_scopes", "inventory.read")]),
        )
    );
    // A bad token: UNAUTHENTICATED with `invalid_token`.
    let expired = call(get_item, Some(issuer.token().scopes(["inventory.read"]).expired().sign())).await;
    assert_eq!(
        seen(&expired),
        (
            Code::Unauthenticated,
            "the token has expired".to_owned(),
            Some(r#"Bearer error="invalid_token", error_description="the token has expired""#.to_owned()),
            info("EXPIRED", &[("error", "invalid_token")]),
        )
    );
    // A missing scope: PERMISSION_DENIED naming the scopes.
    let reader = issuer.token().scopes(["inventory.read"]).sign();
    let denied = call("/inventory.v1.Inventory/SetPrice", Some(reader.clone())).await;
    let (code, message, challenge, details) = seen(&denied);
    assert_eq!(code, Code::PermissionDenied);
    assert_eq!(message, "the token lacks a scope this resource requires");
    assert_eq!(challenge.as_deref(), Some(r#"Bearer error="insufficient_scope", scope="inventory.write""#));
    assert_eq!(details, info("INSUFFICIENT_SCOPE", &[("error", "insufficient_scope"), ("required_scopes", "inventory.write")]));
    // The scope but not the role: PERMISSION_DENIED without scopes.
    let writer = issuer.token().scopes(["inventory.write"]).sign();
    let no_role = call("/inventory.v1.Inventory/SetPrice", Some(writer)).await;
    assert_eq!(no_role.code(), Code::PermissionDenied);
    assert_eq!(seen(&no_role).3, info("INSUFFICIENT_ROLE", &[("error", "insufficient_scope")]));
    // A method of the service the table does not name: closed.
    let unnamed = call("/inventory.v1.Inventory/Restock", Some(reader.clone())).await;
    assert_eq!(
        (unnamed.code(), unnamed.message()),
        (Code::PermissionDenied, "this gRPC method is not open to any token: the service's rule table does not name it")
    );
    assert_eq!(seen(&unnamed).3, info("UNLISTED_METHOD", &[("error", "insufficient_scope")]));
    // A malformed request (two tokens): INVALID_ARGUMENT.
    let mut twice = with_token(HealthCheckRequest::default(), Some(&reader));
    twice.metadata_mut().append("authorization", format!("Bearer {reader}").parse().unwrap());
    let malformed = unary(address, get_item, twice).await.unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(seen(&malformed).3 .0, "INVALID_REQUEST");
    // Allowed: the guard lets it through, and tonic's router knows no inventory service.
    let through = call(get_item, Some(reader)).await;
    assert_eq!(through.code(), Code::Unimplemented);
}

#[tokio::test]
async fn health_stays_open_and_its_unnamed_stream_is_closed_before_any_message() {
    let issuer = TestIssuer::new();
    let address = start(issuer.verifier(), methods()).await;
    let mut health = HealthClient::new(channel(address).await);
    // Not in the table: open, without a token.
    let open = health.check(HealthCheckRequest::default()).await.unwrap().into_inner();
    assert_eq!(open.status(), tonic_health::pb::health_check_response::ServingStatus::Serving);

    // Health named with `Check` only: `Watch` (server streaming) is refused in the response
    // headers, before any message.
    let rules = GrpcMethods::new().method("/grpc.health.v1.Health/Check", ScopeRequirement::all_of(["health.read"]).unwrap()).unwrap();
    let address = start(issuer.verifier(), rules).await;
    let mut health = HealthClient::new(channel(address).await);
    let token = issuer.token().scopes(["health.read"]).sign();
    let check = health.check(with_token(HealthCheckRequest::default(), Some(&token))).await;
    assert!(check.is_ok());
    let watch = health.watch(with_token(HealthCheckRequest::default(), Some(&token))).await.unwrap_err();
    assert_eq!(watch.code(), Code::PermissionDenied);
    let anonymous = health.check(HealthCheckRequest::default()).await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn unavailable_keys_are_unavailable_with_retry_after() {
    let idp = IssuerServer::start().await;
    let verifier = Verifier::builder()
        .issuer(idp.issuer().issuer())
        .audience(idp.issuer().audience())
        .fetch_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap();
    // Signed by a key the verifier has not seen: it must fetch the keys, and the identity
    // provider is gone.
    let token = idp.issuer().token_with_key(&TestKey::ec_p256()).scopes(["inventory.read"]).sign();
    idp.stop();
    let address = start(verifier, methods()).await;
    let refused = unary(address, "/inventory.v1.Inventory/GetItem", with_token(HealthCheckRequest::default(), Some(&token))).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable);
    assert_eq!(refused.message(), "the token cannot be verified right now; retry later");
    assert_eq!(refused.metadata().get("retry-after").map(|v| v.to_str().unwrap()), Some("5"));
    assert_eq!(refused.metadata().get("www-authenticate"), None);
    assert_eq!(seen_reason(&refused), "KEY_SOURCE_UNAVAILABLE");
}

fn seen_reason(status: &Status) -> String {
    status.get_details_error_info().map(|info| info.reason).unwrap_or_default()
}

#[tokio::test]
async fn dpop_travels_in_metadata_and_its_nonce_comes_back_as_metadata() {
    let issuer = TestIssuer::new();
    let nonces = Nonces::new(*b"a 32-byte secret shared by every replica").unwrap();
    let dpop = Dpop::new(DpopMode::Allowed, "https://inventory.example.com").unwrap().algorithms([Algorithm::ES256]).nonces(nonces);
    let verifier = issuer.verifier_builder().dpop(dpop).build_static().unwrap();
    let address = start(verifier, methods()).await;
    let client = TestKey::ec_p256();
    let token = issuer.token().scopes(["inventory.read"]).bound_to(&client).sign();
    let htu = "https://inventory.example.com/inventory.v1.Inventory/GetItem";
    let call = |nonce: Option<String>| {
        let mut proof = client.dpop_proof("POST", htu).access_token(&token);
        if let Some(nonce) = &nonce {
            proof = proof.nonce(nonce);
        }
        let mut request = Request::new(HealthCheckRequest::default());
        request.metadata_mut().insert("authorization", format!("DPoP {token}").parse().unwrap());
        request.metadata_mut().insert("dpop", proof.sign().parse().unwrap());
        unary(address, "/inventory.v1.Inventory/GetItem", request)
    };
    let first = call(None).await.unwrap_err();
    assert_eq!(first.code(), Code::Unauthenticated);
    assert_eq!(seen_reason(&first), "DPOP_NONCE_REQUIRED");
    let nonce = first.metadata().get("dpop-nonce").expect("a nonce in the metadata").to_str().unwrap().to_owned();
    let challenge = first.metadata().get("www-authenticate").unwrap().to_str().unwrap().to_owned();
    assert!(challenge.starts_with(r#"DPoP error="use_dpop_nonce""#), "{challenge}");
    let second = call(Some(nonce)).await.unwrap_err();
    assert_eq!(second.code(), Code::Unimplemented, "the proof and token passed: {second:?}");
}

#[tokio::test]
async fn rest_and_grpc_on_one_port_each_get_their_own_answers() {
    let issuer = TestIssuer::new();
    let address = start(issuer.verifier(), methods()).await;
    let rest = reqwest::Client::new().get(format!("http://{address}/orders")).send().await.unwrap();
    assert_eq!(rest.status().as_u16(), StatusCode::UNAUTHORIZED.as_u16());
    assert_eq!(rest.headers()["www-authenticate"], r#"Bearer realm="inventory", scope="orders.read""#);
    assert_eq!(rest.headers()["content-type"], "application/json");
    let token = issuer.token().scopes(["orders.read"]).sign();
    let ok = reqwest::Client::new().get(format!("http://{address}/orders")).bearer_auth(&token).send().await.unwrap();
    assert_eq!((ok.status().as_u16(), ok.text().await.unwrap().as_str()), (200, "orders"));
    let grpc = unary(address, "/inventory.v1.Inventory/GetItem", with_token(HealthCheckRequest::default(), None)).await.unwrap_err();
    assert_eq!(grpc.code(), Code::Unauthenticated);
}

/// Python's grpcio (another gRPC implementation, C core) reads the same code, message,
/// challenge and `ErrorInfo`. Runs `tests/grpc-client-py/check.py`; needs `pip install
/// grpcio grpcio-health-checking grpcio-status`, which `.ci/run` installs and then sets
/// `SCOPEGATE_REQUIRE_GRPCIO=1`, so that CI cannot skip it.
#[tokio::test]
async fn grpcio_reads_the_same_answers() {
    let has_grpcio = std::process::Command::new("python3")
        .args(["-c", "import grpc, grpc_health.v1.health_pb2, grpc_status.rpc_status"])
        .status()
        .is_ok_and(|status| status.success());
    if !has_grpcio {
        assert!(std::env::var_os("SCOPEGATE_REQUIRE_GRPCIO").is_none(), "grpcio is required but missing");
        eprintln!("skipped: pip install grpcio grpcio-health-checking grpcio-status");
        return;
    }
    let issuer = TestIssuer::new();
    let address = start(issuer.verifier(), methods()).await;
    let token = issuer.token().scopes(["inventory.read"]).sign();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/grpc-client-py/check.py");
    let target = address.to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").args([script, &target, &token]).output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({
                "code": "UNAUTHENTICATED",
                "details": "this resource needs an access token",
                "www-authenticate": r#"Bearer realm="inventory", scope="inventory.read""#,
                "error_info": {"reason": "MISSING_TOKEN", "domain": "scopegate", "metadata": {"error": "unauthorized", "required_scopes": "inventory.read"}},
            }),
            serde_json::json!({
                "code": "PERMISSION_DENIED",
                "details": "the token lacks a scope this resource requires",
                "www-authenticate": r#"Bearer error="insufficient_scope", scope="inventory.write""#,
                "error_info": {"reason": "INSUFFICIENT_SCOPE", "domain": "scopegate", "metadata": {"error": "insufficient_scope", "required_scopes": "inventory.write"}},
            }),
            serde_json::json!({"code": "OK"}),
        ]
    );
}

/// A health service of its own that reads the claims in its handler: `SERVING` for alice.
struct Whoami;

#[tonic::async_trait]
impl tonic_health::pb::health_server::Health for Whoami {
    async fn check(&self, request: Request<HealthCheckRequest>) -> Result<tonic::Response<HealthCheckResponse>, Status> {
        use scopegate::grpc::TonicRequestExt;
        use tonic_health::pb::health_check_response::ServingStatus;
        let claims = request.require_claims()?;
        let status = if claims.subject() == Some("alice") { ServingStatus::Serving } else { ServingStatus::NotServing };
        Ok(tonic::Response::new(HealthCheckResponse { status: status.into() }))
    }

    type WatchStream = tonic::codegen::tokio_stream::Empty<Result<HealthCheckResponse, Status>>;

    async fn watch(&self, _: Request<HealthCheckRequest>) -> Result<tonic::Response<Self::WatchStream>, Status> {
        Ok(tonic::Response::new(tonic::codegen::tokio_stream::empty()))
    }
}

/// With feature `tonic`, the layer and guard wrap one service (`NamedService`): the server
/// routes to it by name, its handler reads the claims, and paths of other services are not
/// covered by its layer.
#[tokio::test]
async fn one_service_wrapped_by_name_reads_its_claims() {
    use tower::Layer;
    let issuer = TestIssuer::new();
    let rules = GrpcMethods::new().method("/grpc.health.v1.Health/Check", ScopeRequirement::all_of(["health.read"]).unwrap()).unwrap();
    let protected = BearerAuthLayer::new(issuer.verifier())
        .layer(GuardLayer::new(rules).layer(tonic_health::pb::health_server::HealthServer::new(Whoami)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = Server::builder().add_service(protected);
    tokio::spawn(server.serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)));
    let mut health = HealthClient::new(channel(address).await);
    let status = |token: &str| {
        let mut health = health.clone();
        let request = with_token(HealthCheckRequest::default(), Some(token));
        async move { health.check(request).await.map(|answer| answer.into_inner().status()) }
    };
    use tonic_health::pb::health_check_response::ServingStatus;
    let alice = issuer.token().subject("alice").scopes(["health.read"]).sign();
    let bob = issuer.token().subject("bob").scopes(["health.read"]).sign();
    assert_eq!(status(&alice).await.unwrap(), ServingStatus::Serving);
    assert_eq!(status(&bob).await.unwrap(), ServingStatus::NotServing);
    assert_eq!(status(&issuer.token().subject("alice").sign()).await.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(health.check(HealthCheckRequest::default()).await.unwrap_err().code(), Code::Unauthenticated);
    // Another service's path is not the wrapped service's: the server does not know it, and
    // the layer never saw it.
    let other = unary(address, "/inventory.v1.Inventory/GetItem", with_token(HealthCheckRequest::default(), None)).await;
    assert_eq!(other.unwrap_err().code(), Code::Unimplemented);
}

/// A guard over a whole server with `closed_except`: a gRPC service the table does not name is
/// closed too (a service added later is not open by accident), health stays open, and REST
/// routes are not affected.
#[tokio::test]
async fn a_closed_table_refuses_services_it_does_not_name() {
    let issuer = TestIssuer::new();
    let address = start(issuer.verifier(), methods().closed_except(["grpc.health.v1.Health"])).await;
    let mut health = HealthClient::new(channel(address).await);
    assert!(health.check(HealthCheckRequest::default()).await.is_ok(), "health is open");
    let other = "/billing.v1.Billing/Charge";
    let anonymous = unary(address, other, with_token(HealthCheckRequest::default(), None)).await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let token = issuer.token().scopes(["inventory.read", "billing.charge"]).sign();
    let refused = unary(address, other, with_token(HealthCheckRequest::default(), Some(&token))).await.unwrap_err();
    assert_eq!((refused.code(), seen_reason(&refused).as_str()), (Code::PermissionDenied, "UNLISTED_METHOD"));
    // The named method still passes to the router, and REST routes keep their own rules.
    let through = unary(address, "/inventory.v1.Inventory/GetItem", with_token(HealthCheckRequest::default(), Some(&token))).await;
    assert_eq!(through.unwrap_err().code(), Code::Unimplemented);
    let rest = reqwest::Client::new().get(format!("http://{address}/orders")).send().await.unwrap();
    assert_eq!(rest.status().as_u16(), 401);
}

/// gRPC over scopegate's own TLS serving (HTTP/2 by ALPN) with client certificates: a token
/// bound to a certificate (RFC 8705) passes with it, and with another one gets
/// `UNAUTHENTICATED` naming the mismatch. The client is tonic's, over rustls.
#[tokio::test]
async fn a_certificate_bound_token_over_grpc_with_mutual_tls() {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    use tonic_health::pb::health_check_response::ServingStatus;
    use tower::Layer;
    let pki = super::mtls::Pki::new();
    let issuer = TestIssuer::new();
    let rules = GrpcMethods::new().method("/grpc.health.v1.Health/Check", ScopeRequirement::all_of(["health.read"]).unwrap()).unwrap();
    let service = BearerAuthLayer::new(issuer.verifier())
        .layer(GuardLayer::new(rules).layer(tonic_health::pb::health_server::HealthServer::new(Whoami)));
    let router = tonic::service::Routes::new(service).prepare().into_axum_router();
    let settings = scopegate::tls::TlsSettings::from_pem(pki.server.pem(), pki.server.private_key_pem())
        .unwrap()
        .request_client_certificates(pki.ca.certificate_pem())
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(scopegate::tls::serve(listener, settings, router));
    let (alice, mallory) = (pki.ca.client_certificate("alice"), pki.ca.client_certificate("mallory"));
    let token = issuer.token().subject("alice").scopes(["health.read"]).bound_to_certificate(&alice).sign();
    let client = |identity: &scopegate_testkit::TestCertificate| {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(pki.ca.certificate_pem()))
            .identity(Identity::from_pem(identity.pem(), identity.private_key_pem()))
            .domain_name("localhost");
        let endpoint = Channel::from_shared(format!("https://{address}")).unwrap().tls_config(tls).unwrap();
        let token = token.clone();
        async move {
            let mut health = HealthClient::new(endpoint.connect().await.unwrap());
            health.check(with_token(HealthCheckRequest::default(), Some(&token))).await
        }
    };
    let passed = client(&alice).await.unwrap().into_inner();
    assert_eq!(passed.status(), ServingStatus::Serving);
    let refused = client(&mallory).await.unwrap_err();
    assert_eq!(
        (refused.code(), refused.message(), seen_reason(&refused).as_str()),
        (
            Code::Unauthenticated,
            "the request's TLS client certificate is not the one the token is bound to",
            "CLIENT_CERTIFICATE_MISMATCH"
        )
    );
}
