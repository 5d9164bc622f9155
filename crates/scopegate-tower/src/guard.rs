//! Route guards for tower users without axum extractors: [`RequireScopeLayer`] and
//! [`RequireRoleLayer`].
//!
//! Install them after [`BearerAuthLayer`](crate::BearerAuthLayer) (in axum, with
//! `route_layer` on the routes that need them). They read the verified claims from the request
//! extensions and answer `403 insufficient_scope` when the claims fall short, `401` for an
//! anonymous request, and `500` (with an error log) when the layer is missing.
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
//!     .layer(RequireRoleLayer::new("operator"))
//!     .service(handler);
//! # let _ = service;
//! # Ok::<(), scopegate_core::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use scopegate_core::{Claims, Error, ScopeRequirement};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::{reject, verified_claims};
use crate::future::ResponseFuture;
use crate::rejection::Rejection;

/// Requires scopes of the token, under the verifier's scope policy.
#[derive(Clone, Debug)]
#[must_use]
pub struct RequireScopeLayer {
    requirement: Arc<ScopeRequirement>,
}

impl RequireScopeLayer {
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

    /// Requires `requirement`.
    pub fn new(requirement: ScopeRequirement) -> Self {
        Self { requirement: Arc::new(requirement) }
    }
}

impl<S> Layer<S> for RequireScopeLayer {
    type Service = ScopeGuard<S>;

    fn layer(&self, inner: S) -> ScopeGuard<S> {
        ScopeGuard { inner, requirement: Arc::clone(&self.requirement) }
    }
}

/// The service of [`RequireScopeLayer`].
#[derive(Clone)]
pub struct ScopeGuard<S> {
    inner: S,
    requirement: Arc<ScopeRequirement>,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for ScopeGuard<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        let requirement = &self.requirement;
        guard(&mut self.inner, request, |claims| {
            claims.require_scopes(requirement).map_err(Rejection::InsufficientScope)
        })
    }
}

impl<S: fmt::Debug> fmt::Debug for ScopeGuard<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeGuard")
            .field("inner", &self.inner)
            .field("requirement", &self.requirement)
            .finish()
    }
}

/// Requires a role of the token (read through the verifier's claim mapping).
#[derive(Clone, Debug)]
#[must_use]
pub struct RequireRoleLayer {
    role: Arc<str>,
}

impl RequireRoleLayer {
    /// Requires `role`.
    pub fn new(role: impl Into<String>) -> Self {
        Self { role: Arc::from(role.into()) }
    }
}

impl<S> Layer<S> for RequireRoleLayer {
    type Service = RoleGuard<S>;

    fn layer(&self, inner: S) -> RoleGuard<S> {
        RoleGuard { inner, role: Arc::clone(&self.role) }
    }
}

/// The service of [`RequireRoleLayer`].
#[derive(Clone)]
pub struct RoleGuard<S> {
    inner: S,
    role: Arc<str>,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for RoleGuard<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        let role = &self.role;
        guard(&mut self.inner, request, |claims| {
            claims.require_role(role).map_err(Rejection::InsufficientRole)
        })
    }
}

/// Calls `inner` when the request's claims pass `check`; answers for the guard otherwise.
fn guard<S, ReqB, ResB>(
    inner: &mut S,
    request: Request<ReqB>,
    check: impl FnOnce(&Claims) -> Result<(), Rejection>,
) -> ResponseFuture<S::Future>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
{
    let extensions = request.extensions();
    match verified_claims(extensions).and_then(check) {
        Ok(()) => ResponseFuture::authorized(inner.call(request)),
        Err(rejection) => ResponseFuture::rejected(reject(extensions, &rejection)),
    }
}

impl<S: fmt::Debug> fmt::Debug for RoleGuard<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleGuard").field("inner", &self.inner).field("role", &self.role).finish()
    }
}
