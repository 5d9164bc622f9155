//! A real client's whole login to the example MCP server, with no identity provider but the
//! development authorization server of the test kit: `401` naming the scope, RFC 9728
//! metadata, RFC 8414 metadata, RFC 7591 registration, authorization with PKCE, a token bound
//! to the MCP server by RFC 8707 `resource`, a tool call, a `403` naming one more scope, a
//! second authorization with both scopes, and a rotated refresh token. Then what the
//! authorization server refuses: every way a code, a redirect or a refresh could be misused.

use std::collections::HashMap;
use std::net::SocketAddr;

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use scopegate_testkit::{DevAuthorizationServer, access_token_hash};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-pkce-code-verifier-of-at-least-forty-three-characters-0123456789";

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

/// One HTTP request to `url` (on 127.0.0.1).
async fn call(method: Method, url: &str, headers: &[(&str, &str)], body: String) -> Answer {
    let uri: http::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::builder().method(method).uri(uri.path_and_query().unwrap().as_str()).header("host", authority);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender.send_request(request.body(Full::new(Bytes::from(body))).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer { status: parts.status, headers: parts.headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) }
}

async fn form(url: &str, pairs: &[(&str, &str)]) -> Answer {
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(pairs);
    call(Method::POST, url, &[("content-type", "application/x-www-form-urlencoded")], body.finish()).await
}

/// The example MCP server trusting a development authorization server.
async fn serve() -> (String, DevAuthorizationServer) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let resource = format!("http://{address}/mcp");
    let scopes = mcp_server::scopes().unwrap();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let server = DevAuthorizationServer::start(&resource, &scopes).await;
    let (_, verifier, downstream) = mcp_server::dev::with_login(&server, &format!("http://{address}")).unwrap();
    let app = mcp_server::app_with(verifier, Some(downstream)).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (resource, server)
}

async fn mcp(resource: &str, token: Option<&str>, tool: &str, arguments: Value) -> Answer {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("content-type", "application/json"), ("accept", "application/json, text/event-stream")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    call(Method::POST, resource, &headers, body.to_string()).await
}

/// The `name` parameter of a challenge.
fn parameter<'a>(challenge: &'a str, name: &str) -> Option<&'a str> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    challenge.get(start..).and_then(|rest| rest.split('"').next())
}

/// The query parameters of a redirect's `Location`.
fn redirected(answer: &Answer) -> HashMap<String, String> {
    assert_eq!(answer.status, StatusCode::FOUND, "{:?}", answer.body);
    let location = answer.header("location").unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let query = location.split_once('?').map(|(_, query)| query).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

async fn register(server: &DevAuthorizationServer) -> String {
    let metadata = json!({"redirect_uris": [REDIRECT], "client_name": "suite", "token_endpoint_auth_method": "none"});
    let answer = call(Method::POST, &format!("{}/register", server.url()), &[("content-type", "application/json")], metadata.to_string()).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["client_id"].as_str().unwrap().to_owned()
}

/// The authorization endpoint's answer to these parameters (PKCE S256 of [`VERIFIER`] unless
/// overridden).
async fn authorize(server: &DevAuthorizationServer, overrides: &[(&str, &str)]) -> Answer {
    let challenge = access_token_hash(VERIFIER);
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("state", "s-123"),
    ];
    for (name, value) in overrides {
        pairs.retain(|(kept, _)| kept != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    call(Method::GET, &format!("{}/authorize?{}", server.url(), query.finish()), &[], String::new()).await
}

async fn code_for(server: &DevAuthorizationServer, client: &str, resource: &str, scope: &str) -> String {
    let answer = authorize(server, &[("client_id", client), ("resource", resource), ("scope", scope)]).await;
    let back = redirected(&answer);
    assert_eq!(back.get("state").map(String::as_str), Some("s-123"));
    assert_eq!(back.get("iss"), Some(&server.url()), "RFC 9207");
    back["code"].clone()
}

async fn exchange(server: &DevAuthorizationServer, client: &str, code: &str, resource: &str) -> Answer {
    let pairs = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT), ("client_id", client), ("code_verifier", VERIFIER), ("resource", resource)];
    form(&format!("{}/token", server.url()), &pairs).await
}

#[tokio::test]
async fn a_client_logs_in_steps_up_and_refreshes() {
    let (resource, server) = serve().await;
    // 401: where to learn more, and what to ask for.
    let refused = mcp(&resource, None, "list_orders", json!({})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let challenge = refused.header("www-authenticate").unwrap().to_owned();
    assert_eq!(parameter(&challenge, "scope"), Some("orders.read"));
    let document = call(Method::GET, parameter(&challenge, "resource_metadata").unwrap(), &[], String::new()).await.body;
    assert_eq!(document["resource"], resource.as_str());
    assert_eq!(document["authorization_servers"], json!([server.url()]));
    let metadata = call(Method::GET, &format!("{}/.well-known/oauth-authorization-server", server.url()), &[], String::new()).await.body;
    assert_eq!(metadata["issuer"], server.url().as_str());
    assert_eq!(metadata["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    assert_eq!(metadata["registration_endpoint"], format!("{}/register", server.url()).as_str());
    assert_eq!(metadata["scopes_supported"], document["scopes_supported"]);

    // Register, authorize for the scope the 401 named, exchange.
    let client = register(&server).await;
    let code = code_for(&server, &client, &resource, "orders.read").await;
    let granted = exchange(&server, &client, &code, &resource).await;
    assert_eq!((granted.status, &granted.body["scope"]), (StatusCode::OK, &json!("orders.read")));
    assert_eq!(granted.header("cache-control"), Some("no-store"));
    assert_eq!(granted.body.get("refresh_token"), None, "no offline_access asked for");
    let token = granted.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(mcp(&resource, Some(&token), "list_orders", json!({})).await.status, StatusCode::OK);

    // 403 names one more scope; the client asks for both (SEP-2350: it keeps what it had).
    let refused = mcp(&resource, Some(&token), "create_order", json!({"item": "book"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let challenge = refused.header("www-authenticate").unwrap().to_owned();
    assert_eq!((parameter(&challenge, "error"), parameter(&challenge, "scope")), (Some("insufficient_scope"), Some("orders.write")));
    let refused = mcp(&resource, Some(&token), "ship_order", json!({"id": 1})).await;
    let challenge = refused.header("www-authenticate").unwrap().to_owned();
    assert_eq!((refused.status, parameter(&challenge, "scope")), (StatusCode::FORBIDDEN, Some("orders.write shipping.write")));
    let code = code_for(&server, &client, &resource, "orders.read orders.write shipping.write offline_access").await;
    let stepped_up = exchange(&server, &client, &code, &resource).await;
    let token = stepped_up.body["access_token"].as_str().unwrap().to_owned();
    let created = mcp(&resource, Some(&token), "create_order", json!({"item": "book"})).await;
    assert_eq!(created.status, StatusCode::OK);
    let text = created.body["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap()["caller"], scopegate_testkit::DEV_SUBJECT);
    assert_eq!(mcp(&resource, Some(&token), "list_orders", json!({})).await.status, StatusCode::OK);

    // A tool that calls another API: the caller's token exchanged (RFC 8693) for the shipping
    // API's, which sees the user and the MCP server that asked for it.
    let shipped = mcp(&resource, Some(&token), "ship_order", json!({"id": 1})).await;
    assert_eq!(shipped.status, StatusCode::OK, "{}", shipped.body);
    let text = shipped.body["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap()["shipped"],
        json!({"shipment": 1, "for": "dev-user", "requested_by": "resource-server", "audience": "shipping-api"})
    );

    // Refresh (offline_access was asked for): rotated, narrowed on request, never widened,
    // never reused.
    assert_eq!(stepped_up.body["scope"], "orders.read orders.write shipping.write");
    let refresh = stepped_up.body["refresh_token"].as_str().unwrap().to_owned();
    let token_url = format!("{}/token", server.url());
    let renewed = form(&token_url, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client), ("scope", "orders.read")]).await;
    assert_eq!((renewed.status, &renewed.body["scope"]), (StatusCode::OK, &json!("orders.read")));
    let again = form(&token_url, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client)]).await;
    assert_eq!((again.status, &again.body["error"]), (StatusCode::BAD_REQUEST, &json!("invalid_grant")), "a used refresh token");
    let next = renewed.body["refresh_token"].as_str().unwrap();
    let wider = form(&token_url, &[("grant_type", "refresh_token"), ("refresh_token", next), ("client_id", &client), ("scope", "orders.read orders.approve")]).await;
    assert_eq!(wider.body["error"], "invalid_scope");
}

#[tokio::test]
async fn the_authorization_server_refuses_misuse() {
    let (resource, server) = serve().await;
    let client = register(&server).await;
    let other_client = register(&server).await;
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = vec![("client_id", client.clone()), ("resource", resource.clone()), ("scope", "orders.read".to_owned())];
        pairs.extend(extra.iter().map(|(name, value)| (*name, (*value).to_owned())));
        pairs
    };
    // Before the redirect is trusted: a 400 page, never a redirect anywhere.
    for (pairs, reason) in [
        (vec![("client_id", "unknown".to_owned()), ("resource", resource.clone())], "unknown client_id"),
        (with(&[("redirect_uri", "http://127.0.0.1:9/elsewhere")]), "redirect_uri is not one the client registered"),
    ] {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let answer = authorize(&server, &pairs).await;
        assert_eq!((answer.status, answer.header("location")), (StatusCode::BAD_REQUEST, None), "{reason}");
        assert_eq!(answer.body["error_description"], reason);
    }
    // After: the error goes back to the client.
    for (extra, error) in [
        (&[("code_challenge", "")][..], "invalid_request"),
        (&[("code_challenge_method", "plain")][..], "invalid_request"),
        (&[("response_type", "token")][..], "unsupported_response_type"),
        (&[("resource", "http://127.0.0.1:1/another-api")][..], "invalid_target"),
        (&[("scope", "orders.read orders.admin")][..], "invalid_scope"),
    ] {
        let pairs = with(extra);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let back = redirected(&authorize(&server, &pairs).await);
        assert_eq!(back.get("error").map(String::as_str), Some(error), "{extra:?}");
        assert!(!back.contains_key("code"));
    }
    // A code: bound to its verifier, client and resource, and used once (a failed try burns it).
    let token_url = format!("{}/token", server.url());
    let code = code_for(&server, &client, &resource, "orders.read").await;
    let wrong = form(&token_url, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT), ("client_id", &client), ("code_verifier", &VERIFIER.replace('a', "b"))]).await;
    assert_eq!((wrong.status, &wrong.body["error"]), (StatusCode::BAD_REQUEST, &json!("invalid_grant")));
    assert_eq!(exchange(&server, &client, &code, &resource).await.body["error"], "invalid_grant", "burnt by the wrong verifier");
    let code = code_for(&server, &client, &resource, "orders.read").await;
    assert_eq!(exchange(&server, &other_client, &code, &resource).await.body["error"], "invalid_grant");
    let code = code_for(&server, &client, &resource, "orders.read").await;
    assert_eq!(exchange(&server, &client, &code, "http://127.0.0.1:1/another-api").await.body["error"], "invalid_target");
    let code = code_for(&server, &client, &resource, "orders.read").await;
    assert_eq!(exchange(&server, &client, &code, &resource).await.status, StatusCode::OK);
    assert_eq!(exchange(&server, &client, &code, &resource).await.body["error"], "invalid_grant", "a code is used once");
    // Registration: only redirect URIs a public client may have.
    let evil = json!({"redirect_uris": ["http://evil.example/cb"]});
    let answer = call(Method::POST, &format!("{}/register", server.url()), &[], evil.to_string()).await;
    assert_eq!((answer.status, &answer.body["error"]), (StatusCode::BAD_REQUEST, &json!("invalid_redirect_uri")));
    let secret = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"});
    let answer = call(Method::POST, &format!("{}/register", server.url()), &[], secret.to_string()).await;
    assert_eq!(answer.body["error"], "invalid_client_metadata");
    // A valid request but for one parameter sent twice.
    let twice = authorize(&server, &[("client_id", &client), ("resource", &resource), ("scope", "orders.read")]).await;
    assert_eq!(twice.status, StatusCode::FOUND, "the request is valid once");
    let challenge = access_token_hash(VERIFIER);
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("response_type", "code"), ("client_id", client.as_str()), ("redirect_uri", REDIRECT), ("code_challenge", &challenge), ("code_challenge_method", "S256"), ("scope", "orders.read"), ("scope", "orders.approve")])
        .finish();
    let twice = call(Method::GET, &format!("{}/authorize?{query}", server.url()), &[], String::new()).await;
    assert_eq!((twice.status, &twice.body["error_description"]), (StatusCode::BAD_REQUEST, &json!("a parameter appears twice")));
    // The token request's redirect_uri must be the authorization request's.
    let code = code_for(&server, &client, &resource, "orders.read").await;
    let elsewhere = form(&token_url, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/elsewhere"), ("client_id", &client), ("code_verifier", VERIFIER)]).await;
    assert_eq!(elsewhere.body["error_description"], "redirect_uri differs from the authorization request");
    // A page on another origin gets nothing from the development server, not even a registration.
    let metadata = json!({"redirect_uris": [REDIRECT]}).to_string();
    let foreign = call(Method::POST, &format!("{}/register", server.url()), &[("origin", "http://evil.example")], metadata.clone()).await;
    assert_eq!((foreign.status, foreign.header("access-control-allow-origin")), (StatusCode::FORBIDDEN, None));
    let local = call(Method::POST, &format!("{}/register", server.url()), &[("origin", "http://localhost:6274")], metadata).await;
    assert_eq!((local.status, local.header("access-control-allow-origin")), (StatusCode::CREATED, Some("http://localhost:6274")));
}

/// A client known by its metadata document (no registration): the server fetches the document
/// from its `client_id` URL and holds the client to it. A document that names another client,
/// holds a secret, or does not list the redirect URI is refused, and so is an `http` URL off
/// this machine.
#[tokio::test]
async fn a_client_known_by_its_metadata_document_logs_in() {
    let (resource, server) = serve().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let document = |client_id: &str, extra: Value| {
        let mut document = json!({"client_id": client_id, "client_name": "suite", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"});
        document.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        document.to_string()
    };
    let documents = axum::Router::new()
        .route("/client.json", axum::routing::get({ let body = document(&format!("{base}/client.json"), json!({})); move || async move { body } }))
        .route("/other.json", axum::routing::get({ let body = document("https://app.example/client.json", json!({})); move || async move { body } }))
        .route("/secret.json", axum::routing::get({ let body = document(&format!("{base}/secret.json"), json!({"client_secret": "s"})); move || async move { body } }))
        .route("/large.json", axum::routing::get({ let body = document(&format!("{base}/large.json"), json!({"pad": "x".repeat(6000)})); move || async move { body } }));
    tokio::spawn(async move { axum::serve(listener, documents).await });
    let metadata = call(Method::GET, &format!("{}/.well-known/oauth-authorization-server", server.url()), &[], String::new()).await.body;
    assert_eq!(metadata["client_id_metadata_document_supported"], false, "not until a fetcher is given");
    server.fetch_client_metadata_with(scopegate::remote::HttpsClient::new());
    let metadata = call(Method::GET, &format!("{}/.well-known/oauth-authorization-server", server.url()), &[], String::new()).await.body;
    assert_eq!(metadata["client_id_metadata_document_supported"], true);

    let client = format!("{base}/client.json");
    let code = code_for(&server, &client, &resource, "orders.read").await;
    let granted = exchange(&server, &client, &code, &resource).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    let token = granted.body["access_token"].as_str().unwrap();
    assert_eq!(mcp(&resource, Some(token), "list_orders", json!({})).await.status, StatusCode::OK);

    for (client, reason) in [
        (format!("{base}/other.json"), "the client metadata document names another client_id"),
        (format!("{base}/secret.json"), "a client metadata document must not hold a secret"),
        (format!("{base}/large.json"), "the client metadata document could not be fetched"),
        (format!("{base}/missing.json"), "the client metadata document could not be fetched"),
        ("http://app.example/client.json".to_owned(), "unknown client_id"),
    ] {
        let answer = authorize(&server, &[("client_id", &client), ("resource", &resource), ("scope", "orders.read")]).await;
        assert_eq!((answer.status, answer.header("location")), (StatusCode::BAD_REQUEST, None), "{client}");
        assert_eq!(answer.body["error_description"], reason, "{client}");
    }
    let elsewhere = authorize(&server, &[("client_id", &client), ("resource", &resource), ("redirect_uri", "http://127.0.0.1:9/elsewhere")]).await;
    assert_eq!(elsewhere.body["error_description"], "redirect_uri is not one the client registered");
}
