//! What an MCP request asks for: its JSON-RPC method and the tool, resource or prompt it
//! names, read from the body and checked against the `Mcp-Method` / `Mcp-Name` headers.
//!
//! ```
//! use http::HeaderMap;
//! use scopegate_mcp::{McpCall, Target};
//!
//! let body = br#"{"jsonrpc":"2.0","id":1,"method":"completion/complete",
//!     "params":{"ref":{"type":"ref/prompt","name":"refund_customer"},"argument":{"name":"customer","value":"a"}}}"#;
//! let call = McpCall::read(&HeaderMap::new(), body)?;
//! assert_eq!(call.target, Some((Target::Prompt, "refund_customer".to_owned())));
//! assert!(!call.is_session());
//! # Ok::<(), scopegate_mcp::CallError>(())
//! ```

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

/// How many resources one `subscriptions/listen` may name.
pub const MAX_SUBSCRIPTIONS: usize = 256;

/// JSON-RPC error codes this crate answers with.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;
/// The MCP transport's "session not found".
const SESSION_NOT_FOUND: i64 = -32001;
/// MCP 2026-07-28: a standard header is missing, malformed, or disagrees with the body.
pub(crate) const HEADER_MISMATCH: i64 = -32020;

/// The methods that name no tool, resource, prompt or task and need only a valid token (with
/// every `notifications/...` a client sends, and JSON-RPC responses). Lists are in: the layer
/// filters what they show (and a client that sees a tool still needs its rule to call it).
pub const SESSION_METHODS: [&str; 10] = [
    "initialize",
    "ping",
    "server/discover",
    "skills/list",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "tasks/list",
    "logging/setLevel",
];

/// What a request names, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `tools/call`: the tool's `params.name`.
    Tool,
    /// `resources/read`, `resources/subscribe`, `resources/unsubscribe`: `params.uri`;
    /// `completion/complete` of a `ref/resource`: its (template) `uri`. Normalised
    /// ([`normalize_resource_uri`](crate::normalize_resource_uri)).
    Resource,
    /// `prompts/get`: `params.name`; `completion/complete` of a `ref/prompt`: its `name`.
    Prompt,
    /// `tasks/get`, `tasks/result`, `tasks/update`, `tasks/cancel`: `params.taskId`, a task a
    /// server created for an earlier call (it belongs to that call's caller).
    Task,
}

impl Target {
    /// The kind a method names and the member of `params` that names it, if it names one.
    fn of(method: &str) -> Option<(Self, &'static str)> {
        match method {
            "tools/call" => Some((Self::Tool, "name")),
            "resources/read"
            | "resources/subscribe"
            | "resources/unsubscribe"
            | "resources/directory/read" => Some((Self::Resource, "uri")),
            "prompts/get" => Some((Self::Prompt, "name")),
            "tasks/get" | "tasks/result" | "tasks/update" | "tasks/cancel" => {
                Some((Self::Task, "taskId"))
            }
            _ => None,
        }
    }
}

/// The methods whose `Mcp-Name` header is required from [`STANDARD_HEADERS_SINCE`] on (a
/// task's id for the tasks extension's methods, so that a gateway can route the polling).
const NAME_HEADER_METHODS: [&str; 6] =
    ["tools/call", "resources/read", "prompts/get", "tasks/get", "tasks/update", "tasks/cancel"];

/// A JSON-RPC message as the layer reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpCall {
    /// The method; `None` for a JSON-RPC response the client sends back.
    pub method: Option<String>,
    /// The tool, resource or prompt named, for the methods that name one.
    pub target: Option<(Target, String)>,
    /// The resources a `subscriptions/listen` names (`notifications.resourceSubscriptions`),
    /// normalised: each needs its rule.
    pub subscriptions: Vec<String>,
    /// The request's `id` (a string or a number), to find its answer; `None` for
    /// notifications and responses.
    pub id: Option<Value>,
    /// A `tools/call`'s `params.arguments`, for rules that read them.
    pub arguments: Option<Map<String, Value>>,
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
    pub(crate) fn new(code: i64, message: &'static str) -> Self {
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

    /// `404`: a session this caller did not begin (the client initializes again).
    pub(crate) fn session_not_found() -> Self {
        Self { status: StatusCode::NOT_FOUND, ..Self::new(SESSION_NOT_FOUND, "session not found") }
    }

    /// `502`: a list answer the layer cannot judge, not passed on.
    pub(crate) fn unfiltered(message: &'static str) -> Self {
        Self { status: StatusCode::BAD_GATEWAY, ..Self::new(INTERNAL_ERROR, message) }
    }

    /// A task this caller did not create, or none by that id: `200` with the JSON-RPC error
    /// MCP gives for an unknown task (the same answer either way).
    pub(crate) fn task_not_found(id: Option<&Value>) -> Self {
        let error = Self { status: StatusCode::OK, ..Self::new(INVALID_PARAMS, "task not found") };
        error.with_id(id)
    }

    pub(crate) fn fractional_id() -> Self {
        Self::new(INVALID_REQUEST, "a list request's id must be a string or an integer")
    }

    pub(crate) fn resumption() -> Self {
        Self::new(
            INVALID_REQUEST,
            "resuming an event stream is not supported behind this layer: replayed answers \
             would skip its filtering",
        )
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
        let (call, spelled) = Self::from_message(&message).map_err(|error| error.with_id(id))?;
        check_headers(headers, &call, spelled.as_deref()).map_err(|error| error.with_id(id))?;
        crate::params::check(headers, call.arguments.as_ref())
            .map_err(|error| error.with_id(id))?;
        Ok(call)
    }

    /// Whether the message needs only a valid token: a response, a notification, or one of
    /// the [`SESSION_METHODS`].
    pub fn is_session(&self) -> bool {
        self.method.as_deref().is_none_or(|method| {
            // A notification has no id: one with an id is a request, judged as such.
            (method.starts_with("notifications/") && self.id.is_none())
                || SESSION_METHODS.contains(&method)
                || (method == "subscriptions/listen" && self.subscriptions.is_empty())
        })
    }

    /// The call, and the name as the body spells it (for the `Mcp-Name` header).
    fn from_message(message: &Map<String, Value>) -> Result<(Self, Option<String>), CallError> {
        let invalid = |message| CallError::new(INVALID_REQUEST, message);
        if message.get("jsonrpc") != Some(&Value::String("2.0".to_owned())) {
            return Err(invalid("the body is not a JSON-RPC 2.0 message"));
        }
        let method = match message.get("method") {
            None if message.contains_key("result") || message.contains_key("error") => {
                let none = Self {
                    method: None,
                    target: None,
                    subscriptions: Vec::new(),
                    id: None,
                    arguments: None,
                };
                return Ok((none, None));
            }
            Some(Value::String(method)) => method,
            _ => return Err(invalid("the JSON-RPC message has no method")),
        };
        let params = match message.get("params") {
            Some(Value::Object(params)) => Some(params),
            _ => None,
        };
        let named = match (Target::of(method), method.as_str()) {
            (Some((kind, member)), _) => match params.and_then(|params| params.get(member)) {
                Some(Value::String(name)) => Some((kind, name)),
                _ => {
                    return Err(invalid(match kind {
                        Target::Resource => "the request names no resource (`params.uri`)",
                        Target::Task => "the request names no task (`params.taskId`)",
                        _ => "the request names no tool or prompt (`params.name`)",
                    }));
                }
            },
            (None, "completion/complete") => Some(completion_ref(params)?),
            (None, _) => None,
        };
        let target = match named {
            Some((Target::Resource, uri)) => {
                Some((Target::Resource, resource_uri(uri, method == "completion/complete")?))
            }
            Some((kind, name)) => Some((kind, name.clone())),
            None => None,
        };
        let subscriptions =
            if method == "subscriptions/listen" { subscriptions(params)? } else { Vec::new() };
        // What an `Mcp-Name` header must equal: the name read, or for other methods (a
        // server's own, `skills/get`) their `name` or `uri`, so that no header goes unchecked.
        let spelled = named.map(|(_, name)| name.as_str()).or_else(|| {
            let params = params?;
            ["name", "uri"].into_iter().find_map(|member| params.get(member)?.as_str())
        });
        let spelled = spelled.map(str::to_owned);
        let id = match message.get("id") {
            Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
            _ => None,
        };
        let arguments = match params.and_then(|params| params.get("arguments")) {
            Some(Value::Object(arguments)) if method == "tools/call" => Some(arguments.clone()),
            _ => None,
        };
        let call = Self { method: Some(method.clone()), target, subscriptions, id, arguments };
        Ok((call, spelled))
    }
}

/// A resource URI (or, for completions, a template) normalised, or `400`.
fn resource_uri(uri: &str, template: bool) -> Result<String, CallError> {
    crate::resource::normalize(uri, template).map_err(|_| {
        CallError::new(INVALID_PARAMS, "a resource URI is malformed or has dot segments")
    })
}

/// The resources a `subscriptions/listen` names, normalised (at most [`MAX_SUBSCRIPTIONS`]).
fn subscriptions(params: Option<&Map<String, Value>>) -> Result<Vec<String>, CallError> {
    let invalid = |message| CallError::new(INVALID_PARAMS, message);
    let named = params
        .and_then(|params| params.get("notifications"))
        .and_then(|notifications| notifications.get("resourceSubscriptions"));
    let Some(named) = named else { return Ok(Vec::new()) };
    let Value::Array(uris) = named else {
        return Err(invalid("`resourceSubscriptions` is not an array of URIs"));
    };
    if uris.len() > MAX_SUBSCRIPTIONS {
        return Err(invalid("the request subscribes to more resources than this server accepts"));
    }
    uris.iter()
        .map(|uri| match uri {
            Value::String(uri) => resource_uri(uri, false),
            _ => Err(invalid("`resourceSubscriptions` is not an array of URIs")),
        })
        .collect()
}

/// What `completion/complete` completes: `params.ref`, a prompt by `name` or a resource
/// (template) by `uri`.
fn completion_ref(params: Option<&Map<String, Value>>) -> Result<(Target, &String), CallError> {
    let invalid = || {
        CallError::new(
            INVALID_REQUEST,
            "the completion names no prompt or resource (`params.ref` with `type` and `name` or `uri`)",
        )
    };
    let Some(Value::Object(reference)) = params.and_then(|params| params.get("ref")) else {
        return Err(invalid());
    };
    let (kind, member) = match reference.get("type").and_then(Value::as_str) {
        Some("ref/prompt") => (Target::Prompt, "name"),
        Some("ref/resource") => (Target::Resource, "uri"),
        _ => return Err(invalid()),
    };
    match reference.get(member) {
        Some(Value::String(name)) => Ok((kind, name)),
        _ => Err(invalid()),
    }
}

/// The standard headers against the call read from the body (`spelled`: the name as the body
/// spells it).
fn check_headers(
    headers: &HeaderMap,
    call: &McpCall,
    spelled: Option<&str>,
) -> Result<(), CallError> {
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
    let name_required =
        call.method.as_deref().is_some_and(|method| NAME_HEADER_METHODS.contains(&method));
    match (name, spelled) {
        (Some(header), Some(name)) if header == name => Ok(()),
        (Some(_), _) => Err(mismatch("the Mcp-Name header does not match the body")),
        (None, Some(_)) if required && name_required => {
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
pub(crate) fn decode_name(value: &str) -> Option<String> {
    match value.strip_prefix("=?base64?").and_then(|rest| rest.strip_suffix("?=")) {
        Some(encoded) => String::from_utf8(STANDARD.decode(encoded).ok()?).ok(),
        None => Some(value.to_owned()),
    }
}

#[cfg(test)]
#[path = "call_tests.rs"]
mod tests;
