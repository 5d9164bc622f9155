//! Turning a [`Rejection`] into a response: one method per answer class, each replaceable.
//!
//! The defaults follow RFC 6750 and DESIGN.md section 4:
//!
//! | rejection | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no token | 401 | `Bearer realm="<realm>"` |
//! | malformed request | 400 | `Bearer error="invalid_request", error_description="..."` |
//! | bad token | 401 | `Bearer error="invalid_token", error_description="..."` |
//! | scope missing | 403 | `Bearer error="insufficient_scope", scope="<required>"` |
//! | role missing | 403 | `Bearer error="insufficient_scope"` |
//! | keys unavailable | 503 | none (`Retry-After: 5`) |
//! | layer missing | 500 | none |
//!
//! Bodies are JSON: `{"error": "...", "error_description": "..."}`, plus `required_scopes` for
//! a missing scope. The realm names the protection space to a client that sent no token; once
//! it sent one, the error code is what it acts on.
//!
//! ```
//! use bytes::Bytes;
//! use http::{Response, StatusCode, header};
//! use scopegate_core::{Error, ErrorKind};
//! use scopegate_tower::{Responder, responses};
//!
//! /// RFC 9457 problem details for bad tokens; every other answer stays the default.
//! struct ProblemDetails;
//!
//! impl Responder for ProblemDetails {
//!     fn invalid_token(&self, error: &Error) -> Response<Bytes> {
//!         let mut response = responses::invalid_token(error);
//!         let body = serde_json::json!({"type": "about:blank", "status": 401, "detail": error.message()});
//!         *response.body_mut() = Bytes::from(body.to_string());
//!         let problem = header::HeaderValue::from_static("application/problem+json");
//!         response.headers_mut().insert(header::CONTENT_TYPE, problem);
//!         response
//!     }
//! }
//!
//! let error = Error::new(ErrorKind::Expired, "the token has expired");
//! let response = ProblemDetails.invalid_token(&error);
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(
//!     response.headers()[header::WWW_AUTHENTICATE],
//!     r#"Bearer error="invalid_token", error_description="the token has expired""#,
//! );
//! ```

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use scopegate_core::{Error, InsufficientScope};

use crate::rejection::Rejection;

/// Builds the response for each kind of rejection. Every method has a default; override the
/// ones you want to change. Keep the status, and for `401` and `403` a `WWW-Authenticate`
/// header: clients act on them.
pub trait Responder: Send + Sync + 'static {
    /// No bearer token.
    fn missing_token(&self, realm: &str) -> Response<Bytes> {
        responses::missing_token(realm)
    }

    /// Malformed credentials.
    fn invalid_request(&self, error: &Error) -> Response<Bytes> {
        responses::invalid_request(error)
    }

    /// A token that failed verification.
    fn invalid_token(&self, error: &Error) -> Response<Bytes> {
        responses::invalid_token(error)
    }

    /// A missing scope.
    fn insufficient_scope(&self, rejection: &InsufficientScope) -> Response<Bytes> {
        responses::insufficient_scope(rejection)
    }

    /// A missing role or claim.
    fn insufficient_role(&self, error: &Error) -> Response<Bytes> {
        responses::insufficient_role(error)
    }

    /// Keys out of reach.
    fn unavailable(&self, error: &Error) -> Response<Bytes> {
        responses::unavailable(error)
    }

    /// A guard or extractor without the layer.
    fn layer_missing(&self) -> Response<Bytes> {
        responses::layer_missing()
    }

    /// Dispatches `rejection` to the method for its class.
    fn respond(&self, realm: &str, rejection: &Rejection) -> Response<Bytes> {
        match rejection {
            Rejection::MissingToken => self.missing_token(realm),
            Rejection::InvalidRequest(error) => self.invalid_request(error),
            Rejection::InvalidToken(error) => self.invalid_token(error),
            Rejection::InsufficientScope(rejection) => self.insufficient_scope(rejection),
            Rejection::InsufficientRole(error) => self.insufficient_role(error),
            Rejection::Unavailable(error) => self.unavailable(error),
            Rejection::LayerMissing => self.layer_missing(),
        }
    }
}

/// The standard responses.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultResponder;

impl Responder for DefaultResponder {}

/// The standard response builders, for [`Responder`] implementations that change only part of
/// a response.
pub mod responses {
    use serde_json::{Value, json};

    use super::*;
    use crate::challenge::Challenge;

    fn response(status: StatusCode, challenge: Option<Challenge>, body: &Value) -> Response<Bytes> {
        let mut response = Response::new(Bytes::from(body.to_string()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(challenge) = challenge {
            headers.insert(WWW_AUTHENTICATE, challenge.to_header_value());
        }
        response
    }

    fn coded(status: StatusCode, code: &str, description: &str) -> Response<Bytes> {
        let challenge = Challenge::new().error(code).description(description);
        response(status, Some(challenge), &json!({"error": code, "error_description": description}))
    }

    /// `401`, `Bearer realm="<realm>"`, no error code (RFC 6750 section 3.1).
    pub fn missing_token(realm: &str) -> Response<Bytes> {
        let body = json!({"error": "unauthorized", "error_description": "this resource needs a bearer token"});
        response(StatusCode::UNAUTHORIZED, Some(Challenge::new().realm(realm)), &body)
    }

    /// `400`, `error="invalid_request"`.
    pub fn invalid_request(error: &Error) -> Response<Bytes> {
        coded(StatusCode::BAD_REQUEST, "invalid_request", error.message())
    }

    /// `401`, `error="invalid_token"`.
    pub fn invalid_token(error: &Error) -> Response<Bytes> {
        coded(StatusCode::UNAUTHORIZED, "invalid_token", error.message())
    }

    /// `403`, `error="insufficient_scope"`, `scope="<required>"`; the body lists the scopes.
    pub fn insufficient_scope(rejection: &InsufficientScope) -> Response<Bytes> {
        let challenge =
            Challenge::new().error("insufficient_scope").scope(&rejection.scope_parameter());
        let required: Vec<&str> = rejection.required().iter().map(|s| s.as_str()).collect();
        let body = json!({
            "error": "insufficient_scope",
            "error_description": rejection.to_string(),
            "required_scopes": required,
        });
        response(StatusCode::FORBIDDEN, Some(challenge), &body)
    }

    /// `403`, `error="insufficient_scope"` without `scope`: a role or claim is missing.
    pub fn insufficient_role(error: &Error) -> Response<Bytes> {
        let body = json!({"error": "insufficient_scope", "error_description": error.message()});
        response(StatusCode::FORBIDDEN, Some(Challenge::new().error("insufficient_scope")), &body)
    }

    /// `503` without a challenge (the token may be fine), with `Retry-After: 5`.
    pub fn unavailable(_error: &Error) -> Response<Bytes> {
        let body = json!({
            "error": "temporarily_unavailable",
            "error_description": "the keys needed to verify the token are unavailable; retry later",
        });
        let mut response = response(StatusCode::SERVICE_UNAVAILABLE, None, &body);
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }

    /// `500`: a guard or extractor ran without the layer.
    pub fn layer_missing() -> Response<Bytes> {
        let body = json!({"error": "server_error", "error_description": "the server's authentication is misconfigured"});
        response(StatusCode::INTERNAL_SERVER_ERROR, None, &body)
    }
}
