//! What a client without a token learns from the `401`: the scopes the call it tried needs
//! (MCP 2025-11-25: servers SHOULD name them), or the scopes of a first login when it named
//! nothing; and a metadata document whose `scopes_supported` comes from the same rules. (The
//! TypeScript SDK otherwise asks for every listed scope, the approving one included, at the
//! first login.)

use std::net::SocketAddr;

use http::StatusCode;
use http_body_util::Full;
use hyper::body::Bytes;
use scopegate::ScopePolicy;
use serde_json::{Value, json};

use crate::mcp::{raw, serve};

fn anonymous(address: SocketAddr, method: http::Method, headers: &[(&str, &str)], body: String) -> http::Request<Full<Bytes>> {
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("http://{address}/mcp"))
        .header("host", address.to_string())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Full::new(Bytes::from(body))).unwrap()
}

fn challenge(address: SocketAddr, scope: &str) -> Option<String> {
    let metadata = format!("http://{address}/.well-known/oauth-protected-resource/mcp");
    Some(format!(r#"Bearer realm="orders-mcp", scope="{scope}", resource_metadata="{metadata}""#))
}

fn rpc(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()
}

#[tokio::test]
async fn an_anonymous_call_learns_the_scopes_it_needs() {
    let (address, _) = serve(ScopePolicy::exact()).await;
    let tool = |name: &str, arguments: Value| rpc("tools/call", json!({"name": name, "arguments": arguments}));
    let cases = [
        (tool("create_order", json!({"item": "book"})), "orders.write"),
        (tool("list_orders", json!({})), "orders.read"),
        // The arguments call for the approving scope as well.
        (tool("refund", json!({"id": 1, "amount": 150})), "orders.write orders.approve"),
        (tool("refund", json!({"id": 1, "amount": 50})), "orders.write"),
        (rpc("resources/read", json!({"uri": "orders://audit-log"})), "orders.approve"),
        (rpc("prompts/get", json!({"name": "refund_customer"})), "orders.approve"),
        // Nothing named with a rule: the first login's scopes.
        (rpc("initialize", json!({})), "orders.read"),
        (rpc("tools/list", json!({})), "orders.read"),
        (tool("unknown_tool", json!({})), "orders.read"),
        (rpc("tasks/get", json!({"taskId": "t-1"})), "orders.read"),
        ("{not json".to_owned(), "orders.read"),
        // A call past the 64 KiB read for anonymous bodies is not read: it names nothing.
        (tool("create_order", json!({"item": "x".repeat(70_000)})), "orders.read"),
        (tool("create_order", json!({"item": "x".repeat(60_000)})), "orders.write"),
    ];
    for (body, scope) in cases {
        let shown: String = body.chars().take(80).collect();
        let (status, got, _) = raw(address, anonymous(address, http::Method::POST, &[], body), "www-authenticate").await;
        assert_eq!((status, got), (StatusCode::UNAUTHORIZED, challenge(address, scope)), "{shown}");
    }
}

/// The bearer layer in front is optional (so that the MCP layer can name the scopes), which
/// must not let an anonymous request through any other way.
#[tokio::test]
async fn no_anonymous_request_gets_past_the_mcp_layer() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    for (method, headers) in [
        (http::Method::GET, vec![("accept", "text/event-stream")]),
        (http::Method::DELETE, vec![("mcp-session-id", "s-1")]),
        (http::Method::GET, vec![("last-event-id", "0/1")]),
        (http::Method::PUT, vec![]),
    ] {
        let (status, got, _) = raw(address, anonymous(address, method.clone(), &headers, String::new()), "www-authenticate").await;
        assert_eq!((status, got), (StatusCode::UNAUTHORIZED, challenge(address, "orders.read")), "{method}");
    }
    // A bad token is still the bearer layer's `401 invalid_token`.
    let mut bad = anonymous(address, http::Method::POST, &[], rpc("tools/list", json!({})));
    let forged = format!("{}x", issuer.token("alice", &["orders.read"], &[]));
    bad.headers_mut().insert("authorization", format!("Bearer {forged}").parse().unwrap());
    let (status, got, _) = raw(address, bad, "www-authenticate").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let metadata = format!("http://{address}/.well-known/oauth-protected-resource/mcp");
    let expected = format!(r#"Bearer error="invalid_token", error_description="the token signature is not valid unpadded base64url", resource_metadata="{metadata}""#);
    assert_eq!(got, Some(expected));
    // Nor does a session id change that.
    let headers = [("mcp-session-id", "s-1")];
    let (status, got, _) = raw(address, anonymous(address, http::Method::POST, &headers, rpc("tools/list", json!({}))), "www-authenticate").await;
    assert_eq!((status, got), (StatusCode::UNAUTHORIZED, challenge(address, "orders.read")));
}

/// `scopes_supported` is what the rules require: declared once.
#[tokio::test]
async fn the_metadata_lists_the_scopes_the_rules_require() {
    use scopegate::ScopeRequirement;
    use scopegate::mcp::McpScopeLayer;
    let scopes = |names: &[&str]| ScopeRequirement::all_of(names.iter().copied()).unwrap();
    let rules = McpScopeLayer::new()
        .challenge_scope("notes.read offline_access")
        .tool("read_note", scopes(&["notes.read"]))
        .tool("share_note", (scopes(&["notes.share", "notes.read"]), editor_role()))
        .tool_if("share_note", |_| true, scopes(&["notes.admin"]))
        .prompt("summarise", scopes(&["notes.read", "offline_access"]))
        .resource_prefix("notes://", scopes(&["notes.read"]))
        .unwrap()
        .method("notes/export", scopes(&["notes.export"]));
    assert_eq!(rules.scopes_supported(), ["notes.admin", "notes.export", "notes.read", "notes.share"]);
    let (address, _) = serve(ScopePolicy::exact()).await;
    let url = format!("http://{address}/.well-known/oauth-protected-resource/mcp");
    let request = http::Request::get(&url).header("host", address.to_string()).body(Full::default()).unwrap();
    let (status, _, body) = raw(address, request, "content-type").await;
    assert_eq!(status, StatusCode::OK);
    let document: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(document["scopes_supported"], json!(mcp_server::mcp_rules().unwrap().scopes_supported()));
    assert_eq!(document["scopes_supported"], json!(["orders.approve", "orders.read", "orders.write", "shipping.write"]));
}

fn editor_role() -> scopegate::RoleRequirement {
    scopegate::RoleRequirement::new("editor")
}
