//! Turning a [`Rejection`] into a response: one [`Responder`] for every rejection of a layer,
//! its guards and its extractors.
//!
//! The default ([`Rejection::default_response`]) follows RFC 6750 and ARCHITECTURE.md:
//!
//! | rejection | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no token | 401 | `Bearer realm="<realm>"` (plus `scope` where a guard knows it) |
//! | malformed request | 400 | `Bearer error="invalid_request", error_description="..."` |
//! | bad token | 401 | `Bearer error="invalid_token", error_description="..."` |
//! | bad DPoP proof | 401 | `DPoP error="invalid_dpop_proof", error_description="...", algs="..."` |
//! | DPoP nonce needed | 401 | `DPoP error="use_dpop_nonce", ...` and a `DPoP-Nonce` header |
//! | scope missing | 403 | `Bearer error="insufficient_scope", scope="<required>"` |
//! | role or claim missing | 403 | `Bearer error="insufficient_scope"` |
//! | verification unavailable | 503 | none (`Retry-After: 5`) |
//! | layer missing | 500 | none |
//!
//! With DPoP on, a `401` for a request without a token offers both schemes (two
//! `WWW-Authenticate` lines; only `DPoP` when DPoP is required), an error challenge uses the
//! scheme the request presented, and `DPoP` challenges carry `algs`.
//!
//! Bodies are JSON: `{"error": "...", "error_description": "..."}`, plus `required_scopes` for
//! a missing scope. To change an answer, write a closure (or implement the trait) that starts
//! from the default and changes what you need; status and challenge stay right:
//!
//! ```
//! use bytes::Bytes;
//! use http::{Response, header};
//! use scopegate_core::{Error, ErrorKind};
//! use scopegate_tower::{BearerAuthLayer, Rejection, ResponseContext};
//!
//! /// RFC 9457 problem details for every rejection.
//! fn problem_details(rejection: &Rejection, context: &ResponseContext<'_>) -> Response<Bytes> {
//!     let mut response = rejection.default_response(context);
//!     let body = serde_json::json!({
//!         "type": "about:blank",
//!         "status": rejection.status().as_u16(),
//!         "detail": rejection.to_string(),
//!     });
//!     *response.body_mut() = Bytes::from(body.to_string());
//!     let problem = header::HeaderValue::from_static("application/problem+json");
//!     response.headers_mut().insert(header::CONTENT_TYPE, problem);
//!     response
//! }
//!
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//! let layer = BearerAuthLayer::new(verifier).responder(problem_details);
//!
//! let expired = Rejection::InvalidToken(Error::new(ErrorKind::Expired, "the token has expired"));
//! let response = problem_details(&expired, &ResponseContext::new("api"));
//! assert_eq!(
//!     response.headers()[header::WWW_AUTHENTICATE],
//!     r#"Bearer error="invalid_token", error_description="the token has expired""#,
//! );
//! # let _ = layer;
//! ```

use bytes::Bytes;
use http::Response;

use crate::challenge::Scheme;
use crate::rejection::Rejection;

/// Builds the response for a rejection. Implemented by every
/// `Fn(&Rejection, &ResponseContext<'_>) -> Response<Bytes>`. Keep the status, and for `401`
/// and `403` the `WWW-Authenticate` header: clients act on them. For a gRPC call the answer is
/// then turned into a gRPC status (see [`grpc`](crate::grpc)): the status this responder chose
/// decides the gRPC code, and its challenge, `DPoP-Nonce` and `Retry-After` become metadata.
pub trait Responder: Send + Sync + 'static {
    /// The response for `rejection`.
    fn respond(&self, rejection: &Rejection, context: &ResponseContext<'_>) -> Response<Bytes>;
}

impl<F> Responder for F
where
    F: Fn(&Rejection, &ResponseContext<'_>) -> Response<Bytes> + Send + Sync + 'static,
{
    fn respond(&self, rejection: &Rejection, context: &ResponseContext<'_>) -> Response<Bytes> {
        self(rejection, context)
    }
}

/// The standard responses: [`Rejection::default_response`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultResponder;

impl Responder for DefaultResponder {
    fn respond(&self, rejection: &Rejection, context: &ResponseContext<'_>) -> Response<Bytes> {
        rejection.default_response(context)
    }
}

/// What a responder knows besides the rejection: the layer's realm, the protected resource's
/// metadata URL, the scopes of the route when a guard or extractor knows them, and DPoP:
/// whether it is on, the scheme the request used, and a fresh nonce to send.
#[derive(Clone, Copy, Debug)]
pub struct ResponseContext<'a> {
    realm: &'a str,
    resource_metadata: Option<&'a str>,
    required_scope: Option<&'a str>,
    dpop_algs: Option<&'a str>,
    dpop_required: bool,
    presented: Scheme,
    dpop_nonce: Option<&'a str>,
}

impl<'a> ResponseContext<'a> {
    /// A context with `realm` and nothing else: Bearer only.
    pub fn new(realm: &'a str) -> Self {
        Self {
            realm,
            resource_metadata: None,
            required_scope: None,
            dpop_algs: None,
            dpop_required: false,
            presented: Scheme::Bearer,
            dpop_nonce: None,
        }
    }

    /// With DPoP accepted (`algs`: the proof algorithms, space-separated), and whether it is
    /// required (then challenges offer `DPoP` only).
    #[must_use]
    pub fn with_dpop(mut self, algs: &'a str, required: bool) -> Self {
        self.dpop_algs = Some(algs);
        self.dpop_required = required;
        self
    }

    /// With the scheme the request presented its token with: error challenges use it.
    #[must_use]
    pub fn with_presented(mut self, scheme: Scheme) -> Self {
        self.presented = scheme;
        self
    }

    /// With a fresh DPoP nonce, sent in `DPoP-Nonce` (RFC 9449 section 9).
    #[must_use]
    pub fn with_dpop_nonce(mut self, nonce: Option<&'a str>) -> Self {
        self.dpop_nonce = nonce;
        self
    }

    /// The DPoP proof algorithms, space-separated, when DPoP is accepted.
    pub fn dpop_algs(&self) -> Option<&'a str> {
        self.dpop_algs
    }

    /// Whether DPoP is required (Bearer refused).
    pub fn dpop_required(&self) -> bool {
        self.dpop_required
    }

    /// The scheme the request presented its token with (`Bearer` when it sent none).
    pub fn presented(&self) -> Scheme {
        self.presented
    }

    /// A fresh DPoP nonce for the `DPoP-Nonce` header, when one is due.
    pub fn dpop_nonce(&self) -> Option<&'a str> {
        self.dpop_nonce
    }

    /// With the URL of the protected resource's metadata (RFC 9728 section 5.1).
    #[must_use]
    pub fn with_resource_metadata(mut self, url: Option<&'a str>) -> Self {
        self.resource_metadata = url;
        self
    }

    /// With the scopes the route requires, space-separated: a `401` then tells the client
    /// which scopes to ask for.
    #[must_use]
    pub fn with_required_scope(mut self, scope: Option<&'a str>) -> Self {
        self.required_scope = scope;
        self
    }

    /// The realm of the no-token challenge.
    pub fn realm(&self) -> &'a str {
        self.realm
    }

    /// The URL of the protected resource's metadata document, when one is configured.
    pub fn resource_metadata(&self) -> Option<&'a str> {
        self.resource_metadata
    }

    /// The scopes the route requires, space-separated, when the rejecting guard knows them.
    pub fn required_scope(&self) -> Option<&'a str> {
        self.required_scope
    }
}
