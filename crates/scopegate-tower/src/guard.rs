//! Route guards for tower users without axum extractors: [`GuardLayer`] with an
//! [`AccessRule`], such as [`RequireScopeLayer`] and [`RequireRoleLayer`].
//!
//! Install them after [`BearerAuthLayer`](crate::BearerAuthLayer) (in axum, with `route_layer`
//! on the routes that need them, so that unknown paths still get `404` and unknown methods
//! `405`). They read the verified claims from the request extensions and answer
//! `403 insufficient_scope` when the claims fall short, `401` for an anonymous request (with
//! the rule's scopes in the challenge), and `500` (with an error log) when the layer is
//! missing.
//!
//! ```
//! use scopegate_tower::{BearerAuthLayer, RequireRoleLayer, RequireScopeLayer};
//! use tower::ServiceBuilder;
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//! # let handler = tower::service_fn(|_: http::Request<()>| async { Ok::<_, std::convert::Infallible>(http::Response::new(String::new())) });
//!
//! let service = ServiceBuilder::new()
//!     .layer(BearerAuthLayer::new(verifier))
//!     .layer(RequireScopeLayer::all_of(["orders.approve"])?)
//!     .layer(RequireRoleLayer::role("operator"))
//!     .service(handler);
//! # let _ = service;
//! # Ok::<(), scopegate_core::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Extensions, HeaderMap, Method, Request, Response, Uri};
use scopegate_core::{Claims, Error, RoleRequirement, ScopeRequirement};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::{reject, verified_claims};
use crate::future::ResponseFuture;
use crate::rejection::Rejection;

/// What a guard sees of the request besides the claims.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RequestHead<'a> {
    /// The method.
    pub method: &'a Method,
    /// The URI as the server received it.
    pub uri: &'a Uri,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The extensions (the claims, and whatever layers before put there).
    pub extensions: &'a Extensions,
}

impl<'a> RequestHead<'a> {
    /// A view of a request's head, for rules checked outside a [`Guard`].
    pub fn new(
        method: &'a Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        extensions: &'a Extensions,
    ) -> Self {
        Self { method, uri, headers, extensions }
    }
}

/// A check a [`Guard`] applies to the verified claims of every request.
pub trait AccessRule: Send + Sync + 'static {
    /// Passes, or says why not.
    ///
    /// # Errors
    ///
    /// The rejection to answer with: usually [`Rejection::InsufficientScope`] or
    /// [`Rejection::Forbidden`].
    fn check(&self, claims: &Claims, request: &RequestHead<'_>) -> Result<(), Rejection>;

    /// The scopes this rule requires, space-separated, for the `scope` parameter of the `401`
    /// an anonymous request gets. `None` by default.
    fn required_scope(&self) -> Option<String> {
        None
    }

    /// Whether this rule governs `request` at all: when it does not, the [`Guard`] lets the
    /// request through untouched, anonymous or not (the gRPC services a [`GrpcMethods`] table
    /// does not name, such as health checks). Every request by default.
    ///
    /// [`GrpcMethods`]: crate::grpc::GrpcMethods
    fn governs(&self, request: &RequestHead<'_>) -> bool {
        let _ = request;
        true
    }

    /// [`required_scope`](Self::required_scope) for one request, for rules whose scopes
    /// depend on it (a method table). The rule's own by default.
    fn required_scope_for(&self, request: &RequestHead<'_>) -> Option<String> {
        let _ = request;
        self.required_scope()
    }
}

impl AccessRule for ScopeRequirement {
    fn check(&self, claims: &Claims, _: &RequestHead<'_>) -> Result<(), Rejection> {
        claims.require_scopes(self).map_err(Rejection::InsufficientScope)
    }

    fn required_scope(&self) -> Option<String> {
        Some(self.scopes().iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(" "))
    }
}

impl AccessRule for RoleRequirement {
    fn check(&self, claims: &Claims, _: &RequestHead<'_>) -> Result<(), Rejection> {
        claims.require_role(self).map_err(Rejection::Forbidden)
    }
}

/// Both rules, in order: `(ScopeRequirement, RoleRequirement)` needs the scopes and the role.
/// The `401` names the scopes of whichever rule knows some.
impl<A: AccessRule, B: AccessRule> AccessRule for (A, B) {
    /// Each rule that governs the request.
    fn check(&self, claims: &Claims, request: &RequestHead<'_>) -> Result<(), Rejection> {
        if self.0.governs(request) {
            self.0.check(claims, request)?;
        }
        if self.1.governs(request) {
            self.1.check(claims, request)?;
        }
        Ok(())
    }

    fn required_scope(&self) -> Option<String> {
        self.0.required_scope().or_else(|| self.1.required_scope())
    }

    fn governs(&self, request: &RequestHead<'_>) -> bool {
        self.0.governs(request) || self.1.governs(request)
    }

    fn required_scope_for(&self, request: &RequestHead<'_>) -> Option<String> {
        let of = |governs: bool, scope: &dyn Fn() -> Option<String>| governs.then(scope).flatten();
        of(self.0.governs(request), &|| self.0.required_scope_for(request))
            .or_else(|| of(self.1.governs(request), &|| self.1.required_scope_for(request)))
    }
}

/// Applies an [`AccessRule`] to every request. Makes [`Guard`] services. Cheap to clone.
#[must_use]
pub struct GuardLayer<R> {
    rule: Arc<R>,
}

/// Requires scopes of the token, under its issuer's scope policy.
pub type RequireScopeLayer = GuardLayer<ScopeRequirement>;

/// Requires a role of the token.
pub type RequireRoleLayer = GuardLayer<RoleRequirement>;

impl<R: AccessRule> GuardLayer<R> {
    /// A guard applying `rule`.
    pub fn new(rule: R) -> Self {
        Self { rule: Arc::new(rule) }
    }

    /// The rule.
    pub fn rule(&self) -> &R {
        &self.rule
    }
}

impl GuardLayer<ScopeRequirement> {
    /// Requires every scope in `scopes`.
    ///
    /// # Errors
    ///
    /// When the list is empty or a scope breaks RFC 6749 syntax.
    pub fn all_of<I, S>(scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(Self::new(ScopeRequirement::all_of(scopes)?))
    }

    /// Requires at least one scope in `scopes`.
    ///
    /// # Errors
    ///
    /// When the list is empty or a scope breaks RFC 6749 syntax.
    pub fn any_of<I, S>(scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(Self::new(ScopeRequirement::any_of(scopes)?))
    }
}

impl GuardLayer<RoleRequirement> {
    /// Requires `role` from the issuer's configured role paths; see [`RoleRequirement`] to
    /// name the path it must come from.
    pub fn role(role: impl Into<String>) -> Self {
        Self::new(RoleRequirement::new(role))
    }
}

impl<R> Clone for GuardLayer<R> {
    fn clone(&self) -> Self {
        Self { rule: Arc::clone(&self.rule) }
    }
}

impl<R: fmt::Debug> fmt::Debug for GuardLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardLayer").field("rule", &self.rule).finish()
    }
}

impl<S, R> Layer<S> for GuardLayer<R> {
    type Service = Guard<S, R>;

    fn layer(&self, inner: S) -> Guard<S, R> {
        Guard { inner, rule: Arc::clone(&self.rule) }
    }
}

/// The service of [`GuardLayer`]: calls the inner service when the rule passes.
pub struct Guard<S, R> {
    inner: S,
    rule: Arc<R>,
}

impl<S, R> Guard<S, R> {
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

impl<S: Clone, R> Clone for Guard<S, R> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), rule: Arc::clone(&self.rule) }
    }
}

impl<S, R, ReqB, ResB> Service<Request<ReqB>> for Guard<S, R>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    R: AccessRule,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        let head = RequestHead {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
            extensions: request.extensions(),
        };
        if !self.rule.governs(&head) {
            return ResponseFuture::authorized(self.inner.call(request));
        }
        let outcome =
            verified_claims(head.extensions).and_then(|claims| self.rule.check(claims, &head));
        match outcome {
            Ok(()) => ResponseFuture::authorized(self.inner.call(request)),
            Err(rejection) => {
                let required = match &rejection {
                    Rejection::MissingToken => self.rule.required_scope_for(&head),
                    _ => None,
                };
                let response = reject(request.extensions(), &rejection, required.as_deref());
                ResponseFuture::rejected(response)
            }
        }
    }
}

impl<S: fmt::Debug, R: fmt::Debug> fmt::Debug for Guard<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard").field("inner", &self.inner).field("rule", &self.rule).finish()
    }
}
