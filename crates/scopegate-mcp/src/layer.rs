//! [`McpScopeLayer`] and its service [`McpScope`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use scopegate_core::{Error, ErrorKind};
use scopegate_tower::{AccessRule, Rejection, RequestHead, reject, verified_claims};
use tower_layer::Layer;
use tower_service::Service;

use crate::call::{CallError, McpCall, Target};

/// The largest JSON-RPC body read, unless [`McpScopeLayer::max_body_bytes`] says otherwise.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

type Rule = Arc<dyn AccessRule>;

/// What happens to a tool, resource or prompt with no rule of its own.
#[derive(Clone)]
enum Unmapped {
    Deny,
    Require(Rule),
}

#[derive(Clone)]
struct Config {
    rules: HashMap<(Target, String), Rule>,
    unmapped: Unmapped,
    max_body_bytes: usize,
}

/// Requires scopes (or any [`AccessRule`]) per MCP tool, resource and prompt, on the
/// streamable HTTP transport. Install it after
/// [`BearerAuthLayer`](scopegate_tower::BearerAuthLayer): the layer authenticates every
/// request, this one authorizes what a `POST` asks for.
///
/// For each `POST` it reads the JSON-RPC body (at most 1 MiB by default: `413` beyond, nested
/// at most 64 deep, repeated member names refused) and hands it on unchanged. `tools/call`,
/// `resources/read` and `prompts/get` are checked against the rule of the tool, resource or
/// prompt they name; a name without a rule is refused (`403`) unless
/// [`otherwise`](Self::otherwise) gives a default. Every other method (`initialize`,
/// `tools/list`, notifications) needs only a valid token. `Mcp-Method` and `Mcp-Name` are
/// required from protocol revision 2026-07-28 on, and must agree with the body whenever sent;
/// a batch, a body that is not JSON-RPC, or a disagreeing header is `400` with a JSON-RPC error.
///
/// Rules use each token's issuer's scope policy, so a hierarchical policy lets `orders` grant
/// a tool that requires `orders:read`. A refused call gets the standard `403
/// insufficient_scope` challenge naming the rule's scopes, with `resource_metadata` when the
/// verifier guards a protected resource.
///
/// ```
/// use scopegate_core::{RoleRequirement, ScopeRequirement};
/// use scopegate_mcp::McpScopeLayer;
///
/// let tools = McpScopeLayer::new()
///     .tool("list_orders", ScopeRequirement::all_of(["orders.read"])?)
///     .tool("create_order", ScopeRequirement::all_of(["orders.write"])?)
///     .tool(
///         "approve_order",
///         (ScopeRequirement::all_of(["orders.approve"])?, RoleRequirement::new("operator")),
///     )
///     .resource("orders://catalog", ScopeRequirement::all_of(["orders.read"])?);
/// # let _ = tools;
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct McpScopeLayer {
    config: Arc<Config>,
}

impl Default for McpScopeLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl McpScopeLayer {
    /// No rules yet: every named tool, resource and prompt is refused.
    pub fn new() -> Self {
        Self {
            config: Arc::new(Config {
                rules: HashMap::new(),
                unmapped: Unmapped::Deny,
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = Arc::unwrap_or_clone(self.config);
        change(&mut config);
        Self { config: Arc::new(config) }
    }

    fn rule(self, target: Target, name: impl Into<String>, rule: impl AccessRule) -> Self {
        let (name, rule): (String, Rule) = (name.into(), Arc::new(rule));
        self.with(|config| {
            config.rules.insert((target, name), rule);
        })
    }

    /// The rule for the tool `name` (`tools/call`).
    pub fn tool(self, name: impl Into<String>, rule: impl AccessRule) -> Self {
        self.rule(Target::Tool, name, rule)
    }

    /// The rule for the resource `uri` (`resources/read`), compared exactly.
    pub fn resource(self, uri: impl Into<String>, rule: impl AccessRule) -> Self {
        self.rule(Target::Resource, uri, rule)
    }

    /// The rule for the prompt `name` (`prompts/get`).
    pub fn prompt(self, name: impl Into<String>, rule: impl AccessRule) -> Self {
        self.rule(Target::Prompt, name, rule)
    }

    /// The rule for tools, resources and prompts without one of their own. Without this call
    /// they are refused: a tool added to the server but forgotten here is not open to every
    /// token.
    pub fn otherwise(self, rule: impl AccessRule) -> Self {
        let rule: Rule = Arc::new(rule);
        self.with(|config| config.unmapped = Unmapped::Require(rule))
    }

    /// The largest body read. Defaults to 1 MiB.
    pub fn max_body_bytes(self, bytes: usize) -> Self {
        self.with(|config| config.max_body_bytes = bytes)
    }
}

impl fmt::Debug for McpScopeLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.config.rules.keys().collect();
        names.sort();
        f.debug_struct("McpScopeLayer")
            .field("rules", &names)
            .field("max_body_bytes", &self.config.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for McpScopeLayer {
    type Service = McpScope<S>;

    fn layer(&self, inner: S) -> McpScope<S> {
        McpScope { inner, config: Arc::clone(&self.config) }
    }
}

/// The service of [`McpScopeLayer`].
#[derive(Clone)]
pub struct McpScope<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> McpScope<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> fmt::Debug for McpScope<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpScope").finish_non_exhaustive()
    }
}

/// The request body handed on: the buffered JSON-RPC body of a `POST`, or the original body.
pub type McpRequestBody<B> = Either<Full<Bytes>, B>;

/// The response body: the inner service's, or this layer's own answer.
pub type McpResponseBody<B> = Either<B, Full<Bytes>>;

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B, ResB> Service<Request<B>> for McpScope<S>
where
    S: Service<Request<McpRequestBody<B>>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResB: Send + 'static,
{
    type Response = Response<McpResponseBody<ResB>>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was polled ready goes with the request; a clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if request.method() != Method::POST {
            let future = inner.call(request.map(Either::Right));
            return Box::pin(async move { Ok(future.await?.map(Either::Left)) });
        }
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let refused = |response: Response<Bytes>| {
                Ok(response.map(|bytes| Either::Right(Full::new(bytes))))
            };
            if let Err(rejection) = verified_claims(&parts.extensions) {
                return refused(reject(&parts.extensions, &rejection, None));
            }
            let body = match Limited::new(body, config.max_body_bytes).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) if error.is::<LengthLimitError>() => {
                    return refused(call_error(&CallError::too_large()));
                }
                Err(_) => return refused(call_error(&CallError::unreadable())),
            };
            let call = match McpCall::read(&parts.headers, &body) {
                Ok(call) => call,
                Err(error) => return refused(call_error(&error)),
            };
            if let Some(response) = authorize(&config, &parts, &call) {
                return refused(response);
            }
            let request = Request::from_parts(parts, Either::Left(Full::new(body)));
            Ok(inner.call(request).await?.map(Either::Left))
        })
    }
}

/// `None` when the call may go on; the refusal otherwise.
fn authorize(
    config: &Config,
    parts: &http::request::Parts,
    call: &McpCall,
) -> Option<Response<Bytes>> {
    let (kind, name) = call.target.as_ref()?;
    let rule = match config.rules.get(&(*kind, name.clone())) {
        Some(rule) => Some(rule),
        None => match &config.unmapped {
            Unmapped::Require(rule) => Some(rule),
            Unmapped::Deny => None,
        },
    };
    let head = RequestHead::new(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
    let outcome = match (rule, verified_claims(&parts.extensions)) {
        (_, Err(rejection)) => Err(rejection),
        (Some(rule), Ok(claims)) => rule.check(claims, &head),
        (None, Ok(_)) => {
            tracing::debug!(?kind, "MCP call to a name without a rule refused");
            Err(Rejection::Forbidden(Error::new(
                ErrorKind::InsufficientScope,
                "no scope grants what this request names",
            )))
        }
    };
    outcome.err().map(|rejection| reject(&parts.extensions, &rejection, None))
}

fn call_error(error: &CallError) -> Response<Bytes> {
    tracing::debug!(status = %error.status, code = error.code(), reason = error.message(), "MCP request refused");
    let mut response = Response::new(error.body());
    *response.status_mut() = error.status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
