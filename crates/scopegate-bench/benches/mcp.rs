//! What the MCP layer costs per request, in one run against its own baseline: the bearer layer
//! alone in front of a fixed JSON-RPC answer, then with `McpScopeLayer` for a session method
//! (`ping`), a `tools/call` (its answer watched for a task handle), a `tools/list` of 20 tools
//! filtered for the caller, and an anonymous `tools/call` refused with the scopes it needs.

// A benchmark that cannot set up panics: that is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use scopegate::mcp::McpScopeLayer;
use scopegate::{BearerAuthLayer, ScopeRequirement};
use scopegate_testkit::TestIssuer;
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt, service_fn};

fn answer(result: serde_json::Value) -> Bytes {
    Bytes::from(json!({"jsonrpc": "2.0", "id": 1, "result": result}).to_string())
}

/// The MCP server stand-in: `body` as a JSON answer to any request.
fn server<B>(
    body: Bytes,
) -> impl tower::Service<Request<B>, Response = Response<Full<Bytes>>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    service_fn(move |_: Request<B>| {
        let mut response = Response::new(Full::new(body.clone()));
        response.headers_mut().insert("content-type", "application/json".parse().expect("value"));
        async move { Ok::<_, Infallible>(response) }
    })
}

fn rpc(token: Option<&str>, method: &str, params: serde_json::Value) -> Request<Full<Bytes>> {
    let mut request = Request::post("/mcp").header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    request.body(Full::new(Bytes::from(body.to_string()))).expect("request")
}

fn mcp(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let issuer = TestIssuer::new();
    let token = issuer.token().subject("alice").scopes(["orders.read"]).sign();
    let tools: Vec<_> =
        (0..20).map(|n| json!({"name": format!("tool_{n}"), "inputSchema": {}})).collect();
    let list = answer(json!({"tools": tools}));
    let call = answer(json!({"content": [{"type": "text", "text": "done"}]}));
    let mut rules = McpScopeLayer::new();
    for n in 0..20 {
        let scope = if n % 2 == 0 { "orders.read" } else { "orders.write" };
        rules = rules.tool(format!("tool_{n}"), ScopeRequirement::all_of([scope]).expect("scope"));
    }
    let verifier = issuer.verifier();
    let mut group = c.benchmark_group("mcp");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(60);

    macro_rules! row {
        ($id:expr, $service:expr, $request:expr, $status:expr) => {{
            let service = $service;
            let first = runtime.block_on(service.clone().oneshot($request)).expect("response");
            assert_eq!(first.status(), $status, $id);
            group.bench_function($id, |b| {
                b.to_async(&runtime).iter(|| {
                    let (service, request) = (service.clone(), $request);
                    async move {
                        let response = service.oneshot(request).await.expect("response");
                        black_box(
                            response
                                .into_body()
                                .collect()
                                .await
                                .map(|body| body.to_bytes().len())
                                .unwrap_or(0),
                        )
                    }
                });
            });
        }};
    }
    let bearer = BearerAuthLayer::new(verifier);
    let call_params = json!({"name": "tool_0", "arguments": {}});
    row!(
        "1_bearer_only_tools_call",
        ServiceBuilder::new().layer(bearer.clone()).service(server(call.clone())),
        rpc(Some(&token), "tools/call", call_params.clone()),
        200
    );
    row!(
        "2_mcp_ping",
        ServiceBuilder::new()
            .layer(bearer.clone())
            .layer(rules.clone())
            .service(server(answer(json!({})))),
        rpc(Some(&token), "ping", json!({})),
        200
    );
    row!(
        "3_mcp_tools_call_watched",
        ServiceBuilder::new()
            .layer(bearer.clone())
            .layer(rules.clone())
            .service(server(call.clone())),
        rpc(Some(&token), "tools/call", call_params.clone()),
        200
    );
    row!(
        "4_mcp_tools_list_20_filtered",
        ServiceBuilder::new().layer(bearer.clone()).layer(rules.clone()).service(server(list)),
        rpc(Some(&token), "tools/list", json!({})),
        200
    );
    row!(
        "5_mcp_anonymous_tools_call_401",
        ServiceBuilder::new().layer(bearer.optional()).layer(rules).service(server(call)),
        rpc(None, "tools/call", call_params.clone()),
        401
    );
    group.finish();
}

criterion_group!(benches, mcp);
criterion_main!(benches);
