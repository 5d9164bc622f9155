//! Browser clients (the MCP Inspector runs in one): a preflight is answered before any
//! authentication, a page on an allowed origin can read the challenge and the session, and a
//! foreign origin (a DNS-rebinding page among them) reaches nothing, token or not. The example
//! allows loopback origins, as a development server would.

use std::net::SocketAddr;

use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use scopegate::ScopePolicy;
use serde_json::json;

use crate::mcp::serve;

const INSPECTOR: &str = "http://localhost:6274";

/// One request; the status and the headers.
async fn send(address: SocketAddr, request: http::Request<Full<Bytes>>) -> (StatusCode, http::HeaderMap) {
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    body.collect().await.unwrap();
    (parts.status, parts.headers)
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers.get_all(name).iter().map(|value| value.to_str().unwrap()).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn preflight(address: SocketAddr, origin: &str) -> http::Request<Full<Bytes>> {
    http::Request::options(format!("http://{address}/mcp"))
        .header("host", address.to_string())
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type, mcp-protocol-version, Mcp-Session-Id, mcp-param-amount")
        .body(Full::default())
        .unwrap()
}

fn post(address: SocketAddr, origin: Option<&str>, token: Option<&str>) -> http::Request<Full<Bytes>> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_orders", "arguments": {}}});
    let mut request = http::Request::post(format!("http://{address}/mcp"))
        .header("host", address.to_string())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Full::new(Bytes::from(body.to_string()))).unwrap()
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_passes_unauthenticated() {
    let (address, _) = serve(ScopePolicy::exact()).await;
    let (status, headers) = send(address, preflight(address, INSPECTOR)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header(&headers, "access-control-allow-origin").as_deref(), Some(INSPECTOR));
    assert_eq!(header(&headers, "access-control-allow-methods").as_deref(), Some("GET, POST, DELETE, OPTIONS"));
    assert_eq!(
        header(&headers, "access-control-allow-headers").as_deref(),
        Some("authorization, content-type, mcp-protocol-version, mcp-session-id, mcp-param-amount")
    );
    assert_eq!(header(&headers, "www-authenticate"), None, "never authenticated");
    let (status, headers) = send(address, preflight(address, "http://[::1]:6274")).await;
    assert_eq!((status, header(&headers, "access-control-allow-origin").as_deref()), (StatusCode::NO_CONTENT, Some("http://[::1]:6274")));
    // An `OPTIONS` that is no preflight is an ordinary request: it needs a token.
    let mut plain = preflight(address, INSPECTOR);
    plain.headers_mut().remove("access-control-request-method");
    assert_eq!(send(address, plain).await.0, StatusCode::UNAUTHORIZED);
    // A header no MCP client sends is not allowed: the browser will refuse the request.
    let mut odd = preflight(address, INSPECTOR);
    odd.headers_mut().insert("access-control-request-headers", "authorization, x-forwarded-host".parse().unwrap());
    let (status, headers) = send(address, odd).await;
    assert_eq!((status, header(&headers, "access-control-allow-headers")), (StatusCode::NO_CONTENT, None));
}

#[tokio::test]
async fn an_allowed_page_reads_the_challenge_and_the_answer() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let (status, headers) = send(address, post(address, Some(INSPECTOR), None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&headers, "access-control-allow-origin").as_deref(), Some(INSPECTOR));
    assert_eq!(
        header(&headers, "access-control-expose-headers").as_deref(),
        Some("WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version")
    );
    assert!(header(&headers, "www-authenticate").is_some());
    let reader = issuer.token("alice", &["orders.read"], &[]);
    let (status, headers) = send(address, post(address, Some(INSPECTOR), Some(&reader))).await;
    assert_eq!((status, header(&headers, "access-control-allow-origin").as_deref()), (StatusCode::OK, Some(INSPECTOR)));
    // The metadata too, where a browser client starts.
    let metadata = http::Request::get(format!("http://{address}/.well-known/oauth-protected-resource/mcp"))
        .header("host", address.to_string())
        .header("origin", INSPECTOR)
        .body(Full::default())
        .unwrap();
    let (status, headers) = send(address, metadata).await;
    assert_eq!((status, header(&headers, "access-control-allow-origin").as_deref()), (StatusCode::OK, Some(INSPECTOR)));
}

/// DNS rebinding: a page on `http://evil.example` whose name now resolves to this machine
/// sends `Origin: http://evil.example`. With or without a token, preflight or not: `403`.
#[tokio::test]
async fn a_foreign_origin_reaches_nothing() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    for origin in ["http://evil.example", "http://localhost.evil.example:6274", "null", "https://localhost:6274"] {
        let (status, headers) = send(address, preflight(address, origin)).await;
        assert_eq!((status, header(&headers, "access-control-allow-origin")), (StatusCode::FORBIDDEN, None), "{origin}");
        let (status, headers) = send(address, post(address, Some(origin), Some(&reader))).await;
        assert_eq!((status, header(&headers, "access-control-allow-origin")), (StatusCode::FORBIDDEN, None), "{origin}");
    }
    // Two `Origin` headers, one of them allowed: refused.
    let mut twice = post(address, Some(INSPECTOR), Some(&reader));
    twice.headers_mut().append("origin", "http://evil.example".parse().unwrap());
    assert_eq!(send(address, twice).await.0, StatusCode::FORBIDDEN);
    // Without an `Origin` (curl, a server-side client) nothing changes.
    let (status, headers) = send(address, post(address, None, Some(&reader))).await;
    assert_eq!((status, header(&headers, "access-control-allow-origin")), (StatusCode::OK, None));
}
