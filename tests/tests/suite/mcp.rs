//! The MCP example server (rmcp behind scopegate) driven by rmcp's own client over
//! streamable HTTP, and by raw HTTP for what a well-behaved client never sends.

use std::net::SocketAddr;

use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use mcp_server::dev::DevIssuer;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    InsufficientScopeError, StreamableHttpClientTransportConfig,
};
use scopegate::ScopePolicy;
use serde_json::{Value, json};

/// The example on 127.0.0.1 with `policy`.
pub(crate) async fn serve(policy: ScopePolicy) -> (SocketAddr, DevIssuer) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let issuer = DevIssuer::new(&format!("http://{address}/mcp"));
    let verifier = issuer.verifier_builder().unwrap().scope_policy(policy).build_static().unwrap();
    let app = mcp_server::app(verifier).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, issuer)
}

fn transport(address: SocketAddr, token: Option<&str>) -> StreamableHttpClientTransport<reqwest::Client> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(format!("http://{address}/mcp"));
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    StreamableHttpClientTransport::from_config(config)
}

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

/// One raw HTTP request; the status, one header, and the body.
pub(crate) async fn raw(address: SocketAddr, request: Request<Full<Bytes>>, header: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(request).await.unwrap();
    let value = response.headers().get(header).map(|v| v.to_str().unwrap().to_owned());
    let status = response.status();
    (status, value, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

pub(crate) fn post(address: SocketAddr, token: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    let mut request = Request::post(format!("http://{address}/mcp"))
        .header("host", address.to_string())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Full::new(body.into())).unwrap()
}

#[tokio::test]
async fn without_a_token_the_client_learns_where_to_get_one() {
    let (address, _) = serve(ScopePolicy::exact()).await;
    let error = ().serve(transport(address, None)).await.unwrap_err();
    assert!(error.is_authorization_required(), "{error}");
    let metadata_url = format!("http://{address}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        error.auth_challenge(),
        Some(format!(r#"Bearer realm="orders-mcp", scope="orders.read", resource_metadata="{metadata_url}""#).as_str())
    );
    // The client follows `resource_metadata`.
    let request = Request::get(&metadata_url).header("host", address.to_string()).body(Full::default()).unwrap();
    let (status, cors, body) = raw(address, request, "access-control-allow-origin").await;
    assert_eq!((status, cors.as_deref()), (StatusCode::OK, Some("*")));
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({
            "resource": format!("http://{address}/mcp"),
            "authorization_servers": [mcp_server::dev::ISSUER],
            "scopes_supported": ["orders.approve", "orders.read", "orders.write", "shipping.write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "scopegate orders MCP server",
        })
    );
}

#[tokio::test]
async fn a_reader_lists_and_reads_but_cannot_write() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let reader = issuer.token("alice", &["orders.read"], &[]);
    let client = ().serve(transport(address, Some(&reader))).await.unwrap();
    let mut tools: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|tool| tool.name.to_string()).collect();
    tools.sort();
    // The list shows only what the reader may call.
    assert_eq!(tools, ["export_orders", "list_orders"]);
    let listed = client.call_tool(CallToolRequestParams::new("list_orders")).await.unwrap();
    let text = listed.content[0].as_text().unwrap().text.clone();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json!({"caller": "alice", "orders": []}));

    let create = CallToolRequestParams::new("create_order").with_arguments(arguments(json!({"item": "book"})));
    let error = client.call_tool(create).await.unwrap_err();
    let metadata_url = format!("http://{address}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        error.auth_challenge(),
        Some(format!(r#"Bearer error="insufficient_scope", scope="orders.write", resource_metadata="{metadata_url}""#).as_str())
    );
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    let mut required = None;
    while let Some(error) = source {
        if let Some(scope) = error.downcast_ref::<InsufficientScopeError>() {
            required = scope.required_scope.clone();
        }
        source = error.source();
    }
    assert_eq!(required.as_deref(), Some("orders.write"));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_operator_approves_what_a_writer_created() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let writer = ().serve(transport(address, Some(&issuer.token("bob", &["orders.write"], &[])))).await.unwrap();
    let create = CallToolRequestParams::new("create_order").with_arguments(arguments(json!({"item": "lamp"})));
    assert_eq!(writer.call_tool(create).await.unwrap().is_error, Some(false));
    let approve = || CallToolRequestParams::new("approve_order").with_arguments(arguments(json!({"id": 1})));
    // The scope without the role is not enough: 403 without `scope`.
    let no_role = issuer.token("dan", &["orders.approve"], &[]);
    let client = ().serve(transport(address, Some(&no_role))).await.unwrap();
    let error = client.call_tool(approve()).await.unwrap_err();
    assert_eq!(
        error.auth_challenge(),
        Some(format!(r#"Bearer error="insufficient_scope", resource_metadata="http://{address}/.well-known/oauth-protected-resource/mcp""#).as_str())
    );
    let operator = issuer.token("carol", &["orders.approve"], &["operator"]);
    let client = ().serve(transport(address, Some(&operator))).await.unwrap();
    let approved = client.call_tool(approve()).await.unwrap();
    let text = approved.content[0].as_text().unwrap().text.clone();
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((answer["caller"].as_str(), answer["order"]["status"].as_str()), (Some("carol"), Some("approved")));
}

/// MCP 2026-07-28: servers must honour scope hierarchies. A broader `orders` grants the
/// tools' `orders.read` and `orders.write` under a hierarchical policy, and nothing under the
/// exact one.
#[tokio::test]
async fn a_broader_scope_passes_under_a_hierarchical_policy() {
    let (address, issuer) = serve(ScopePolicy::hierarchical('.')).await;
    let broad = issuer.token("erin", &["orders"], &[]);
    let client = ().serve(transport(address, Some(&broad))).await.unwrap();
    let listed = client.call_tool(CallToolRequestParams::new("list_orders")).await.unwrap();
    assert_eq!(listed.is_error, Some(false));
    // Under the exact policy the same token is refused for want of `orders.read`, and told so.
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let broad = issuer.token("erin", &["orders"], &[]);
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_orders","arguments":{}}}"#;
    let (status, challenge, _) = raw(address, post(address, &broad, &[], body), "www-authenticate").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let metadata = format!("http://{address}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(challenge, Some(format!(r#"Bearer error="insufficient_scope", scope="orders.read", resource_metadata="{metadata}""#)));
}

#[tokio::test]
async fn malformed_requests_are_refused_before_the_server() {
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    let token = issuer.token("alice", &["orders.read", "orders.write", "orders.approve"], &["operator"]);
    let call = |tool: &str| format!(r#"{{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{{"name":"{tool}","arguments":{{"id":1}}}}}}"#);
    // The header names a tool the reader may call; the body another: never trust one and
    // route on the other.
    let mismatch = post(address, &token, &[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "list_orders")], call("approve_order"));
    let (status, _, body) = raw(address, mismatch, "content-type").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"jsonrpc": "2.0", "id": 4, "error": {"code": -32020, "message": "the Mcp-Name header does not match the body"}})
    );
    let batch = post(address, &token, &[], format!("[{}]", call("list_orders")));
    let (status, _, body) = raw(address, batch, "content-type").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"]["code"], -32600);
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"create_order","arguments":{{"item":"{}"}}}}}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, _, _) = raw(address, post(address, &token, &[], huge), "content-type").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let unmapped = post(address, &token, &[], call("delete_everything"));
    let (status, challenge, _) = raw(address, unmapped, "www-authenticate").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge.as_deref(),
        Some(format!(r#"Bearer error="insufficient_scope", resource_metadata="http://{address}/.well-known/oauth-protected-resource/mcp""#).as_str())
    );
}
