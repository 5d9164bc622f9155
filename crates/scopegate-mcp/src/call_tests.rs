use super::*;
use http::HeaderValue;

fn headers(pairs: &[(&HeaderName, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append((*name).clone(), HeaderValue::from_str(value).unwrap());
    }
    map
}

const CALL: &[u8] = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_orders","arguments":{}}}"#;

#[test]
fn reads_the_three_kinds() {
    let call = McpCall::read(&HeaderMap::new(), CALL).unwrap();
    assert_eq!(call.target, Some((Target::Tool, "list_orders".to_owned())));
    let read =
        br#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"orders://1"}}"#;
    assert_eq!(
        McpCall::read(&HeaderMap::new(), read).unwrap().target,
        Some((Target::Resource, "orders://1".to_owned()))
    );
    let list = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    assert_eq!(McpCall::read(&HeaderMap::new(), list).unwrap().target, None);
    let response = br#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
    assert_eq!(McpCall::read(&HeaderMap::new(), response).unwrap().method, None);
}

#[test]
fn every_method_that_names_an_object_is_read() {
    let read = |body: &str| McpCall::read(&HeaderMap::new(), body.as_bytes());
    let target = |body: &str| read(body).unwrap().target;
    for method in ["resources/subscribe", "resources/unsubscribe"] {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{"uri":"ORDERS://audit-log"}}}}"#
        );
        assert_eq!(
            target(&body),
            Some((Target::Resource, "orders://audit-log".to_owned())),
            "{method}"
        );
    }
    let prompt = r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"refund"},"argument":{"name":"a","value":""}}}"#;
    assert_eq!(target(prompt), Some((Target::Prompt, "refund".to_owned())));
    let template = r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"orders://orders/{id}"}}}"#;
    assert_eq!(target(template), Some((Target::Resource, "orders://orders/{id}".to_owned())));
    for bad in [
        r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/tool","name":"x"}}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","uri":"x"}}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{}}"#,
    ] {
        assert_eq!(read(bad).unwrap_err().code(), INVALID_REQUEST, "{bad}");
    }
    let dots = r#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"orders://x/%2e%2e/admin"}}"#;
    assert_eq!(read(dots).unwrap_err().code(), INVALID_PARAMS);
    // Session methods and responses need no rule; anything else is not a session method.
    for (body, session) in [
        (r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, true),
        (r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, true),
        (r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, true),
        (r#"{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"t"}}"#, false),
        (r#"{"jsonrpc":"2.0","id":1,"method":"orders/export"}"#, false),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true}}}"#,
            true,
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"notifications":{"resourceSubscriptions":["orders://audit-log"]}}}"#,
            false,
        ),
    ] {
        assert_eq!(read(body).unwrap().is_session(), session, "{body}");
    }
    let listen = r#"{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"notifications":{"resourceSubscriptions":["Orders://a","orders://b/%7e"]}}}"#;
    assert_eq!(read(listen).unwrap().subscriptions, ["orders://a", "orders://b/~"]);
    let many: Vec<String> = (0..=MAX_SUBSCRIPTIONS).map(|n| format!("\"orders://{n}\"")).collect();
    let flood = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{{"notifications":{{"resourceSubscriptions":[{}]}}}}}}"#,
        many.join(",")
    );
    assert_eq!(read(&flood).unwrap_err().code(), INVALID_PARAMS);
}

#[test]
fn headers_must_agree_with_the_body() {
    let v = "2026-07-28";
    let ok =
        headers(&[(&PROTOCOL_VERSION, v), (&MCP_METHOD, "tools/call"), (&MCP_NAME, "list_orders")]);
    assert!(McpCall::read(&ok, CALL).is_ok());
    let encoded = headers(&[
        (&PROTOCOL_VERSION, v),
        (&MCP_METHOD, "tools/call"),
        (&MCP_NAME, "=?base64?bGlzdF9vcmRlcnM=?="),
    ]);
    assert!(McpCall::read(&encoded, CALL).is_ok());
    for bad in [
        headers(&[
            (&PROTOCOL_VERSION, v),
            (&MCP_METHOD, "tools/call"),
            (&MCP_NAME, "approve_order"),
        ]),
        headers(&[(&PROTOCOL_VERSION, v), (&MCP_METHOD, "tools/call")]),
        headers(&[(&PROTOCOL_VERSION, v), (&MCP_NAME, "list_orders")]),
        headers(&[(&MCP_NAME, "approve_order")]),
        headers(&[(&PROTOCOL_VERSION, "2025-11-25"), (&MCP_METHOD, "tools/list")]),
        headers(&[(&MCP_NAME, "list_orders"), (&MCP_NAME, "list_orders")]),
        headers(&[
            (&PROTOCOL_VERSION, v),
            (&MCP_METHOD, "tools/call"),
            (&MCP_NAME, "=?base64?!!!?="),
        ]),
    ] {
        let error = McpCall::read(&bad, CALL).unwrap_err();
        assert_eq!(
            (error.status, error.code()),
            (StatusCode::BAD_REQUEST, HEADER_MISMATCH),
            "{bad:?}"
        );
        assert!(std::str::from_utf8(&error.body()).unwrap().contains(r#""id":7"#));
    }
    // Older versions need no headers.
    let old = headers(&[(&PROTOCOL_VERSION, "2025-11-25")]);
    assert!(McpCall::read(&old, CALL).is_ok());
}

#[test]
fn refuses_what_is_not_one_json_rpc_message() {
    for (body, code) in [
        (&b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}]"[..], INVALID_REQUEST),
        (b"{", PARSE_ERROR),
        (b"\"tools/call\"", INVALID_REQUEST),
        (br#"{"id":1,"method":"tools/list"}"#, INVALID_REQUEST),
        (br#"{"jsonrpc":"2.0","id":1}"#, INVALID_REQUEST),
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["list_orders"]}"#,
            INVALID_REQUEST,
        ),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}"#, INVALID_REQUEST),
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}"#,
            PARSE_ERROR,
        ),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list"}"#, PARSE_ERROR),
    ] {
        let error = McpCall::read(&HeaderMap::new(), body).unwrap_err();
        assert_eq!(
            (error.status, error.code()),
            (StatusCode::BAD_REQUEST, code),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","arguments":{}1{}}}}}"#,
        "[".repeat(70),
        "]".repeat(70)
    );
    assert_eq!(McpCall::read(&HeaderMap::new(), deep.as_bytes()).unwrap_err().code(), PARSE_ERROR);
}
