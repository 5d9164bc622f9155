//! [`AuthRejection`]: what every scopegate extractor fails with.

use std::fmt;

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use http::{Extensions, StatusCode};
use scopegate_tower::{AuthContext, Rejection, reject};

/// Why an extractor refused the request. Turned into a response, shaped by the layer's
/// [`Responder`](scopegate_tower::Responder), only when axum sends it: `401` for an anonymous
/// request, `403` for a missing scope, role or claim, `500` (logged) when `BearerAuthLayer` is
/// not installed. A handler that takes `Result<RequireScope<..>, AuthRejection>` and branches
/// on it builds no response and logs nothing.
pub struct AuthRejection {
    // Boxed: rejections are rare, and a small `Err` keeps the extractors' `Result`s small.
    inner: Box<Inner>,
}

struct Inner {
    reason: Rejection,
    context: Option<AuthContext>,
    required_scope: Option<String>,
}

impl AuthRejection {
    pub(crate) fn new(extensions: &Extensions, reason: Rejection) -> Self {
        let context = extensions.get::<AuthContext>().cloned();
        Self { inner: Box::new(Inner { reason, context, required_scope: None }) }
    }

    /// With the scopes of the route, for the `scope` parameter of a `401`.
    pub(crate) fn with_required_scope(mut self, scopes: &[&str]) -> Self {
        if matches!(self.inner.reason, Rejection::MissingToken) && !scopes.is_empty() {
            self.inner.required_scope = Some(scopes.join(" "));
        }
        self
    }

    /// Why the request was refused. The enum is `#[non_exhaustive]`.
    pub fn reason(&self) -> &Rejection {
        &self.inner.reason
    }

    /// The status of the response.
    pub fn status(&self) -> StatusCode {
        self.inner.reason.status()
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let Inner { reason, context, required_scope } = *self.inner;
        let required = required_scope.as_deref();
        let response = match &context {
            Some(context) => context.respond(&reason, required),
            None => reject(&Extensions::new(), &reason, required),
        };
        response.map(Body::from)
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("reason", &self.inner.reason)
            .field("status", &self.status())
            .finish()
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner.reason, f)
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.inner.reason)
    }
}
