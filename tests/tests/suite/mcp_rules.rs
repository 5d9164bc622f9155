//! Every way MCP reaches a tool, resource or prompt goes through that object's rule, and
//! nothing else passes by default: the example server (rmcp behind scopegate) driven by raw
//! HTTP, method by method, token by token, with exact statuses, challenges and JSON-RPC errors.
//! (The review found a reader could `resources/subscribe` to what it may not read and run
//! `completion/complete` on a prompt it may not get: every other method passed.)

use std::net::SocketAddr;

use http::StatusCode;
use scopegate::ScopePolicy;
use serde_json::{Value, json};

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
