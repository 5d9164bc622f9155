//! [`McpScope`], the service of [`McpScopeLayer`](crate::McpScopeLayer): reads each `POST`'s
//! JSON-RPC body, authorizes what it names, and filters the lists the server answers with.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Request, Response, Uri};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use scopegate_core::{Error, ErrorKind};
use scopegate_tower::{NoTokenPassthrough, Rejection, RequestHead, reject, verified_claims};
use serde_json::Value;
use tower_service::Service;

use crate::call::{CallError, McpCall, Target};
use crate::layer::{Config, Rule};
use crate::listing::{EventStream, Judged, Listing, canonical_id, filter_message};
use crate::owned::Owner;
use crate::resource::normalize;
use crate::tasks::{TaskWatch, WatchedBody};

/// The service of [`McpScopeLayer`](crate::McpScopeLayer).
#[derive(Clone)]
pub struct McpScope<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> McpScope<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        Self { inner, config }
    }

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

/// The response body: the inner service's (watched for task handles when it answers a
/// `tools/call`), or this layer's own answer.
pub type McpResponseBody<B> = Either<WatchedBody<B>, Full<Bytes>>;

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// The largest list answer read to filter it (`502` beyond: an answer too large to judge is
/// not passed on unjudged).
const MAX_LIST_BYTES: usize = 8 * 1024 * 1024;

/// The most of an anonymous request's body read (to name the scopes its call needs in the
/// `401`): an anonymous flood costs little.
const MAX_ANONYMOUS_BODY_BYTES: usize = 64 * 1024;

/// `Mcp-Session-Id`: the session a stateful server began.
const MCP_SESSION_ID: http::HeaderName = http::HeaderName::from_static("mcp-session-id");

/// `Last-Event-ID`: a client resuming an event stream.
const LAST_EVENT_ID: http::HeaderName = http::HeaderName::from_static("last-event-id");

impl<S, B, ResB> Service<Request<B>> for McpScope<S>
where
    S: Service<Request<McpRequestBody<B>>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResB: Body<Data = Bytes> + Send + Unpin + 'static,
    ResB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<McpResponseBody<ResB>>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The service that was polled ready goes with the request; a clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        // MCP forbids passing the client's token on: its audience is this server.
        request.extensions_mut().insert(NoTokenPassthrough);
        let config = Arc::clone(&self.config);
        // Behind an optional bearer layer, an anonymous request is refused here, where what it
        // asks for is known: a `POST` once its body is read, anything else now.
        if request.method() != Method::POST
            && let Err(rejection) = verified_claims(request.extensions())
        {
            let refused =
                reject(request.extensions(), &rejection, config.challenge_scope.as_deref());
            return Box::pin(
                async move { Ok(refused.map(|bytes| Either::Right(Full::new(bytes)))) },
            );
        }
        // Resuming a stream replays the server's stored events as they were sent to it, list
        // answers unfiltered: refused (use a stateless server, or one without an event store).
        if request.method() == Method::GET && request.headers().contains_key(LAST_EVENT_ID) {
            let refused = refusal(&CallError::resumption());
            return Box::pin(async move { Ok(refused) });
        }
        // A session belongs to whoever began it.
        let session = request.headers().get(MCP_SESSION_ID).map(|id| id.as_bytes().to_vec());
        // (An anonymous `POST` is refused below, with the scopes it needs.)
        if let (Some(id), Ok(claims)) = (&session, verified_claims(request.extensions()))
            && config.sessions.owned_by(id, claims).is_none()
        {
            tracing::debug!("an MCP session id of another caller, or unknown, refused");
            let refused = refusal(&CallError::session_not_found());
            return Box::pin(async move { Ok(refused) });
        }
        if request.method() != Method::POST {
            let ending = (request.method() == Method::DELETE).then_some(session).flatten();
            let future = inner.call(request.map(Either::Right));
            return Box::pin(async move {
                let response = future.await?;
                if let Some(id) = ending.filter(|_| response.status().is_success()) {
                    config.sessions.forget(&id);
                }
                Ok(response.map(passed))
            });
        }
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let refused = |response: Response<Bytes>| {
                Ok(response.map(|bytes| Either::Right(Full::new(bytes))))
            };
            // An anonymous body is read only as far as needed to name the scopes it needs.
            let anonymous = verified_claims(&parts.extensions).err();
            let limit = match anonymous {
                Some(_) => config.max_body_bytes.min(MAX_ANONYMOUS_BODY_BYTES),
                None => config.max_body_bytes,
            };
            let body = Limited::new(body, limit).collect().await.map(|body| body.to_bytes());
            let call = body.as_ref().ok().map(|body| McpCall::read(&parts.headers, body));
            if let Some(rejection) = anonymous {
                let scope = match &call {
                    Some(Ok(call)) => config.challenge_for(call),
                    _ => config.challenge_scope.clone(),
                };
                return refused(reject(&parts.extensions, &rejection, scope.as_deref()));
            }
            let (body, call) = match (body, call) {
                (Ok(body), Some(Ok(call))) => (body, call),
                (_, Some(Err(error))) => return refused(call_error(&error)),
                (Err(error), _) if error.is::<LengthLimitError>() => {
                    return refused(call_error(&CallError::too_large()));
                }
                _ => return refused(call_error(&CallError::unreadable())),
            };
            if let Some(response) = authorize(&config, &parts, &call) {
                return refused(response);
            }
            if call.method.as_deref() == Some("initialize") {
                let claims = verified_claims(&parts.extensions).ok().cloned();
                let request = Request::from_parts(parts, Either::Left(Full::new(body)));
                let response = inner.call(request).await?;
                let begun = response.headers().get(MCP_SESSION_ID);
                if let (Some(id), Some(claims)) = (begun, &claims)
                    && response.status().is_success()
                {
                    config.sessions.give(id.as_bytes(), Owner::of(claims), ());
                }
                return Ok(response.map(passed));
            }
            if let Some(watch) = TaskWatch::of(&call, &parts.extensions, &config) {
                let mut parts = parts;
                // An encoded answer could not be read for a task handle.
                parts.headers.remove(http::header::ACCEPT_ENCODING);
                let request = Request::from_parts(parts, Either::Left(Full::new(body)));
                return Ok(watch.answer(inner.call(request).await?));
            }
            let Some(listing) = call.method.as_deref().and_then(Listing::of) else {
                let request = Request::from_parts(parts, Either::Left(Full::new(body)));
                return Ok(inner.call(request).await?.map(passed));
            };
            // The answer is found by its id, whichever way the server spells it; a list asked
            // for without one could not be found, and is not asked for.
            let Some(id) = call.id.as_ref().and_then(canonical_id) else {
                return refused(call_error(&CallError::fractional_id()));
            };
            let mut parts = parts;
            // An encoded answer could not be read to filter it.
            parts.headers.remove(http::header::ACCEPT_ENCODING);
            let caller = Caller {
                method: parts.method.clone(),
                uri: parts.uri.clone(),
                headers: parts.headers.clone(),
                extensions: parts.extensions.clone(),
            };
            let request = Request::from_parts(parts, Either::Left(Full::new(body)));
            let response = inner.call(request).await?;
            let keep = |name: &str| caller.may_use(&config, listing, name);
            Ok(filtered(response, &id, listing, &keep).await)
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
    const NAMES: &str = "no scope grants what this request names";
    // An object passes when every rule that covers it passes (none: refused).
    let all = |rules: Vec<&Rule>| {
        if rules.is_empty() {
            return check(None, parts, NAMES);
        }
        rules.into_iter().find_map(|rule| check(Some(rule), parts, NAMES))
    };
    let object = |kind: Target, name: &str| all(config.object_rules(kind, name));
    // A `subscriptions/listen` passes only if every resource it names would.
    if let Some(refused) = call.subscriptions.iter().find_map(|uri| object(Target::Resource, uri)) {
        return Some(refused);
    }
    let method_rule = || call.method.as_ref().and_then(|method| config.methods.get(method));
    match &call.target {
        // A task: its creator's alone, and only while the token still passes what it runs.
        Some((Target::Task, task)) => {
            let claims = verified_claims(&parts.extensions).ok();
            let owned = claims.and_then(|claims| config.tasks.owned_by(task.as_bytes(), claims));
            let Some(created) = owned else {
                tracing::debug!("an MCP task of another caller, or unknown, refused");
                return Some(call_error(&CallError::task_not_found(call.id.as_ref())));
            };
            let extra = method_rule();
            return all(created.rules(config))
                .or_else(|| extra.and_then(|rule| check(Some(rule), parts, NAMES)));
        }
        Some((kind, name)) => {
            if let Some(refused) = object(*kind, name) {
                return Some(refused);
            }
        }
        None if call.method.as_deref() == Some("subscriptions/listen") => return None,
        None => return check(method_rule(), parts, "this server maps no rule to the method"),
    }
    // A tool's rules that depend on its arguments, on top of its own.
    config.argument_rules_met(call).into_iter().find_map(|rule| check(Some(rule), parts, NAMES))
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

/// What a list entry is judged by: the head of the request that asked for the list.
struct Caller {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: http::Extensions,
}

impl Caller {
    /// Whether the caller could use the entry `name` (a tool or prompt name, a resource URI or
    /// template, a task id): the rules that would guard it pass.
    fn may_use(&self, config: &Config, listing: Listing, name: &str) -> bool {
        let Ok(claims) = verified_claims(&self.extensions) else { return false };
        let created;
        let rules = match listing {
            Listing::Tools => config.object_rules(Target::Tool, name),
            Listing::Prompts => config.object_rules(Target::Prompt, name),
            Listing::Resources | Listing::Templates => {
                let Ok(uri) = normalize(name, listing == Listing::Templates) else { return false };
                config.object_rules(Target::Resource, &uri)
            }
            // A task shows to its creator, while the token passes what it runs.
            Listing::Tasks => {
                let Some(owned) = config.tasks.owned_by(name.as_bytes(), claims) else {
                    return false;
                };
                created = owned;
                created.rules(config)
            }
        };
        let head = RequestHead::new(&self.method, &self.uri, &self.headers, &self.extensions);
        !rules.is_empty() && rules.iter().all(|rule| rule.check(claims, &head).is_ok())
    }
}

/// `response` (the answer to a list request `id`) with what the caller may not use removed:
/// JSON read whole, an event stream up to the answer. A successful answer this layer cannot
/// judge (another content type, an encoding, no answer to `id`, too large) is not passed on:
/// `502`. Errors (status or JSON-RPC) pass unchanged: they show nothing.
async fn filtered<ResB, Keep>(
    response: Response<ResB>,
    id: &Value,
    listing: Listing,
    keep: &Keep,
) -> Response<McpResponseBody<ResB>>
where
    ResB: Body<Data = Bytes> + Unpin,
    Keep: Fn(&str) -> bool + Sync,
    ResB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if !response.status().is_success() {
        return response.map(passed);
    }
    let kind = response.headers().get(CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let kind = kind.map(str::to_ascii_lowercase).unwrap_or_default();
    let event_stream = kind.starts_with("text/event-stream");
    let encoded = response
        .headers()
        .get(http::header::CONTENT_ENCODING)
        .is_some_and(|encoding| encoding != "identity");
    if encoded || !(event_stream || kind.starts_with("application/json")) {
        return list_error("the server's list answer is in a form this layer cannot filter");
    }
    let (mut parts, mut body) = response.into_parts();
    // The length changes; the framing is the server's again.
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let (mut length, mut json, mut events) = (0usize, Vec::new(), EventStream::default());
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return list_error("the server's list answer broke off");
        };
        let Ok(data) = frame.into_data() else { continue };
        length = length.saturating_add(data.len());
        if length > MAX_LIST_BYTES {
            return list_error("the server's list answer is larger than this layer filters");
        }
        if !event_stream {
            json.extend_from_slice(&data);
        } else if events.push(&data, id, listing, keep) {
            break;
        }
    }
    let out = if event_stream {
        if !events.answered() {
            return list_error("the server's list answer holds no answer this layer can filter");
        }
        events.finish()
    } else {
        match filter_message(&json, id, listing, keep) {
            Judged::Filtered(filtered) => filtered,
            Judged::Error => json,
            Judged::Other => {
                return list_error("the server's list answer is not one this layer can filter");
            }
        }
    };
    Response::from_parts(parts, Either::Right(Full::new(Bytes::from(out))))
}

/// The inner service's answer, passed on untouched.
fn passed<B>(body: B) -> McpResponseBody<B> {
    Either::Left(WatchedBody::plain(body))
}

/// This layer's own answer to `error`, as the service's response.
fn refusal<B>(error: &CallError) -> Response<McpResponseBody<B>> {
    call_error(error).map(|bytes| Either::Right(Full::new(bytes)))
}

/// A list answer that could not be judged: not passed on.
fn list_error<B>(message: &'static str) -> Response<McpResponseBody<B>> {
    tracing::error!(reason = message, "an MCP list answer was not filtered");
    refusal(&CallError::unfiltered(message))
}
