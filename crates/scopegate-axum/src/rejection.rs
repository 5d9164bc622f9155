//! [`AuthRejection`]: what every scopegate extractor fails with.

use std::fmt;

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{Extensions, StatusCode};
use scopegate_tower::{Rejection, reject};

/// Why an extractor refused the request, and the response already shaped by the layer's
/// [`Responder`](scopegate_tower::Responder): `401` for an anonymous request, `403` for a
/// missing scope or role, `500` (logged) when `BearerAuthLayer` is not installed.
pub struct AuthRejection {
    reason: Rejection,
    // Boxed: rejections are rare, and a small `Err` keeps the extractors' `Result`s small.
    response: Box<http::Response<Bytes>>,
}

impl AuthRejection {
    pub(crate) fn new(extensions: &Extensions, reason: Rejection) -> Self {
        let response = Box::new(reject(extensions, &reason));
        Self { reason, response }
    }

    /// Why the request was refused. The enum is `#[non_exhaustive]`.
    pub fn reason(&self) -> &Rejection {
        &self.reason
    }

    /// The status of the response.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        (*self.response).map(Body::from)
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("reason", &self.reason)
            .field("status", &self.status())
            .finish()
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.reason, f)
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.reason)
    }
}
