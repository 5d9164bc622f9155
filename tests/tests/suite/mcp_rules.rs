//! Every way MCP reaches a tool, resource or prompt goes through that object's rule, and
//! nothing else passes by default: the example server (rmcp behind scopegate) driven by raw
//! HTTP, method by method, token by token, with exact statuses, challenges and JSON-RPC errors.
//! (The review found a reader could `resources/subscribe` to what it may not read and run
//! `completion/complete` on a prompt it may not get: every other method passed.)

use std::net::SocketAddr;
use std::sync::Arc;

use http::StatusCode;
use mcp_server::dev::DevIssuer;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use scopegate::{BearerAuthLayer, ScopePolicy};
use serde_json::{Value, json};
use tower::ServiceBuilder;

use crate::mcp::{post, raw, serve};

/// `method` with `params` as `token`, a stateless 2026-07-28 request with its standard headers:
/// the status, the challenge, and the body.
async fn send(address: SocketAddr, token: &str, method: &str, mut params: Value) -> (StatusCode, Option<String>, Value) {
    let name = ["name", "uri"].iter().find_map(|member| params[member].as_str().map(str::to_owned));
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": method, "params": params}).to_string();
    let mut headers = vec![("mcp-protocol-version", "2026-07-28"), ("mcp-method", method)];
    if let Some(name) = &name {
        headers.push(("mcp-name", name));
    }
    let request = post(address, token, &headers, body);
    let (status, challenge, body) = raw(address, request, "www-authenticate").await;
    (status, challenge, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn needs(address: SocketAddr, scope: Option<&str>) -> Option<String> {
    let metadata = format!("http://{address}/.well-known/oauth-protected-resource/mcp");
    Some(match scope {
        Some(scope) => format!(r#"Bearer error="insufficient_scope", scope="{scope}", resource_metadata="{metadata}""#),
        None => format!(r#"Bearer error="insufficient_scope", resource_metadata="{metadata}""#),
    })
}

#[tokio::test]
async fn every_method_that_names_an_object_is_checked_by_its_rule() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    let operator = issuer.token("carol", &["orders.read", "orders.approve"], &["operator"]);
    let nobody = issuer.token("zed", &["profile"], &[]);
    let audit = json!({"uri": "orders://audit-log"});
    let prompt_ref = json!({"ref": {"type": "ref/prompt", "name": "refund_customer"}, "argument": {"name": "customer", "value": ""}});
    let template_ref = json!({"ref": {"type": "ref/resource", "uri": "orders://orders/{id}"}, "argument": {"name": "id", "value": "1"}});
    let listen = json!({"notifications": {"resourceSubscriptions": ["orders://orders/1", "orders://audit-log"]}});
    let cases = [
        // (method, params, token, status, the scope a 403 names)
        ("resources/read", audit.clone(), &reader, 403, Some("orders.approve")),
        ("resources/read", audit.clone(), &operator, 200, None),
        ("resources/subscribe", audit.clone(), &reader, 403, Some("orders.approve")),
        // Past scopegate; rmcp has no `resources/subscribe` under 2026-07-28 (legacy only).
        ("resources/subscribe", audit.clone(), &operator, 404, None),
        ("resources/unsubscribe", audit.clone(), &reader, 403, Some("orders.approve")),
        ("resources/directory/read", audit.clone(), &reader, 403, Some("orders.approve")),
        ("subscriptions/listen", listen, &reader, 403, Some("orders.approve")),
        ("resources/read", json!({"uri": "orders://orders/1"}), &reader, 200, None),
        ("resources/read", json!({"uri": "orders://orders/1"}), &nobody, 403, Some("orders.read")),
        // Another spelling of the same resource falls to the same rule.
        ("resources/read", json!({"uri": "ORDERS://orders/%31"}), &nobody, 403, Some("orders.read")),
        ("resources/read", json!({"uri": "Orders://Audit-Log"}), &reader, 403, Some("orders.approve")),
        ("resources/read", json!({"uri": "orders://secrets"}), &operator, 403, None),
        ("prompts/get", json!({"name": "refund_customer", "arguments": {"customer": "bob"}}), &reader, 403, Some("orders.approve")),
        ("prompts/get", json!({"name": "refund_customer", "arguments": {"customer": "bob"}}), &operator, 200, None),
        ("completion/complete", prompt_ref.clone(), &reader, 403, Some("orders.approve")),
        ("completion/complete", prompt_ref, &operator, 200, None),
        ("completion/complete", template_ref.clone(), &nobody, 403, Some("orders.read")),
        // Methods no rule maps are refused, whoever asks.
        ("tasks/get", json!({"taskId": "t-1"}), &operator, 403, None),
        ("orders/export", json!({}), &operator, 403, None),
        ("skills/get", json!({"name": "refunds"}), &operator, 403, None),
        // Session methods need only a valid token.
        ("tools/list", json!({}), &nobody, 200, None),
        ("resources/templates/list", json!({}), &nobody, 200, None),
        ("server/discover", json!({}), &nobody, 200, None),
    ];
    for (method, params, token, status, scope) in cases {
        let (got, challenge, body) = send(address, token, method, params.clone()).await;
        let case = format!("{method} {params} -> {body}");
        assert_eq!(got.as_u16(), status, "{case}");
        if status == 403 {
            assert_eq!(challenge, needs(address, scope), "{case}");
        }
    }
}

#[tokio::test]
async fn resource_uris_with_dot_segments_are_refused_before_any_rule() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    for uri in ["orders://orders/../audit-log", "orders://orders/1/%2E%2E/%2e%2e/audit-log"] {
        let (status, _, body) = send(address, &reader, "resources/read", json!({"uri": uri})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(
            body,
            json!({"jsonrpc": "2.0", "id": 9, "error": {"code": -32602, "message": "a resource URI is malformed or has dot segments"}})
        );
    }
}

/// MCP 2026-07-28: servers account for scope hierarchies, for resources and prompts too.
#[tokio::test]
async fn a_broader_scope_reaches_resources_and_prompts_under_a_hierarchical_policy() {
    let (address, issuer) = serve(ScopePolicy::hierarchical('.')).await;
    let broad = issuer.token("erin", &["orders"], &[]);
    let (status, _, _) = send(address, &broad, "resources/read", json!({"uri": "orders://audit-log"})).await;
    assert_eq!(status, StatusCode::OK);
    let params = json!({"ref": {"type": "ref/prompt", "name": "refund_customer"}, "argument": {"name": "customer", "value": ""}});
    let (status, _, body) = send(address, &broad, "completion/complete", params).await;
    assert_eq!((status, &body["result"]["completion"]["values"]), (StatusCode::OK, &json!([])));
}

/// The names a list answer shows, from a JSON body or from the `data` of an event stream.
fn listed(body: &[u8], list: &str, name: &str) -> Vec<String> {
    let text = std::str::from_utf8(body).unwrap();
    let json = match text.lines().find_map(|line| line.strip_prefix("data: ")) {
        Some(data) if !text.trim_start().starts_with('{') => data,
        _ => text,
    };
    let answer: Value = serde_json::from_str(json).unwrap();
    assert_eq!(answer["result"]["cacheScope"], "private", "{answer}");
    let mut names: Vec<String> = answer["result"][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry[name].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn list(address: SocketAddr, token: &str, method: &str) -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "id": 5, "method": method, "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }}})
    .to_string();
    let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", method)];
    let (status, _, body) = raw(address, post(address, token, &headers, body), "content-type").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    body
}

/// The example's rules in front of the example's tools, served as an event stream (rmcp's
/// default) rather than JSON.
async fn serve_streaming() -> (SocketAddr, DevIssuer) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let issuer = DevIssuer::new(&format!("http://{address}/mcp"));
    let orders = mcp_server::tools::Orders::default();
    let mcp = StreamableHttpService::new(
        move || Ok(mcp_server::tools::OrderTools::new(Arc::clone(&orders))),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().with_legacy_session_mode(false).with_sse_keep_alive(None),
    );
    let service = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier().unwrap()))
        .layer(mcp_server::mcp_rules().unwrap())
        .service(mcp);
    let app = axum::Router::new().route_service("/mcp", service);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, issuer)
}

#[tokio::test]
async fn lists_show_each_caller_only_what_it_may_use() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    let operator = issuer.token("carol", &["orders.read", "orders.write", "orders.approve"], &["operator"]);
    let nobody = issuer.token("zed", &["profile"], &[]);
    let cases: [(&str, &str, &str, &String, &[&str]); 8] = [
        ("tools/list", "tools", "name", &reader, &["list_orders"]),
        ("tools/list", "tools", "name", &operator, &["approve_order", "create_order", "list_orders", "refund"]),
        ("tools/list", "tools", "name", &nobody, &[]),
        ("prompts/list", "prompts", "name", &reader, &[]),
        ("prompts/list", "prompts", "name", &operator, &["refund_customer"]),
        ("resources/list", "resources", "uri", &reader, &[]),
        ("resources/list", "resources", "uri", &operator, &["orders://audit-log"]),
        ("resources/templates/list", "resourceTemplates", "uriTemplate", &reader, &["orders://orders/{id}"]),
    ];
    for (method, member, name, token, expected) in cases {
        let body = list(address, token, method).await;
        assert_eq!(listed(&body, member, name), expected, "{method}");
    }
}

#[tokio::test]
async fn event_stream_lists_are_filtered_too() {
    let (address, issuer) = serve_streaming().await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    let body = list(address, &reader, "tools/list").await;
    assert!(std::str::from_utf8(&body).unwrap().contains("data: "), "not an event stream");
    assert_eq!(listed(&body, "tools", "name"), ["list_orders"]);
}

/// A refund over 100 also needs `orders.approve`, and the `403` names exactly that scope, so
/// the client asks for what it lacks; a mirrored `Mcp-Param-*` header that disagrees with the
/// arguments is refused before any rule.
#[tokio::test]
async fn rules_that_read_a_tools_arguments() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let writer = issuer.token("bob", &["orders.write"], &[]);
    let approver = issuer.token("carol", &["orders.write", "orders.approve"], &[]);
    let refund = |amount: Value| json!({"name": "refund", "arguments": {"id": 1, "amount": amount}});
    for (token, amount, status, scope) in [
        (&writer, json!(50), 200, None),
        (&writer, json!(100), 200, None),
        (&writer, json!(100.5), 403, Some("orders.approve")),
        (&writer, json!("50"), 403, Some("orders.approve")),
        (&approver, json!(150), 200, None),
    ] {
        let (got, challenge, body) = send(address, token, "tools/call", refund(amount.clone())).await;
        assert_eq!(got.as_u16(), status, "{amount}: {body}");
        if status == 403 {
            assert_eq!(challenge, needs(address, scope));
        }
    }
    let missing = json!({"name": "refund", "arguments": {"id": 1}});
    assert_eq!(send(address, &writer, "tools/call", missing).await.0, StatusCode::FORBIDDEN);

    // The header says 50, the body 150.
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": refund(json!(150))}).to_string();
    let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "refund"), ("mcp-param-amount", "50")];
    let (status, _, body) = raw(address, post(address, &approver, &headers, body), "content-type").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"jsonrpc": "2.0", "id": 2, "error": {"code": -32020, "message": "an Mcp-Param header does not match the tool's arguments"}})
    );
}
