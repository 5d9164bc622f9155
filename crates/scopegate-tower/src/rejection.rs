//! Why a request was turned away, one variant per answer class (ARCHITECTURE.md, "Error
//! contract"), and the standard response for each.

use std::fmt;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use scopegate_core::{
    Error, ErrorClass, ErrorKind, InsufficientAuthentication, InsufficientScope, telemetry,
};
use serde_json::{Value, json};

use crate::challenge::{Challenge, Scheme};
use crate::responder::ResponseContext;

/// The `DPoP-Nonce` response header (RFC 9449 section 8.1).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

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
    /// The DPoP proof failed a check of RFC 9449 section 4.3: `401 invalid_dpop_proof`.
    InvalidDpopProof(Error),
    /// The DPoP proof lacks the server's nonce or has a stale one: `401 use_dpop_nonce`, with
    /// a fresh nonce in `DPoP-Nonce` (RFC 9449 section 9).
    UseDpopNonce(Error),
    /// The token lacks a required scope: `403 insufficient_scope` with `scope` naming every
    /// scope of the requirement.
    InsufficientScope(InsufficientScope),
    /// The user's login is not strong (`acr`) or recent (`auth_time`) enough: `401
    /// insufficient_user_authentication` with `acr_values` and `max_age` (RFC 9470).
    InsufficientUserAuthentication(InsufficientAuthentication),
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
            ErrorClass::InvalidDpopProof => Self::InvalidDpopProof(error),
            ErrorClass::UseDpopNonce => Self::UseDpopNonce(error),
            ErrorClass::InsufficientUserAuthentication => {
                let reason = "the user's authentication is not sufficient for this resource";
                Self::InsufficientUserAuthentication(InsufficientAuthentication::new(
                    reason, [""; 0], None,
                ))
            }
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
            Self::InvalidDpopProof(_) => Some(ErrorClass::InvalidDpopProof),
            Self::UseDpopNonce(_) => Some(ErrorClass::UseDpopNonce),
            Self::InsufficientScope(_) | Self::Forbidden(_) => Some(ErrorClass::InsufficientScope),
            Self::InsufficientUserAuthentication(_) => {
                Some(ErrorClass::InsufficientUserAuthentication)
            }
            Self::Unavailable(_) => Some(ErrorClass::Unavailable),
        }
    }

    /// The `error` member of the JSON body (and of a gRPC answer's `ErrorInfo`).
    pub(crate) fn body_code(&self) -> &'static str {
        match self {
            Self::MissingToken => "unauthorized",
            Self::Unavailable(_) => "temporarily_unavailable",
            Self::LayerMissing => "server_error",
            other => other.error_code().unwrap_or("server_error"),
        }
    }

    /// Why, in one snake_case word: the error kind's name, `missing_token` or `layer_missing`.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::LayerMissing => "layer_missing",
            other => other.kind().map_or("server_error", ErrorKind::name),
        }
    }

    /// The scopes a missing-scope rejection requires, space-separated.
    pub(crate) fn required_scopes(&self) -> Option<String> {
        match self {
            Self::InsufficientScope(scopes) => {
                Some(scopes.required().collect::<Vec<_>>().join(" "))
            }
            _ => None,
        }
    }

    /// The error kind of this rejection, for its count; none without credentials or a layer.
    fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::MissingToken | Self::LayerMissing => None,
            Self::InsufficientScope(_) => Some(ErrorKind::InsufficientScope),
            Self::InsufficientUserAuthentication(_) => {
                Some(ErrorKind::InsufficientUserAuthentication)
            }
            Self::InvalidRequest(error)
            | Self::InvalidToken(error)
            | Self::InvalidDpopProof(error)
            | Self::UseDpopNonce(error)
            | Self::Forbidden(error)
            | Self::Unavailable(error) => Some(error.kind()),
        }
    }

    /// The HTTP status of this rejection.
    pub fn status(&self) -> StatusCode {
        match self.class() {
            None if matches!(self, Self::LayerMissing) => StatusCode::INTERNAL_SERVER_ERROR,
            None
            | Some(
                ErrorClass::InvalidToken
                | ErrorClass::InvalidDpopProof
                | ErrorClass::UseDpopNonce
                | ErrorClass::InsufficientUserAuthentication,
            ) => StatusCode::UNAUTHORIZED,
            Some(ErrorClass::InvalidRequest) => StatusCode::BAD_REQUEST,
            Some(ErrorClass::InsufficientScope) => StatusCode::FORBIDDEN,
            Some(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 error code, for the variants that have one (the table lives in
    /// [`ErrorClass::error_code`]).
    pub fn error_code(&self) -> Option<&'static str> {
        self.class().and_then(ErrorClass::error_code)
    }

    /// The `WWW-Authenticate` challenges of the standard response, one header line each;
    /// none for `500` and `503`.
    ///
    /// Without a token the client is offered every accepted scheme (`Bearer`, and `DPoP` with
    /// `algs` when DPoP is on; `DPoP` alone when it is required). An error is told in the
    /// scheme the request used; a bad token sent as Bearer is also offered `DPoP` when it is on.
    pub fn challenges(&self, context: &ResponseContext<'_>) -> Vec<Challenge> {
        let scope = context.required_scope().unwrap_or_default();
        let metadata = context.resource_metadata().unwrap_or_default();
        let algs = context.dpop_algs();
        // A challenge of `scheme`, `algs` added to DPoP ones, `resource_metadata` last.
        let finish = |challenge: Challenge| {
            let challenge = match (challenge.scheme(), algs) {
                (Scheme::Dpop, Some(algs)) => challenge.algs(algs),
                _ => challenge,
            };
            challenge.resource_metadata(metadata)
        };
        let offer_dpop = || finish(Challenge::dpop().realm(context.realm()).scope(scope));
        let told = |challenge: Challenge| {
            let mut challenges = vec![finish(challenge)];
            let presented_bearer = context.presented() == Scheme::Bearer;
            if presented_bearer && algs.is_some() && matches!(self, Self::InvalidToken(_)) {
                challenges.push(offer_dpop());
            }
            challenges
        };
        let presented = Challenge::with_scheme(context.presented());
        match self {
            Self::MissingToken => {
                let mut challenges = Vec::with_capacity(2);
                if !context.dpop_required() {
                    let bearer = Challenge::new().realm(context.realm()).scope(scope);
                    challenges.push(finish(bearer));
                }
                if algs.is_some() {
                    challenges.push(offer_dpop());
                }
                challenges
            }
            Self::InvalidRequest(error) | Self::InvalidToken(error) => {
                let code = self.error_code().unwrap_or_default();
                told(presented.error(code).description(error.message()))
            }
            Self::InvalidDpopProof(error) | Self::UseDpopNonce(error) => {
                let code = self.error_code().unwrap_or_default();
                vec![finish(Challenge::dpop().error(code).description(error.message()))]
            }
            Self::InsufficientScope(scopes) => {
                told(presented.error("insufficient_scope").scope(&scopes.scope_parameter()))
            }
            Self::Forbidden(_) => told(presented.error("insufficient_scope")),
            Self::InsufficientUserAuthentication(denied) => told(
                presented
                    .error("insufficient_user_authentication")
                    .description(denied.reason())
                    .acr_values(&denied.acr_values_parameter())
                    .max_age(denied.max_age()),
            ),
            Self::Unavailable(_) | Self::LayerMissing => Vec::new(),
        }
    }

    /// The JSON body of the standard response: `error` and `error_description`, plus
    /// `required_scopes` for a missing scope. Never the token or a claim value.
    pub fn body(&self) -> Value {
        let code = self.body_code();
        let description = self.to_string();
        match self {
            Self::InsufficientScope(scopes) => {
                let required: Vec<&str> = scopes.required().collect();
                json!({"error": code, "error_description": description, "required_scopes": required})
            }
            Self::InsufficientUserAuthentication(denied) => {
                let mut body = serde_json::Map::new();
                body.insert("error".into(), json!(code));
                body.insert("error_description".into(), json!(description));
                if denied.acr_values().len() > 0 {
                    body.insert(
                        "acr_values".into(),
                        json!(denied.acr_values().collect::<Vec<_>>()),
                    );
                }
                if let Some(max_age) = denied.max_age() {
                    body.insert("max_age".into(), json!(max_age));
                }
                Value::Object(body)
            }
            _ => json!({"error": code, "error_description": description}),
        }
    }

    /// The standard response: [`status`](Self::status), [`challenges`](Self::challenges),
    /// [`body`](Self::body) as `application/json`, `Retry-After: 5` on a `503`, and
    /// `DPoP-Nonce` when the context has a fresh nonce.
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
        for challenge in self.challenges(context) {
            headers.append(WWW_AUTHENTICATE, challenge.to_header_value());
        }
        if let Some(nonce) = context.dpop_nonce().and_then(|n| HeaderValue::from_str(n).ok()) {
            headers.insert(DPOP_NONCE, nonce);
        }
        if matches!(self, Self::Unavailable(_)) {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }

    /// One `tracing` event for this rejection (`debug` for client errors, `warn` for `503`,
    /// `error` for a missing layer) and one count in `scopegate_requests_rejected_total` (with
    /// the `metrics` feature). Called when the response is produced.
    pub(crate) fn record(&self) {
        let class = match self {
            Self::LayerMissing => Some(ErrorClass::Configuration),
            other => other.class(),
        };
        telemetry::request_rejected(class, self.kind());
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
            Self::MissingToken => f.write_str("this resource needs an access token"),
            Self::InvalidRequest(error)
            | Self::InvalidToken(error)
            | Self::InvalidDpopProof(error)
            | Self::UseDpopNonce(error)
            | Self::Forbidden(error) => fmt::Display::fmt(error, f),
            Self::InsufficientScope(rejection) => fmt::Display::fmt(rejection, f),
            Self::InsufficientUserAuthentication(denied) => fmt::Display::fmt(denied, f),
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
            | Self::InvalidDpopProof(error)
            | Self::UseDpopNonce(error)
            | Self::Forbidden(error)
            | Self::Unavailable(error) => Some(error),
            Self::InsufficientScope(rejection) => Some(rejection),
            Self::InsufficientUserAuthentication(denied) => Some(denied),
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
