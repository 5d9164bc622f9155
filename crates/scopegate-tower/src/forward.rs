//! Forwarding the caller's access token to downstream APIs: [`AccessToken`] (what the request
//! presented) and [`ForwardTokenLayer`], a client-side layer that attaches it only for the
//! origins you allow, so a redirect or a user-controlled URL cannot carry it elsewhere.
//!
//! ```
//! use http::Request;
//! use scopegate_tower::{AccessToken, ForwardTokenLayer};
//! use tower::{Layer, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = ForwardTokenLayer::new(["http://orders.internal:8080"])?.layer(service_fn(
//!     |request: Request<()>| async move {
//!         Ok::<_, std::convert::Infallible>(request.headers().contains_key("authorization"))
//!     },
//! ));
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let token = issuer.token().sign();
//! // In a handler behind `BearerAuthLayer`: the token the layer verified, from its record.
//! let handler = |request: &Request<()>| AccessToken::from_request(request.extensions(), request.headers());
//! # let layer = scopegate_tower::BearerAuthLayer::new(issuer.verifier());
//! # let incoming = Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
//! # let found = std::sync::Arc::new(std::sync::Mutex::new(None));
//! # let slot = std::sync::Arc::clone(&found);
//! # let inner = service_fn(move |request: Request<()>| {
//! #     *slot.lock().unwrap() = handler(&request);
//! #     async { Ok::<_, std::convert::Infallible>(http::Response::new(String::new())) }
//! # });
//! # tower::ServiceExt::oneshot(layer.layer(inner), incoming).await?;
//! # let token = found.lock().unwrap().take().expect("verified");
//!
//! let mut allowed = Request::get("http://orders.internal:8080/orders").body(())?;
//! allowed.extensions_mut().insert(token.clone());
//! assert!(client.clone().oneshot(allowed).await?);
//! let mut elsewhere = Request::get("https://evil.example.com/").body(())?;
//! elsewhere.extensions_mut().insert(token);
//! assert!(!client.oneshot(elsewhere).await?);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use http::{Extensions, HeaderMap, HeaderValue, Request, Uri};
use scopegate_core::{Claims, Error};
use tower_layer::Layer;
use tower_service::Service;

use crate::challenge::Scheme;
use crate::context::AuthContext;
use crate::extract::recorded_token;

/// Marks a request whose token must never be sent on as it is: a layer in front of a server
/// that may not pass its clients' tokens to other APIs inserts it (`scopegate-mcp` does: MCP
/// forbids token passthrough, since the token's audience is this server). The token stays
/// readable, to exchange it (RFC 8693) for one meant for the other API, but
/// [`AccessToken::bearer_header`] refuses it and [`ForwardTokenLayer`] does not attach it.
/// It guards against mistakes, not against the application: code that copies
/// [`AccessToken::secret`] or the request's `Authorization` header by hand still can.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoTokenPassthrough;

/// The access token a request presented and [`BearerAuthLayer`](crate::BearerAuthLayer)
/// verified, to forward downstream. `Debug` never shows it; it is never logged.
#[derive(Clone)]
pub struct AccessToken {
    scheme: Scheme,
    token: Arc<str>,
    passthrough: bool,
    /// Bound to the caller's TLS client certificate (`cnf.x5t#S256`).
    certificate_bound: bool,
}

impl AccessToken {
    /// The token the layer verified for this request: read from the place and with the scheme
    /// the layer recorded ([`AuthContext::source`], [`AuthContext::presented`]), never from
    /// another header or cookie of the request. `None` when the layer did not verify a token
    /// (it did not run, or the request was anonymous).
    pub fn from_request(extensions: &Extensions, headers: &HeaderMap) -> Option<Self> {
        let claims = extensions.get::<Claims>()?;
        let certificate_bound = claims
            .confirmation()
            .is_some_and(|confirmation| confirmation.certificate_thumbprint().is_some());
        let context = extensions.get::<AuthContext>()?;
        let (scheme, source) = (context.presented(), context.source());
        let token = recorded_token(headers, source, scheme, context.cookie_name())?;
        let passthrough = extensions.get::<NoTokenPassthrough>().is_none();
        Some(Self { scheme, token: Arc::from(token), passthrough, certificate_bound })
    }

    /// The scheme it was presented with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The token itself: handle with care.
    pub fn secret(&self) -> &str {
        &self.token
    }

    /// `Bearer <token>`, for an outgoing `Authorization` header.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SenderConstrained`](scopegate_core::ErrorKind::SenderConstrained) for a
    /// token presented with DPoP: it is bound to the caller's key and would be refused (or
    /// misused) as a bearer token downstream, and for a token bound to the caller's TLS
    /// client certificate (RFC 8705), which this API cannot present. Neither can be exchanged
    /// by this API either (it cannot prove the caller's key or present its certificate): call
    /// downstream with a token of this API's own.
    /// [`ErrorKind::InvalidConfiguration`](scopegate_core::ErrorKind::InvalidConfiguration) for
    /// a token of a request marked [`NoTokenPassthrough`].
    pub fn bearer_header(&self) -> Result<HeaderValue, Error> {
        if !self.passthrough {
            return Err(Error::new(
                scopegate_core::ErrorKind::InvalidConfiguration,
                "this token was received by a server that must not pass it on (MCP forbids \
                 token passthrough); exchange it for a token meant for the other API",
            ));
        }
        if self.scheme == Scheme::Dpop {
            return Err(Error::new(
                scopegate_core::ErrorKind::SenderConstrained,
                "a DPoP-bound token cannot be forwarded as a bearer token (nor exchanged: this \
                 API cannot prove the caller's key)",
            ));
        }
        if self.certificate_bound {
            return Err(Error::new(
                scopegate_core::ErrorKind::SenderConstrained,
                "a token bound to the caller's TLS certificate cannot be forwarded (nor \
                 exchanged: this API cannot present the caller's certificate)",
            ));
        }
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.token)).map_err(|_| {
            Error::new(scopegate_core::ErrorKind::MalformedToken, "the token is not a header value")
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("scheme", &self.scheme)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// An origin: scheme, host and port, compared exactly (host case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri.port_u16().or(match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        })?;
        Some(Self { scheme, host: uri.host()?.to_ascii_lowercase(), port })
    }
}

/// A client-side layer: a request carrying an [`AccessToken`] in its extensions goes out with
/// `Authorization: Bearer <token>` when its URI's origin is allowed, and without it (logged
/// at `warn`, without the token) otherwise. Requests without one pass unchanged. Put it
/// inside any redirect-following layer, so that each hop is checked.
#[derive(Clone, Debug)]
#[must_use]
pub struct ForwardTokenLayer {
    origins: Arc<[Origin]>,
}

impl ForwardTokenLayer {
    /// Forwards to these origins (`https://orders.internal`, `http://127.0.0.1:8081`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](scopegate_core::ErrorKind::InvalidConfiguration)
    /// for a URL without scheme and host, or with a path.
    pub fn new<I, S>(origins: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let origins = origins
            .into_iter()
            .map(|origin| {
                let text = origin.as_ref();
                text.parse::<Uri>()
                    .ok()
                    .filter(|uri| uri.path_and_query().is_none_or(|p| p.as_str() == "/"))
                    .and_then(|uri| Origin::of(&uri))
                    .ok_or_else(|| {
                        Error::new(
                            scopegate_core::ErrorKind::InvalidConfiguration,
                            format!("`{text}` is not an origin (scheme://host[:port])"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { origins: origins.into() })
    }
}

impl<S> Layer<S> for ForwardTokenLayer {
    type Service = ForwardToken<S>;

    fn layer(&self, inner: S) -> ForwardToken<S> {
        ForwardToken { inner, origins: Arc::clone(&self.origins) }
    }
}

/// The service of [`ForwardTokenLayer`].
#[derive(Clone, Debug)]
pub struct ForwardToken<S> {
    inner: S,
    origins: Arc<[Origin]>,
}

impl<S, B> Service<Request<B>> for ForwardToken<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> S::Future {
        if let Some(token) = request.extensions_mut().remove::<AccessToken>() {
            let origin = Origin::of(request.uri());
            let allowed = origin.as_ref().is_some_and(|origin| self.origins.contains(origin));
            match (allowed, token.bearer_header()) {
                (true, Ok(value)) => {
                    request.headers_mut().insert(AUTHORIZATION, value);
                }
                (true, Err(error)) => {
                    tracing::warn!(reason = %error, "the caller's token was not forwarded");
                }
                (false, _) => tracing::warn!(
                    host = request.uri().host().unwrap_or("?"),
                    "the caller's token was not forwarded: the origin is not allowed"
                ),
            }
        }
        self.inner.call(request)
    }
}
