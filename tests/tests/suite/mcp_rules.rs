//! Every way MCP reaches a tool, resource or prompt goes through that object's rule, and
//! nothing else passes by default: the example server (rmcp behind scopegate) driven by raw
//! HTTP, method by method, token by token, with exact statuses, challenges and JSON-RPC errors.
//! (The review found a reader could `resources/subscribe` to what it may not read and run
//! `completion/complete` on a prompt it may not get: every other method passed.)

use std::net::SocketAddr;
use std::sync::Arc;

use http::StatusCode;
use http_body_util::BodyExt;
use mcp_server::dev::DevIssuer;
use rmcp::task_manager::TaskManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use scopegate::{BearerAuthLayer, ScopePolicy};
use serde_json::{Value, json};
use tower::ServiceBuilder;

use crate::mcp::{post, raw, serve};

/// `method` with `params` as `token`, a stateless 2026-07-28 request with its standard headers:
/// the status, the challenge, and the body.
async fn send(address: SocketAddr, token: &str, method: &str, params: Value) -> (StatusCode, Option<String>, Value) {
    send_as(address, token, method, params, json!({})).await
}

/// [`send`] from a client with `capabilities`.
pub(crate) async fn send_as(address: SocketAddr, token: &str, method: &str, mut params: Value, capabilities: Value) -> (StatusCode, Option<String>, Value) {
    let name = ["name", "uri", "taskId"].iter().find_map(|member| params[member].as_str().map(str::to_owned));
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": method, "params": params}).to_string();
    let mut headers = vec![("mcp-protocol-version", "2026-07-28"), ("mcp-method", method)];
    if let Some(name) = &name {
        headers.push(("mcp-name", name));
    }
    let request = post(address, token, &headers, body);
    let (status, challenge, body) = raw(address, request, "www-authenticate").await;
    (status, challenge, answer(&body))
}

/// The JSON-RPC answer in `body`: JSON, or the last `data` of an event stream.
fn answer(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(body);
        let data = text.lines().rev().find_map(|line| line.strip_prefix("data: "));
        data.and_then(|data| serde_json::from_str(data).ok()).unwrap_or(Value::Null)
    })
}

pub(crate) fn needs(address: SocketAddr, scope: Option<&str>) -> Option<String> {
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

/// The example's rules in front of the example's tools, on rmcp configured by `config`.
pub(crate) async fn serve_rmcp(config: StreamableHttpServerConfig) -> (SocketAddr, DevIssuer) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let issuer = DevIssuer::new(&format!("http://{address}/mcp"));
    let (orders, tasks) = (mcp_server::tools::Orders::default(), TaskManager::new());
    let mcp = StreamableHttpService::new(
        move || Ok(mcp_server::tools::OrderTools::new(Arc::clone(&orders), tasks.clone())),
        Arc::new(LocalSessionManager::default()),
        config.with_sse_keep_alive(None),
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
        ("tools/list", "tools", "name", &reader, &["export_orders", "list_orders"]),
        ("tools/list", "tools", "name", &operator, &["approve_order", "create_order", "export_orders", "list_orders", "refund"]),
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
    // Stateless, answering in event streams (rmcp's default) rather than JSON.
    let (address, issuer) = serve_rmcp(StreamableHttpServerConfig::default().with_legacy_session_mode(false)).await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    let body = list(address, &reader, "tools/list").await;
    assert!(std::str::from_utf8(&body).unwrap().contains("data: "), "not an event stream");
    assert_eq!(listed(&body, "tools", "name"), ["export_orders", "list_orders"]);
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

/// Findings of an attacker's review of the layer, each a way a low-scope token saw more than
/// its rules allow.
#[tokio::test]
async fn regression_lists_and_notifications_cannot_be_used_to_see_more() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/list")];
    // 1. An id written `1.0`: rmcp answers `"id":1`, which the filter once failed to match,
    //    passing the whole list on.
    for id in [json!(1.0), json!(1e0)] {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {"_meta": meta}}).to_string();
        let (status, _, body) = raw(address, post(address, &reader, &headers, body), "content-type").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed(&body, "tools", "name"), ["export_orders", "list_orders"], "id {id}");
    }
    let fractional = json!({"jsonrpc": "2.0", "id": 1.5, "method": "tools/list", "params": {"_meta": meta}}).to_string();
    let (status, _, _) = raw(address, post(address, &reader, &headers, fractional), "content-type").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // 2. Resuming a stream would replay the server's answers unfiltered.
    let resume = http::Request::get(format!("http://{address}/mcp"))
        .header("host", address.to_string())
        .header("accept", "text/event-stream")
        .header("authorization", format!("Bearer {reader}"))
        .header("last-event-id", "0/1")
        .body(http_body_util::Full::default())
        .unwrap();
    let (status, _, body) = raw(address, resume, "content-type").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
    // 3. A "notification" with an id is a request: no rule maps it.
    let (status, challenge, _) = send(address, &reader, "notifications/orders_export", json!({})).await;
    assert_eq!((status, challenge), (StatusCode::FORBIDDEN, needs(address, None)));
}

/// Every rule that covers a resource must pass: a broad rule never opens what a specific one
/// guards, and a prefix ends at a boundary.
#[tokio::test]
async fn every_rule_that_covers_a_resource_must_pass() {
    use scopegate::ScopeRequirement;
    use scopegate::mcp::McpScopeLayer;
    let scopes = |scope: &str| ScopeRequirement::all_of([scope]).unwrap();
    let rules = McpScopeLayer::new()
        .resource_template("files://{+path}", scopes("files.read"))
        .unwrap()
        .resource_prefix("files://admin", scopes("files.admin"))
        .unwrap();
    let issuer = scopegate_testkit::TestIssuer::new();
    let reader = issuer.token().scopes(["files.read"]).sign();
    let admin = issuer.token().scopes(["files.read", "files.admin"]).sign();
    let app = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()))
        .layer(rules)
        .service(tower::service_fn(|_: http::Request<scopegate::mcp::McpRequestBody<http_body_util::Full<hyper::body::Bytes>>>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::<hyper::body::Bytes>::default()))
        }));
    for (uri, token, status) in [
        ("files://admin/keys", &reader, 403),
        ("files://admin/keys", &admin, 200),
        ("files://administrator/notes", &reader, 200),
        ("files://docs/a", &reader, 200),
    ] {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {"uri": uri}}).to_string();
        let request = http::Request::post("/mcp")
            .header("authorization", format!("Bearer {token}"))
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
            .unwrap();
        let response = tower::ServiceExt::oneshot(app.clone(), request).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{uri}");
    }
}

/// A successful list answer the layer cannot judge is never passed on unfiltered: another id,
/// another content type, a compressed body, an event stream without the answer.
#[tokio::test]
async fn a_list_answer_that_cannot_be_judged_is_refused() {
    use http_body_util::Full;
    use hyper::body::Bytes;
    let issuer = scopegate_testkit::TestIssuer::new();
    let token = issuer.token().scopes(["files.read"]).sign();
    let tools = r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"secret_tool"}]}}"#;
    let stream = format!("data: {tools}\n\n");
    for (content_type, encoding, body) in [
        ("application/json", None, tools.to_owned()),
        ("text/plain", None, tools.replace("\"id\":2", "\"id\":1")),
        ("application/json", Some("gzip"), tools.replace("\"id\":2", "\"id\":1")),
        ("text/event-stream", None, stream),
    ] {
        let answer = body.clone();
        let app = ServiceBuilder::new()
            .layer(BearerAuthLayer::new(issuer.verifier()))
            .layer(scopegate::mcp::McpScopeLayer::new())
            .service(tower::service_fn(move |_: http::Request<scopegate::mcp::McpRequestBody<Full<Bytes>>>| {
                let mut response = http::Response::new(Full::new(Bytes::from(answer.clone())));
                response.headers_mut().insert("content-type", http::HeaderValue::from_static(content_type));
                if let Some(encoding) = encoding {
                    response.headers_mut().insert("content-encoding", http::HeaderValue::from_static(encoding));
                }
                async move { Ok::<_, std::convert::Infallible>(response) }
            }));
        let request = http::Request::post("/mcp")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::from(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)))
            .unwrap();
        let response = tower::ServiceExt::oneshot(app, request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{content_type} {encoding:?}: {body}");
        let shown = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!String::from_utf8_lossy(&shown).contains("secret_tool"));
    }
}

/// On a stateful server a session belongs to the token that began it: another caller naming
/// its `Mcp-Session-Id`, or anyone naming a session never begun here, gets `404`.
#[tokio::test]
async fn a_session_belongs_to_whoever_began_it() {
    // Stateful: rmcp begins a session at `initialize`.
    let (address, issuer) = serve_rmcp(StreamableHttpServerConfig::default()).await;
    let alice = issuer.token("alice", &["orders.read"], &[]);
    let mallory = issuer.token("mallory", &["orders.read"], &[]);

    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}
    }})
    .to_string();
    let (status, session, _) = raw(address, post(address, &alice, &[], initialize), "mcp-session-id").await;
    assert_eq!(status, StatusCode::OK);
    let session = session.expect("a stateful server begins a session");
    let initialized = || json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
    let headers = [("mcp-session-id", session.as_str()), ("mcp-protocol-version", "2025-06-18")];
    let (status, _, body) = raw(address, post(address, &mallory, &headers, initialized()), "content-type").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another caller's session");
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32001, "message": "session not found"}})
    );
    let (status, _, _) = raw(address, post(address, &alice, &headers, initialized()), "content-type").await;
    assert_eq!(status, StatusCode::ACCEPTED, "its owner's");
    let unknown = [("mcp-session-id", "not-begun-here"), ("mcp-protocol-version", "2025-06-18")];
    let (status, _, _) = raw(address, post(address, &alice, &unknown, initialized()), "content-type").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a session never begun here");
}
