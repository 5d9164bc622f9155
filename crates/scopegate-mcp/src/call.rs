//! What an MCP request asks for: its JSON-RPC method and the tool, resource or prompt it
//! names, read from the body and checked against the `Mcp-Method` / `Mcp-Name` headers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, StatusCode};
use serde_json::{Map, Value};

/// `MCP-Protocol-Version`.
pub const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
/// `Mcp-Method` (MCP 2026-07-28).
pub const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
/// `Mcp-Name` (MCP 2026-07-28).
pub const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

/// The first revision whose requests must carry `Mcp-Method` and `Mcp-Name`.
pub const STANDARD_HEADERS_SINCE: &str = "2026-07-28";

/// How deep a JSON-RPC body may nest (tool arguments included).
pub const MAX_BODY_DEPTH: usize = 64;

/// JSON-RPC error codes this crate answers with.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
/// MCP 2026-07-28: a standard header is missing, malformed, or disagrees with the body.
const HEADER_MISMATCH: i64 = -32020;

/// What a request names, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `tools/call`: the tool's `params.name`.
    Tool,
    /// `resources/read`: the resource's `params.uri`.
    Resource,
    /// `prompts/get`: the prompt's `params.name`.
    Prompt,
}

impl Target {
    /// The kind a method names, if it names one.
    fn of(method: &str) -> Option<(Self, &'static str)> {
        match method {
            "tools/call" => Some((Self::Tool, "name")),
            "resources/read" => Some((Self::Resource, "uri")),
            "prompts/get" => Some((Self::Prompt, "name")),
            _ => None,
        }
    }
}

/// A JSON-RPC message as the layer reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpCall {
    /// The method; `None` for a JSON-RPC response the client sends back.
    pub method: Option<String>,
    /// The tool, resource or prompt named, for the three methods that name one.
    pub target: Option<(Target, String)>,
}

/// A request refused before any authorization: malformed JSON-RPC, a batch, a header that
/// disagrees with the body, a body over the bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    /// The HTTP status: `400`, or `413` for a body over the bound.
    pub status: StatusCode,
    code: i64,
    message: &'static str,
    id: Value,
}

impl CallError {
    fn new(code: i64, message: &'static str) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code, message, id: Value::Null }
    }

    pub(crate) fn too_large() -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: INVALID_REQUEST,
            message: "the request body is larger than this server accepts",
            id: Value::Null,
        }
    }

    pub(crate) fn unreadable() -> Self {
        Self::new(INVALID_REQUEST, "the request body could not be read")
    }

    fn with_id(mut self, id: Option<&Value>) -> Self {
        if let Some(id @ (Value::String(_) | Value::Number(_))) = id {
            self.id = id.clone();
        }
        self
    }

    /// The message, for logs and tests.
    pub fn message(&self) -> &str {
        self.message
    }

    /// The JSON-RPC error code.
    pub fn code(&self) -> i64 {
        self.code
    }

    /// The response body: a JSON-RPC error object (MCP clients understand it; no token or
    /// request value is echoed but the request's `id`).
    pub fn body(&self) -> Bytes {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": self.id,
            "error": { "code": self.code, "message": self.message },
        });
        Bytes::from(body.to_string())
    }
}

impl McpCall {
    /// Reads the call from a POST's `headers` and `body`.
    ///
    /// The body must be one JSON-RPC message (batches were removed in MCP 2025-06-18), valid
    /// UTF-8 JSON without repeated member names, nested at most [`MAX_BODY_DEPTH`] deep. When
    /// `MCP-Protocol-Version` is 2026-07-28 or later, `Mcp-Method` (and, for the three methods
    /// that name something, `Mcp-Name`) are required; with any version, a header that is
    /// present must agree with the body. The body decides, and it equals the headers.
    ///
    /// # Errors
    ///
    /// A [`CallError`] (`400`) for anything else.
    pub fn read(headers: &HeaderMap, body: &[u8]) -> Result<Self, CallError> {
        let message = match scopegate_core::json::parse_value(body, MAX_BODY_DEPTH) {
            Ok(Value::Object(message)) => message,
            Ok(Value::Array(_)) => {
                return Err(CallError::new(
                    INVALID_REQUEST,
                    "JSON-RPC batches are not accepted (removed in MCP 2025-06-18)",
                ));
            }
            Ok(_) => {
                return Err(CallError::new(INVALID_REQUEST, "the body is not a JSON-RPC message"));
            }
            Err(_) => return Err(CallError::new(PARSE_ERROR, "the body is not valid JSON")),
        };
        let id = message.get("id");
        let call = Self::from_message(&message).map_err(|error| error.with_id(id))?;
        check_headers(headers, &call).map_err(|error| error.with_id(id))?;
        Ok(call)
    }

    fn from_message(message: &Map<String, Value>) -> Result<Self, CallError> {
        let invalid = |message| CallError::new(INVALID_REQUEST, message);
        if message.get("jsonrpc") != Some(&Value::String("2.0".to_owned())) {
            return Err(invalid("the body is not a JSON-RPC 2.0 message"));
        }
        let method = match message.get("method") {
            None if message.contains_key("result") || message.contains_key("error") => {
                return Ok(Self { method: None, target: None });
            }
            Some(Value::String(method)) => method,
            _ => return Err(invalid("the JSON-RPC message has no method")),
        };
        let target = match Target::of(method) {
            None => None,
            Some((kind, member)) => {
                let name = match message.get("params") {
                    Some(Value::Object(params)) => params.get(member),
                    _ => None,
                };
                match name {
                    Some(Value::String(name)) => Some((kind, name.clone())),
                    _ => {
                        return Err(invalid(match kind {
                            Target::Resource => "the request names no resource (`params.uri`)",
                            _ => "the request names no tool or prompt (`params.name`)",
                        }));
                    }
                }
            }
        };
        Ok(Self { method: Some(method.clone()), target })
    }
}

/// The standard headers against the call read from the body.
fn check_headers(headers: &HeaderMap, call: &McpCall) -> Result<(), CallError> {
    let mismatch = |message| CallError::new(HEADER_MISMATCH, message);
    let version = single(headers, &PROTOCOL_VERSION)?;
    let required = version.is_some_and(|version| version >= STANDARD_HEADERS_SINCE);
    match (single(headers, &MCP_METHOD)?, &call.method) {
        (Some(header), Some(method)) if header == method => {}
        (Some(_), _) => return Err(mismatch("the Mcp-Method header does not match the body")),
        (None, Some(_)) if required => {
            return Err(mismatch("the Mcp-Method header is required with this protocol version"));
        }
        (None, _) => {}
    }
    let name = match single(headers, &MCP_NAME)? {
        Some(value) => {
            Some(decode_name(value).ok_or_else(|| mismatch("the Mcp-Name header is malformed"))?)
        }
        None => None,
    };
    match (name, &call.target) {
        (Some(header), Some((_, name))) if header == *name => Ok(()),
        (Some(_), _) => Err(mismatch("the Mcp-Name header does not match the body")),
        (None, Some(_)) if required => {
            Err(mismatch("the Mcp-Name header is required with this protocol version"))
        }
        (None, _) => Ok(()),
    }
}

/// The one value of `name`, if present; two values are an error.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<Option<&'a str>, CallError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(CallError::new(HEADER_MISMATCH, "a standard MCP header appears twice"));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| CallError::new(HEADER_MISMATCH, "a standard MCP header is not visible ASCII"))
}

/// An `Mcp-Name` value: plain, or `=?base64?<standard base64 of UTF-8>?=` (MCP 2026-07-28).
fn decode_name(value: &str) -> Option<String> {
    match value.strip_prefix("=?base64?").and_then(|rest| rest.strip_suffix("?=")) {
        Some(encoded) => String::from_utf8(STANDARD.decode(encoded).ok()?).ok(),
        None => Some(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
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
    fn headers_must_agree_with_the_body() {
        let v = "2026-07-28";
        let ok = headers(&[
            (&PROTOCOL_VERSION, v),
            (&MCP_METHOD, "tools/call"),
            (&MCP_NAME, "list_orders"),
        ]);
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
            (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["list_orders"]}"#, INVALID_REQUEST),
            (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}"#, INVALID_REQUEST),
            (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}"#, PARSE_ERROR),
            (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list"}"#, PARSE_ERROR),
        ] {
            let error = McpCall::read(&HeaderMap::new(), body).unwrap_err();
            assert_eq!((error.status, error.code()), (StatusCode::BAD_REQUEST, code), "{}", String::from_utf8_lossy(body));
        }
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","arguments":{}1{}}}}}"#,
            "[".repeat(70),
            "]".repeat(70)
        );
        assert_eq!(
            McpCall::read(&HeaderMap::new(), deep.as_bytes()).unwrap_err().code(),
            PARSE_ERROR
        );
    }
}
