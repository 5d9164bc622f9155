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
use crate::resource::Pattern;

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
    /// Tools and prompts, by name.
    rules: HashMap<(Target, String), Rule>,
    /// Resources, by pattern; the most specific pattern that covers a URI decides.
    resources: Vec<(Pattern, Rule)>,
    /// Methods that name no object and are not session methods (`tasks/get`, a server's own).
    methods: HashMap<String, Rule>,
    unmapped: Unmapped,
    max_body_bytes: usize,
}

impl Config {
    fn resource_rule(&self, uri: &str) -> Option<&Rule> {
        self.resources
            .iter()
            .filter(|(pattern, _)| pattern.covers(uri))
            .max_by_key(|(pattern, _)| pattern.rank())
            .map(|(_, rule)| rule)
    }
}

/// Requires scopes (or any [`AccessRule`]) per MCP tool, resource and prompt, on the
/// streamable HTTP transport. Install it after
/// [`BearerAuthLayer`](scopegate_tower::BearerAuthLayer): the layer authenticates every
/// request, this one authorizes what a `POST` asks for.
///
/// For each `POST` it reads the JSON-RPC body (at most 1 MiB by default: `413` beyond, nested
/// at most 64 deep, repeated member names refused) and hands it on unchanged. Nothing passes
/// by default:
///
/// - every method that names an object is checked against that object's rule: `tools/call`
///   (the tool), `prompts/get` (the prompt), `resources/read`, `resources/subscribe`,
///   `resources/unsubscribe` (the resource), `completion/complete` (the prompt or resource
///   template its `ref` names). An object without a rule is refused (`403`) unless
///   [`otherwise`](Self::otherwise) gives a default;
/// - the [session methods](crate::SESSION_METHODS) (`initialize`, `ping`, the `*/list`
///   methods, `logging/setLevel`), notifications and JSON-RPC responses need only a valid
///   token;
/// - any other method (`tasks/get`, a server's own) is refused unless [`method`](Self::method)
///   maps it to a rule.
///
/// Resource rules match the normalised URI ([`normalize_resource_uri`](crate::normalize_resource_uri):
/// one spelling per resource, dot segments refused with `400`), exactly, by RFC 6570 template
/// or by prefix; the most specific rule that covers a URI decides (exact, then templates, then
/// prefixes, longer literal text first). A broader rule is a fallback for what no specific
/// rule covers: make it at least as strict as any specific rule under it.
///
/// `Mcp-Method` and `Mcp-Name` are required from protocol revision 2026-07-28 on, and must
/// agree with the body whenever sent; a batch, a body that is not JSON-RPC, or a disagreeing
/// header is `400` with a JSON-RPC error.
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
///     .resource("orders://catalog", ScopeRequirement::all_of(["orders.read"])?)?
///     .resource_template("orders://orders/{id}", ScopeRequirement::all_of(["orders.read"])?)?
///     .method("orders/export", ScopeRequirement::all_of(["orders.export"])?);
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
                resources: Vec::new(),
                methods: HashMap::new(),
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

    fn resource_pattern(
        self,
        pattern: Result<Pattern, crate::UriError>,
        rule: impl AccessRule,
    ) -> Result<Self, Error> {
        let pattern = pattern.map_err(|error| {
            Error::new(ErrorKind::InvalidConfiguration, format!("an MCP resource rule: {error}"))
        })?;
        let rule: Rule = Arc::new(rule);
        Ok(self.with(|config| {
            config.resources.retain(|(existing, _)| *existing != pattern);
            config.resources.push((pattern, rule));
        }))
    }

    /// The rule for the resource `uri` (read, subscribed to, completed), compared after
    /// normalisation.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when `uri` is not a URI (see
    /// [`normalize_resource_uri`](crate::normalize_resource_uri)).
    pub fn resource(self, uri: &str, rule: impl AccessRule) -> Result<Self, Error> {
        self.resource_pattern(Pattern::exact(uri), rule)
    }

    /// The rule for every resource an RFC 6570 template covers: `{name}` stands for one path
    /// segment (no `/`, `?` or `#`), `{+name}` for any non-empty text. `completion/complete`
    /// of the template itself falls under it too.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] for a malformed template.
    pub fn resource_template(self, template: &str, rule: impl AccessRule) -> Result<Self, Error> {
        self.resource_pattern(Pattern::template(template), rule)
    }

    /// The rule for every resource whose normalised URI starts with `prefix`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when `prefix` is not a URI prefix.
    pub fn resource_prefix(self, prefix: &str, rule: impl AccessRule) -> Result<Self, Error> {
        self.resource_pattern(Pattern::prefix(prefix), rule)
    }

    /// The rule for `method`, a method that names no tool, resource or prompt and is not a
    /// session method: a server's own, or `tasks/get`, `tasks/result`, `tasks/cancel`,
    /// `tasks/list` (this layer does not track which caller made a task: a rule for them lets
    /// any caller that passes it reach any task).
    pub fn method(self, method: impl Into<String>, rule: impl AccessRule) -> Self {
        let (method, rule): (String, Rule) = (method.into(), Arc::new(rule));
        self.with(|config| {
            config.methods.insert(method, rule);
        })
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
        let resources: Vec<_> = self.config.resources.iter().map(|(pattern, _)| pattern).collect();
        let mut methods: Vec<_> = self.config.methods.keys().collect();
        methods.sort();
        f.debug_struct("McpScopeLayer")
            .field("rules", &names)
            .field("resources", &resources)
            .field("methods", &methods)
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
    if call.is_session() {
        return None;
    }
    let unmapped = || match &config.unmapped {
        Unmapped::Require(rule) => Some(rule),
        Unmapped::Deny => None,
    };
    // A `subscriptions/listen` passes only if every resource it names would.
    for uri in &call.subscriptions {
        let rule = config.resource_rule(uri).or_else(unmapped);
        if let Some(refused) = check(rule, parts, "no scope grants what this request names") {
            return Some(refused);
        }
    }
    if call.target.is_none() && call.method.as_deref() == Some("subscriptions/listen") {
        return None;
    }
    let (rule, refusal) = match &call.target {
        Some((Target::Resource, uri)) => {
            (config.resource_rule(uri).or_else(unmapped), "no scope grants what this request names")
        }
        Some((kind, name)) => (
            config.rules.get(&(*kind, name.clone())).or_else(unmapped),
            "no scope grants what this request names",
        ),
        None => (
            call.method.as_ref().and_then(|method| config.methods.get(method)),
            "this server maps no rule to the method",
        ),
    };
    check(rule, parts, refusal)
}

/// `None` when `rule` passes for the request's claims; the refusal otherwise (no rule:
/// refused with `refusal`).
fn check(
    rule: Option<&Rule>,
    parts: &http::request::Parts,
    refusal: &'static str,
) -> Option<Response<Bytes>> {
    let head = RequestHead::new(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
    let outcome = match (rule, verified_claims(&parts.extensions)) {
        (_, Err(rejection)) => Err(rejection),
        (Some(rule), Ok(claims)) => rule.check(claims, &head),
        (None, Ok(_)) => {
            tracing::debug!(reason = refusal, "MCP request without a rule refused");
            Err(Rejection::Forbidden(Error::new(ErrorKind::InsufficientScope, refusal)))
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
