//! Endpoints where identity providers announce revocations (feature `revocation`):
//! [`BackChannelLogout`] takes OpenID Connect Back-Channel Logout tokens (a form post of
//! `logout_token`), [`SecurityEventPush`] takes Security Event Tokens pushed per RFC 8935. Both
//! verify what they receive and revoke the tokens it names on the verifier
//! ([`Verifier::revoke`]), which the layer then refuses however they arrive.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full, Limited};
use scopegate_core::security_event::push_error_code;
use scopegate_core::verifier::MAX_EVENT_TOKEN_BYTES;
use scopegate_core::{ErrorClass, Verifier};
use serde_json::json;
use tower_service::Service;

/// What the endpoints' futures are.
pub type ReceiverFuture =
    Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

/// `POST` of an OpenID Connect Back-Channel Logout token (`application/x-www-form-urlencoded`,
/// `logout_token=...`): `200` when it verified and its session (or subject) is revoked, `400`
/// with `invalid_request` and the rule it broke otherwise (section 2.8), `503` when the
/// issuer's keys cannot be had.
///
/// Mount it outside the [`BearerAuthLayer`](crate::BearerAuthLayer): the identity provider
/// posts without an access token; what it posts is itself signed.
///
/// ```
/// use http::{Request, StatusCode};
/// use scopegate_tower::{BackChannelLogout, SecurityEventPush};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let verifier = scopegate_testkit::TestIssuer::new().verifier();
/// let logout = BackChannelLogout::new(verifier.clone());
/// let request = Request::post("/backchannel-logout")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(http_body_util::Full::new(bytes::Bytes::from("logout_token=not-a-token")))
///     .unwrap();
/// let response = logout.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), StatusCode::BAD_REQUEST);
/// # let _ = SecurityEventPush::new(verifier);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BackChannelLogout {
    verifier: Verifier,
}

impl BackChannelLogout {
    /// Takes logout tokens for `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }
}

/// `POST` of a Security Event Token (`application/secevent+jwt`, RFC 8935): `202` when it
/// verified and what its event names is revoked, `400` with the RFC 8935 `err` code
/// (`invalid_request`, `invalid_key`, `invalid_issuer`, `invalid_audience`) otherwise, `503`
/// when the issuer's keys cannot be had. Mount it beside [`BackChannelLogout`], outside the
/// bearer layer.
#[derive(Clone, Debug)]
pub struct SecurityEventPush {
    verifier: Verifier,
}

impl SecurityEventPush {
    /// Takes security events for `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }
}

impl<B> Service<Request<B>> for BackChannelLogout
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<scopegate_core::BoxError>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ReceiverFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let verifier = self.verifier.clone();
        Box::pin(async move {
            let form = match read(request, "application/x-www-form-urlencoded").await {
                Ok(body) => body,
                Err(response) => return Ok(response),
            };
            let mut tokens =
                form_urlencoded::parse(&form).filter(|(name, _)| name == "logout_token");
            let token = match (tokens.next(), tokens.next()) {
                (Some((_, token)), None) => token,
                _ => return Ok(logout_refused("the request must carry one `logout_token`")),
            };
            Ok(match verifier.accept_logout_token(&token).await {
                Ok(_) => answer(StatusCode::OK, Bytes::new()),
                Err(error) if error.class() == ErrorClass::Unavailable => unavailable(),
                Err(error) => logout_refused(error.message()),
            })
        })
    }
}

impl<B> Service<Request<B>> for SecurityEventPush
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<scopegate_core::BoxError>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ReceiverFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let verifier = self.verifier.clone();
        Box::pin(async move {
            let body = match read(request, "application/secevent+jwt").await {
                Ok(body) => body,
                Err(response) => return Ok(response),
            };
            let Ok(set) = std::str::from_utf8(&body) else {
                return Ok(push_refused("invalid_request", "the security event is not text"));
            };
            Ok(match verifier.accept_security_event(set).await {
                Ok(_) => answer(StatusCode::ACCEPTED, Bytes::new()),
                Err(error) => match push_error_code(&error) {
                    Some(code) => push_refused(code, error.message()),
                    None => unavailable(),
                },
            })
        })
    }
}

/// The body of a `POST` of `media_type`, at most the largest event token (and its form
/// encoding); or the response that refuses the request.
async fn read<B>(request: Request<B>, media_type: &str) -> Result<Bytes, Response<Full<Bytes>>>
where
    B: Body + Send + 'static,
    B::Error: Into<scopegate_core::BoxError>,
{
    if request.method() != Method::POST {
        let mut response = answer(StatusCode::METHOD_NOT_ALLOWED, Bytes::new());
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return Err(response);
    }
    let content_type = request.headers().get(CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let essence = content_type.and_then(|value| value.split(';').next()).map(str::trim);
    if !essence.is_some_and(|essence| essence.eq_ignore_ascii_case(media_type)) {
        return Err(answer(StatusCode::UNSUPPORTED_MEDIA_TYPE, Bytes::new()));
    }
    // A form encodes each byte of a token in at most three.
    let limit = MAX_EVENT_TOKEN_BYTES * 3 + 64;
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(_) => Err(answer(StatusCode::PAYLOAD_TOO_LARGE, Bytes::new())),
    }
}

fn logout_refused(description: &str) -> Response<Full<Bytes>> {
    let body = json!({"error": "invalid_request", "error_description": description});
    json_answer(StatusCode::BAD_REQUEST, &body)
}

fn push_refused(code: &str, description: &str) -> Response<Full<Bytes>> {
    json_answer(StatusCode::BAD_REQUEST, &json!({"err": code, "description": description}))
}

fn unavailable() -> Response<Full<Bytes>> {
    tracing::warn!("a revocation could not be checked now: the issuer's keys are unavailable");
    let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, Bytes::new());
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

fn json_answer(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = answer(status, Bytes::from(body.to_string()));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn answer(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
