//! Why a request was turned away, one variant per answer class (DESIGN.md section 4).

use std::fmt;

use http::StatusCode;
use scopegate_core::{Error, ErrorClass, InsufficientScope};

/// Why a request was turned away. Each variant has a fixed status; a
/// [`Responder`](crate::Responder) turns it into a response.
///
/// ```
/// use http::StatusCode;
/// use scopegate_core::{Error, ErrorKind};
/// use scopegate_tower::Rejection;
///
/// let expired = Rejection::from_error(Error::new(ErrorKind::Expired, "the token has expired"));
/// assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(Rejection::MissingToken.status(), StatusCode::UNAUTHORIZED);
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
    /// The token lacks a required scope: `403 insufficient_scope` with `scope`.
    InsufficientScope(InsufficientScope),
    /// The token lacks a required role or claim: `403 insufficient_scope`.
    InsufficientRole(Error),
    /// The keys are out of reach and none are cached: `503`, no challenge.
    Unavailable(Error),
    /// A guard ran without [`BearerAuthLayer`](crate::BearerAuthLayer) in front of it: `500`.
    LayerMissing,
}

impl Rejection {
    /// The rejection for a verification or authorization error, by its class.
    pub fn from_error(error: Error) -> Self {
        match error.class() {
            ErrorClass::InvalidRequest => Self::InvalidRequest(error),
            ErrorClass::InsufficientScope => Self::InsufficientRole(error),
            ErrorClass::Unavailable => Self::Unavailable(error),
            // Configuration errors cannot come from a request; treat one as a bad token.
            _ => Self::InvalidToken(error),
        }
    }

    /// The HTTP status of this rejection.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::InsufficientScope(_) | Self::InsufficientRole(_) => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::LayerMissing => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The RFC 6750 error code, for the variants that have one.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(_) => Some("invalid_request"),
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope(_) | Self::InsufficientRole(_) => Some("insufficient_scope"),
            Self::MissingToken | Self::Unavailable(_) | Self::LayerMissing => None,
        }
    }

    pub(crate) fn log(&self) {
        match self {
            Self::LayerMissing => tracing::error!(
                "a scopegate guard ran without BearerAuthLayer in front of it; add the layer to the router"
            ),
            Self::Unavailable(error) => tracing::warn!(reason = %error, "token keys unavailable"),
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
            Self::InvalidRequest(error)
            | Self::InvalidToken(error)
            | Self::InsufficientRole(error) => fmt::Display::fmt(error, f),
            Self::InsufficientScope(rejection) => fmt::Display::fmt(rejection, f),
            Self::Unavailable(_) => {
                f.write_str("the keys needed to verify the token are unavailable; retry later")
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
            | Self::InsufficientRole(error) => Some(error),
            Self::Unavailable(error) => Some(error),
            Self::InsufficientScope(rejection) => Some(rejection),
            Self::MissingToken | Self::LayerMissing => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scopegate_core::ErrorKind;

    #[test]
    fn classes_map_to_variants() {
        let of = |kind| Rejection::from_error(Error::new(kind, "x"));
        assert!(matches!(of(ErrorKind::InvalidRequest), Rejection::InvalidRequest(_)));
        assert!(matches!(of(ErrorKind::InvalidSignature), Rejection::InvalidToken(_)));
        assert!(matches!(of(ErrorKind::TokenTooLarge), Rejection::InvalidToken(_)));
        assert!(matches!(of(ErrorKind::InsufficientRole), Rejection::InsufficientRole(_)));
        assert!(matches!(of(ErrorKind::KeySourceUnavailable), Rejection::Unavailable(_)));
        assert_eq!(of(ErrorKind::KeySourceUnavailable).status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
