//! A task belongs to the token that created it. MCP's tasks (the tasks extension; the core
//! `tasks/*` methods of 2025-11-25) hand out a task id that reaches a tool call's result later;
//! without an owner, anyone who learns or guesses an id reads, updates or cancels another
//! caller's work. The example's `export_orders` runs as a task on rmcp's task manager, which
//! keeps no owner: scopegate does.

use std::net::SocketAddr;

use http::StatusCode;
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use scopegate::ScopePolicy;
use serde_json::{Value, json};

use crate::mcp::serve;
use crate::mcp_rules::{needs, send_as, serve_rmcp};

/// A client that says it polls tasks.
fn polls_tasks() -> Value {
    json!({"extensions": {"io.modelcontextprotocol/tasks": {}}})
}

/// The JSON-RPC error a task this caller may not reach gets, whether it exists or not.
fn not_found() -> Value {
    json!({"jsonrpc": "2.0", "id": 9, "error": {"code": -32602, "message": "task not found"}})
}

/// `export_orders` as a task by `token`: its id.
async fn start_export(address: SocketAddr, token: &str) -> String {
    let call = json!({"name": "export_orders"});
    let (status, _, body) = send_as(address, token, "tools/call", call, polls_tasks()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["resultType"], "task", "{body}");
    body["result"]["taskId"].as_str().expect("a task id").to_owned()
}

/// `tasks/get` until the task is done: its last state.
async fn finished(address: SocketAddr, token: &str, task: &str) -> Value {
    for _ in 0..200 {
        let (status, _, body) = send_as(address, token, "tasks/get", json!({"taskId": task}), polls_tasks()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["result"]["status"] != "working" {
            return body["result"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the task never finished");
}

async fn tasks_belong_to_their_creator(address: SocketAddr, issuer: &mcp_server::dev::DevIssuer) {
    let alice = issuer.token("alice", &["orders.read"], &[]);
    let mallory = issuer.token("mallory", &["orders.read", "orders.write", "orders.approve"], &["operator"]);
    // Alice's again, but without the scope the task's tool needs.
    let alice_narrowed = issuer.token("alice", &["profile"], &[]);
    let task = start_export(address, &alice).await;

    // Another caller, however broad its scopes, reaches none of it; nor does anyone reach a
    // task never created here. Both answers are the same.
    let update = json!({"taskId": task, "inputResponses": {}});
    for (method, params) in [
        ("tasks/get", json!({"taskId": task})),
        ("tasks/cancel", json!({"taskId": task})),
        ("tasks/update", update),
        ("tasks/result", json!({"taskId": task})),
    ] {
        let (status, _, body) = send_as(address, &mallory, method, params, polls_tasks()).await;
        assert_eq!((status, &body), (StatusCode::OK, &not_found()), "{method}");
    }
    let (status, _, body) = send_as(address, &alice, "tasks/get", json!({"taskId": "t-guessed"}), polls_tasks()).await;
    assert_eq!((status, body), (StatusCode::OK, not_found()), "a task never created here");
    let (status, _, body) = send_as(address, &alice, "tasks/get", json!({"taskId": 7}), polls_tasks()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a task id that is not a string: {body}");

    // The same caller, with a token that no longer grants the tool: the tool's refusal.
    let (status, challenge, _) = send_as(address, &alice_narrowed, "tasks/get", json!({"taskId": task}), polls_tasks()).await;
    assert_eq!((status, challenge), (StatusCode::FORBIDDEN, needs(address, Some("orders.read"))));

    // Its creator polls it to the end: mallory's attempts did not cancel it.
    let done = finished(address, &alice, &task).await;
    assert_eq!(done["status"], "completed", "{done}");
    let text = done["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap()["caller"], "alice");
}

#[tokio::test]
async fn a_task_belongs_to_whoever_created_it() {
    // The example as it runs: stateless, JSON answers.
    let (address, issuer) = serve(ScopePolicy::exact()).await;
    tasks_belong_to_their_creator(address, &issuer).await;
}

#[tokio::test]
async fn a_task_created_in_an_event_stream_belongs_to_its_creator_too() {
    // rmcp's default: answers in server-sent event streams.
    let (address, issuer) = serve_rmcp(StreamableHttpServerConfig::default().with_legacy_session_mode(false)).await;
    tasks_belong_to_their_creator(address, &issuer).await;
}

/// MCP 2025-11-25's shapes, from a server that keeps no owners at all: the handle is
/// `result.task.taskId`, and `tasks/list` lists every caller's tasks. Each caller sees only its
/// own, and the answer is marked private.
#[tokio::test]
async fn tasks_list_shows_each_caller_only_its_own_tasks() {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    use scopegate::mcp::{McpRequestBody, McpScopeLayer};
    use tower::{ServiceBuilder, ServiceExt};

    let issuer = scopegate_testkit::TestIssuer::new();
    let alice = issuer.token().subject("alice").scopes(["orders.read"]).sign();
    let mallory = issuer.token().subject("mallory").scopes(["orders.read"]).sign();
    let server = tower::service_fn(|request: http::Request<McpRequestBody<Full<Bytes>>>| async move {
        let body = request.into_body().collect().await.unwrap().to_bytes();
        let call: Value = serde_json::from_slice(&body).unwrap();
        let id = &call["id"];
        let result = match call["method"].as_str().unwrap() {
            // Each caller's export is a task named after the caller's argument.
            "tools/call" => json!({"task": {"taskId": call["params"]["arguments"]["as"], "status": "working"}}),
            "tasks/list" => json!({"tasks": [
                {"taskId": "t-alice", "status": "working"},
                {"taskId": "t-mallory", "status": "working"},
                {"taskId": "t-big", "status": "working"},
                {"taskId": "t-zipped", "status": "working"},
                {"taskId": "t-failed", "status": "working"},
                {"taskId": "t-identity", "status": "working"},
                {"taskId": "t-nobody", "status": "working"},
            ]}),
            other => panic!("{other}"),
        };
        let answer = json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string();
        let mut response = http::Response::new(Full::new(Bytes::from(answer)));
        response.headers_mut().insert("content-type", http::HeaderValue::from_static("application/json"));
        // An answer said to be compressed, or a failed one, is not read for a handle.
        if let Some(encoding) = call["params"]["arguments"]["encoding"].as_str() {
            response.headers_mut().insert("content-encoding", encoding.parse().unwrap());
        }
        if call["params"]["arguments"]["fail"] == true {
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
        Ok::<_, std::convert::Infallible>(response)
    });
    let scopes = |scope: &str| scopegate::ScopeRequirement::all_of([scope]).unwrap();
    let rules = McpScopeLayer::new()
        .tool("export_orders", scopes("orders.read"))
        .tool_if("export_orders", |arguments| arguments.get("big") != Some(&json!(false)), scopes("orders.approve"));
    let app = ServiceBuilder::new().layer(scopegate::BearerAuthLayer::new(issuer.verifier())).layer(rules).service(server);
    let send = |token: &str, body: Value| {
        let request = http::Request::post("/mcp")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            (status, serde_json::from_slice::<Value>(&response.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null))
        }
    };
    let export = |name: &str, big: bool| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "export_orders", "arguments": {"as": name, "big": big}, "task": {"ttl": 60000}}})
    };
    let approver = issuer.token().subject("alice").scopes(["orders.read", "orders.approve"]).sign();
    for (token, name, big) in [(&alice, "t-alice", false), (&mallory, "t-mallory", false), (&approver, "t-big", true)] {
        let (status, answer) = send(token, export(name, big)).await;
        assert_eq!((status, &answer["result"]["task"]["taskId"]), (StatusCode::OK, &json!(name)));
    }
    // The same handles in answers the layer cannot or must not read: never registered. The
    // one marked `identity` is read.
    for (name, arguments) in [
        ("t-zipped", json!({"as": "t-zipped", "big": false, "encoding": "gzip"})),
        ("t-failed", json!({"as": "t-failed", "big": false, "fail": true})),
        ("t-identity", json!({"as": "t-identity", "big": false, "encoding": "identity"})),
    ] {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "export_orders", "arguments": arguments}});
        let (_, answer) = send(&alice, call).await;
        assert_eq!(answer["result"]["task"]["taskId"], name);
    }
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tasks/list"});
    let listed = |answer: &Value| -> Vec<String> {
        assert_eq!(answer["result"]["cacheScope"], "private", "{answer}");
        answer["result"]["tasks"].as_array().unwrap().iter().map(|task| task["taskId"].as_str().unwrap().to_owned()).collect()
    };
    // Alice's token without `orders.approve` no longer sees (or reaches) the big export.
    for (token, own) in [(&alice, vec!["t-alice", "t-identity"]), (&mallory, vec!["t-mallory"]), (&approver, vec!["t-alice", "t-big", "t-identity"])] {
        let (status, answer) = send(token, list.clone()).await;
        assert_eq!((status, listed(&answer)), (StatusCode::OK, own.iter().map(|own| own.to_string()).collect::<Vec<_>>()));
    }
    let get = |task: &str| json!({"jsonrpc": "2.0", "id": 3, "method": "tasks/get", "params": {"taskId": task}});
    assert_eq!(send(&alice, get("t-big")).await.0, StatusCode::FORBIDDEN, "the argument rule, again");

    // A server that lets the caller choose the id hands Mallory "t-alice": it becomes no one's.
    let (status, _) = send(&mallory, export("t-alice", false)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, answer) = send(&alice, list.clone()).await;
    assert_eq!(listed(&answer), ["t-identity"]);
    let (_, answer) = send(&mallory, list.clone()).await;
    assert_eq!(listed(&answer), ["t-mallory"]);
    let not_found = json!({"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "task not found"}});
    assert_eq!(send(&mallory, get("t-alice")).await, (StatusCode::OK, not_found.clone()));
    assert_eq!(send(&alice, get("t-alice")).await, (StatusCode::OK, not_found));

    // A list asked for without an id could not be filtered: refused.
    let (status, _) = send(&mallory, json!({"jsonrpc": "2.0", "id": null, "method": "tasks/list"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(&mallory, json!({"jsonrpc": "2.0", "method": "tasks/list"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
