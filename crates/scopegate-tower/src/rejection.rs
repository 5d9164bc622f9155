//! Why a request was turned away, one variant per answer class (ARCHITECTURE.md, "Error
//! contract"), and the standard response for each.

use std::fmt;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use scopegate_core::{Error, ErrorClass, InsufficientScope};
use serde_json::{Value, json};

use crate::challenge::Challenge;
use crate::responder::ResponseContext;

/// Why a request was turned away. Each variant has a fixed status; a
/// [`Responder`](crate::Responder) turns it into a response, by default
/// [`default_response`](Rejection::default_response).
///
/// ```
/// use http::StatusCode;
/// use scopegate_core::{Error, ErrorKind};
/// use scopegate_tower::Rejection;
///
/// let expired = Rejection::from_error(Error::new(ErrorKind::Expired, "the token has expired"));
/// assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(expired.error_code(), Some("invalid_token"));
/// assert_eq!(Rejection::MissingToken.error_code(), None);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// No bearer token: `401`, a challenge without an error code (RFC 6750 section 3.1).
    MissingToken,
    /// Malformed credentials (two headers, two methods, bad syntax): `400 invalid_request`.
    InvalidRequest(Error),
    /// The token failed verification: `401 invalid_token`.
    InvalidToken(Error),
    /// The token lacks a required scope: `403 insufficient_scope` with `scope` naming every
    /// scope of the requirement.
    InsufficientScope(InsufficientScope),
    /// The token is valid but lacks a role or a claim the resource requires, or a claim does
    /// not have the shape it needs: `403 insufficient_scope` without `scope`.
    Forbidden(Error),
    /// The keys (or another source the answer depends on) are out of reach: `503`, no
    /// challenge, `Retry-After`.
    Unavailable(Error),
    /// A guard ran without [`BearerAuthLayer`](crate::BearerAuthLayer) in front of it: `500`.
    LayerMissing,
}

impl Rejection {
    /// The rejection for a verification or authorization error, by its class. An
    /// [`ErrorKind::InsufficientScope`](scopegate_core::ErrorKind::InsufficientScope) error
    /// keeps its scopes.
    pub fn from_error(error: Error) -> Self {
        match error.class() {
            ErrorClass::InvalidRequest => Self::InvalidRequest(error),
            ErrorClass::InsufficientScope => match error.insufficient_scope() {
                Some(scopes) => Self::InsufficientScope(scopes.clone()),
                None => Self::Forbidden(error),
            },
            ErrorClass::Unavailable => Self::Unavailable(error),
            // Configuration errors cannot come from a request; treat one as a bad token.
            _ => Self::InvalidToken(error),
        }
    }

    /// The answer class, which decides status and error code.
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            Self::MissingToken | Self::LayerMissing => None,
            Self::InvalidRequest(_) => Some(ErrorClass::InvalidRequest),
            Self::InvalidToken(_) => Some(ErrorClass::InvalidToken),
            Self::InsufficientScope(_) | Self::Forbidden(_) => Some(ErrorClass::InsufficientScope),
            Self::Unavailable(_) => Some(ErrorClass::Unavailable),
        }
    }

    /// The HTTP status of this rejection.
    pub fn status(&self) -> StatusCode {
        match self.class() {
            None if matches!(self, Self::LayerMissing) => StatusCode::INTERNAL_SERVER_ERROR,
            None | Some(ErrorClass::InvalidToken) => StatusCode::UNAUTHORIZED,
            Some(ErrorClass::InvalidRequest) => StatusCode::BAD_REQUEST,
            Some(ErrorClass::InsufficientScope) => StatusCode::FORBIDDEN,
            Some(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 error code, for the variants that have one (the table lives in
    /// [`ErrorClass::rfc6750_code`]).
    pub fn error_code(&self) -> Option<&'static str> {
        self.class().and_then(ErrorClass::rfc6750_code)
    }

    /// The `WWW-Authenticate` challenge of the standard response: `None` for `500` and `503`.
    pub fn challenge(&self, context: &ResponseContext<'_>) -> Option<Challenge> {
        let challenge = Challenge::new();
        let challenge = match self {
            Self::MissingToken => {
                challenge.realm(context.realm()).scope(context.required_scope().unwrap_or_default())
            }
            Self::InvalidRequest(error) | Self::InvalidToken(error) => {
                challenge.error(self.error_code()?).description(error.message())
            }
            Self::InsufficientScope(scopes) => {
                challenge.error("insufficient_scope").scope(&scopes.scope_parameter())
            }
            Self::Forbidden(_) => challenge.error("insufficient_scope"),
            Self::Unavailable(_) | Self::LayerMissing => return None,
        };
        Some(challenge.resource_metadata(context.resource_metadata().unwrap_or_default()))
    }

    /// The JSON body of the standard response: `error` and `error_description`, plus
    /// `required_scopes` for a missing scope. Never the token or a claim value.
    pub fn body(&self) -> Value {
        let code = match self {
            Self::MissingToken => "unauthorized",
            Self::Unavailable(_) => "temporarily_unavailable",
            Self::LayerMissing => "server_error",
            other => other.error_code().unwrap_or("server_error"),
        };
        let description = self.to_string();
        match self {
            Self::InsufficientScope(scopes) => {
                let required: Vec<&str> = scopes.required().collect();
                json!({"error": code, "error_description": description, "required_scopes": required})
            }
            _ => json!({"error": code, "error_description": description}),
        }
    }

    /// The standard response: [`status`](Self::status), [`challenge`](Self::challenge),
    /// [`body`](Self::body) as `application/json`, and `Retry-After: 5` on a `503`.
    ///
    /// ```
    /// use scopegate_tower::{Rejection, ResponseContext};
    ///
    /// let context = ResponseContext::new("orders-api");
    /// let response = Rejection::MissingToken.default_response(&context);
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders-api""#);
    /// ```
    pub fn default_response(&self, context: &ResponseContext<'_>) -> Response<Bytes> {
        let mut response = Response::new(Bytes::from(self.body().to_string()));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(challenge) = self.challenge(context) {
            headers.insert(WWW_AUTHENTICATE, challenge.to_header_value());
        }
        if matches!(self, Self::Unavailable(_)) {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }

    /// One `tracing` event for this rejection: `debug` for client errors, `warn` for `503`,
    /// `error` for a missing layer. Called when the response is produced.
    pub(crate) fn log(&self) {
        match self {
            Self::LayerMissing => tracing::error!(
                "a scopegate guard ran without BearerAuthLayer in front of it; add the layer to the router"
            ),
            Self::Unavailable(error) => {
                tracing::warn!(reason = %error, "token verification unavailable");
            }
            Self::MissingToken => tracing::debug!(reason = "no bearer token", "request rejected"),
            other => {
                tracing::debug!(reason = %other, code = other.error_code(), "request rejected");
            }
        }
    }
}

/// A client-safe description: never the token or a claim value.
impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingToken => f.write_str("this resource needs a bearer token"),
            Self::InvalidRequest(error) | Self::InvalidToken(error) | Self::Forbidden(error) => {
                fmt::Display::fmt(error, f)
            }
            Self::InsufficientScope(rejection) => fmt::Display::fmt(rejection, f),
            Self::Unavailable(_) => {
                f.write_str("the token cannot be verified right now; retry later")
            }
            Self::LayerMissing => f.write_str("the server's authentication is misconfigured"),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidRequest(error)
            | Self::InvalidToken(error)
            | Self::Forbidden(error)
            | Self::Unavailable(error) => Some(error),
            Self::InsufficientScope(rejection) => Some(rejection),
            Self::MissingToken | Self::LayerMissing => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scopegate_core::{ErrorKind, ScopePolicy, ScopeRequirement, ScopeSet};

    #[test]
    fn classes_map_to_variants() {
        let of = |kind| Rejection::from_error(Error::new(kind, "x"));
        assert!(matches!(of(ErrorKind::InvalidRequest), Rejection::InvalidRequest(_)));
        assert!(matches!(of(ErrorKind::InvalidSignature), Rejection::InvalidToken(_)));
        assert!(matches!(of(ErrorKind::TokenTooLarge), Rejection::InvalidToken(_)));
        assert!(matches!(of(ErrorKind::InsufficientRole), Rejection::Forbidden(_)));
        assert!(matches!(of(ErrorKind::InsufficientClaims), Rejection::Forbidden(_)));
        assert!(matches!(of(ErrorKind::KeySourceUnavailable), Rejection::Unavailable(_)));
        assert_eq!(of(ErrorKind::KeySourceUnavailable).status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    /// Before: an `InsufficientScope` error became a role rejection and its `403` lost `scope`.
    #[test]
    fn regression_insufficient_scope_errors_keep_their_scopes() {
        let needs = ScopeRequirement::all_of(["orders.read", "orders.write"]).unwrap();
        let granted = ScopeSet::parse("orders.read").unwrap();
        let error = Error::from(needs.check(&granted, &ScopePolicy::exact()).unwrap_err());
        let rejection = Rejection::from_error(error);
        let response = rejection.default_response(&ResponseContext::new("api"));
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            r#"Bearer error="insufficient_scope", scope="orders.read orders.write""#
        );
    }

    #[test]
    fn every_status_has_its_code() {
        let cases = [
            (Rejection::MissingToken, 401, None),
            (
                Rejection::InvalidRequest(Error::new(ErrorKind::InvalidRequest, "x")),
                400,
                Some("invalid_request"),
            ),
            (
                Rejection::InvalidToken(Error::new(ErrorKind::Expired, "x")),
                401,
                Some("invalid_token"),
            ),
            (
                Rejection::Forbidden(Error::new(ErrorKind::InsufficientRole, "x")),
                403,
                Some("insufficient_scope"),
            ),
            (Rejection::Unavailable(Error::new(ErrorKind::KeySourceUnavailable, "x")), 503, None),
            (Rejection::LayerMissing, 500, None),
        ];
        for (rejection, status, code) in cases {
            assert_eq!(
                (rejection.status().as_u16(), rejection.error_code()),
                (status, code),
                "{rejection:?}"
            );
        }
    }
}
