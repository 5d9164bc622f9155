//! MCP forbids token passthrough: a tool behind `McpScopeLayer` that tries to forward its
//! client's token to another API is refused, and may still exchange it.

use std::sync::{Arc, Mutex};

use http::{Request, Response};
use scopegate_core::{ErrorKind, ScopeRequirement};
use scopegate_mcp::{McpRequestBody, McpScopeLayer};
use scopegate_testkit::TestIssuer;
use scopegate_tower::{AccessToken, BearerAuthLayer};
use tower::{ServiceBuilder, ServiceExt, service_fn};

#[tokio::test]
async fn a_token_received_over_mcp_is_never_forwarded_as_it_is() {
    let issuer = TestIssuer::new();
    let token = issuer.token().scopes(["notes.read"]).sign();
    let seen = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&seen);
    let server = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(issuer.verifier()))
        .layer(
            McpScopeLayer::new().tool("fetch", ScopeRequirement::all_of(["notes.read"]).unwrap()),
        )
        .service(service_fn(move |request: Request<McpRequestBody<String>>| {
            let found = AccessToken::from_request(request.extensions(), request.headers());
            *slot.lock().unwrap() = found;
            async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) }
        }));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fetch","arguments":{}}}"#;
    let request = Request::post("/mcp")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .unwrap();
    let response = server.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let found = seen.lock().unwrap().take().expect("the verified token");
    // Readable, to exchange it (RFC 8693) for a token meant for the other API ...
    assert_eq!(found.secret(), token);
    // ... but never sent on as it is.
    let error = found.bearer_header().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    assert!(error.to_string().contains("passthrough"), "{error}");
}
