//! What the layer leaves in request extensions for guards and extractors downstream.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Extensions, Response};
use scopegate_core::{Claims, Clock};

use crate::challenge::Scheme;
use crate::extract::TokenSource;
use crate::rejection::Rejection;
use crate::responder::{DefaultResponder, Responder, ResponseContext};

/// Inserted into every request that passes [`BearerAuthLayer`](crate::BearerAuthLayer): how
/// guards and extractors downstream answer, so that one [`Responder`] shapes every rejection
/// and every challenge names the same realm and metadata URL. Cheap to clone.
///
/// It is also the layer's record of what it verified: the scheme ([`presented`](Self::presented))
/// and the place ([`source`](Self::source)) of the token, which
/// [`AccessToken::from_request`](crate::AccessToken::from_request) reads the token back from,
/// so that nothing downstream ever takes a token the layer did not verify.
#[derive(Clone)]
pub struct AuthContext {
    /// One reference count for the whole configuration: cloned into every admitted request.
    settings: Arc<ContextSettings>,
    presented: Scheme,
    source: TokenSource,
    /// The request is a gRPC call: refusals are trailers-only gRPC answers.
    grpc: bool,
}

struct ContextSettings {
    realm: Arc<str>,
    resource_metadata: Option<Arc<str>>,
    responder: Arc<dyn Responder>,
    dpop: Option<DpopOffer>,
    clock: Arc<dyn Clock>,
    cookie: Option<Arc<str>>,
}

/// DPoP as the challenges offer it.
#[derive(Clone)]
pub(crate) struct DpopOffer {
    pub(crate) algs: Arc<str>,
    pub(crate) required: bool,
}

impl AuthContext {
    pub(crate) fn new(
        realm: Arc<str>,
        resource_metadata: Option<Arc<str>>,
        responder: Arc<dyn Responder>,
        dpop: Option<DpopOffer>,
        clock: Arc<dyn Clock>,
        cookie: Option<Arc<str>>,
    ) -> Self {
        let settings = ContextSettings { realm, resource_metadata, responder, dpop, clock, cookie };
        Self {
            settings: Arc::new(settings),
            presented: Scheme::Bearer,
            source: TokenSource::AuthorizationHeader,
            grpc: false,
        }
    }

    /// This context for a gRPC call (`grpc`): its refusals become trailers-only gRPC answers
    /// (see [`grpc`](crate::grpc)).
    pub(crate) fn for_grpc(&self) -> Self {
        Self { grpc: true, ..self.clone() }
    }

    /// Whether the request is a gRPC call, whose refusals are gRPC answers.
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    /// Now, in seconds since the epoch, by the verifier's clock: what step-up rules
    /// (`auth_time`) compare with.
    pub fn now_secs(&self) -> u64 {
        self.settings.clock.now_secs()
    }

    /// This context for a request that presented its token with `scheme`, from `source`.
    pub(crate) fn presented_with(&self, scheme: Scheme, source: TokenSource) -> Self {
        Self { settings: Arc::clone(&self.settings), presented: scheme, source, grpc: self.grpc }
    }

    /// The scheme the request presented its token with.
    pub fn presented(&self) -> Scheme {
        self.presented
    }

    /// Where the request's token was found.
    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// The name of the token cookie, when the layer reads one.
    pub(crate) fn cookie_name(&self) -> Option<&str> {
        self.settings.cookie.as_deref()
    }

    /// The realm of the `WWW-Authenticate` challenge.
    pub fn realm(&self) -> &str {
        &self.settings.realm
    }

    /// The URL of the protected resource's metadata document, when one is configured.
    pub fn resource_metadata(&self) -> Option<&str> {
        self.settings.resource_metadata.as_deref()
    }

    /// The response for `rejection`, from the configured responder; `required_scope` is what
    /// the rejecting guard requires (space-separated), if it knows. Logs the rejection: this
    /// is where a rejection becomes an answer.
    pub fn respond(&self, rejection: &Rejection, required_scope: Option<&str>) -> Response<Bytes> {
        self.respond_with_nonce(rejection, required_scope, None)
    }

    /// [`respond`](Self::respond) with a fresh DPoP nonce for the `DPoP-Nonce` header.
    pub(crate) fn respond_with_nonce(
        &self,
        rejection: &Rejection,
        required_scope: Option<&str>,
        nonce: Option<&str>,
    ) -> Response<Bytes> {
        rejection.record();
        let settings = &*self.settings;
        let mut context = ResponseContext::new(&settings.realm)
            .with_resource_metadata(settings.resource_metadata.as_deref())
            .with_required_scope(required_scope)
            .with_presented(self.presented)
            .with_dpop_nonce(nonce);
        if let Some(dpop) = &settings.dpop {
            context = context.with_dpop(&dpop.algs, dpop.required);
        }
        let response = settings.responder.respond(rejection, &context);
        if self.grpc {
            return crate::grpc::trailers_only(response, rejection, required_scope);
        }
        response
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("realm", &self.settings.realm)
            .field("resource_metadata", &self.settings.resource_metadata)
            .field("presented", &self.presented)
            .field("source", &self.source)
            .field("grpc", &self.grpc)
            .finish_non_exhaustive()
    }
}

/// Inserted instead of [`Claims`] when the layer is optional and the request had no token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anonymous;

/// The verified claims of a request, for a guard or extractor that needs them.
///
/// # Errors
///
/// [`Rejection::MissingToken`] for an anonymous request (optional mode), and
/// [`Rejection::LayerMissing`] when [`BearerAuthLayer`](crate::BearerAuthLayer) did not run.
/// [`reject`] turns either into the response to send.
pub fn verified_claims(extensions: &Extensions) -> Result<&Claims, Rejection> {
    match extensions.get::<Claims>() {
        Some(claims) => Ok(claims),
        None if extensions.get::<AuthContext>().is_some() => Err(Rejection::MissingToken),
        None => Err(Rejection::LayerMissing),
    }
}

/// The response for `rejection` through the request's [`AuthContext`], or the default
/// response (without a realm) when there is none. `required_scope` as in
/// [`AuthContext::respond`].
pub fn reject(
    extensions: &Extensions,
    rejection: &Rejection,
    required_scope: Option<&str>,
) -> Response<Bytes> {
    match extensions.get::<AuthContext>() {
        Some(context) => context.respond(rejection, required_scope),
        None => {
            rejection.record();
            let context = ResponseContext::new("").with_required_scope(required_scope);
            DefaultResponder.respond(rejection, &context)
        }
    }
}
