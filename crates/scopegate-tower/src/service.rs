//! [`BearerAuth`]: the service the layer wraps around yours.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Request, Response};
use scopegate_core::{
    Claims, DpopRequest, DpopVerified, Error, ErrorClass, ErrorKind, RequestFacts, Verification,
    telemetry,
};
use tower_service::Service;

use crate::body::ResponseBody;
use crate::certificate::ClientCertificate;
use crate::challenge::Scheme;
use crate::context::{Anonymous, AuthContext};
use crate::extract::{
    Credentials, DPOP, TokenSource, check_syntax, credentials, dpop_proof, dpop_token,
};
use crate::future::ResponseFuture;
use crate::grpc;
use crate::layer::Shared;
use crate::rejection::Rejection;

/// Verifies the access token (Bearer, or DPoP with its proof), then calls the inner service with the [`Claims`] (and an
/// [`AuthContext`](crate::AuthContext)) in the request extensions. Made by
/// [`BearerAuthLayer`](crate::BearerAuthLayer).
#[derive(Clone)]
pub struct BearerAuth<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> BearerAuth<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for BearerAuth<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqB: Send + 'static,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqB>) -> Self::Future {
        let shared = &self.shared;
        // A gRPC call is answered in gRPC's terms, by this layer and every guard after it.
        let base = if grpc::is_grpc(request.method(), request.headers()) {
            Cow::Owned(shared.context.for_grpc())
        } else {
            Cow::Borrowed(&shared.context)
        };
        let dpop_on = shared.dpop.is_some();
        let found = match credentials(request.headers(), shared.cookie.as_deref(), dpop_on) {
            Ok(found) => found,
            Err(error) => {
                let response = base.respond(&Rejection::InvalidRequest(error), None);
                return ResponseFuture::rejected(response);
            }
        };
        if let Some(Credentials { source: TokenSource::Cookie, .. }) = found
            && let Err(error) = shared.csrf.check(request.method(), request.headers())
        {
            let response = base.respond(&Rejection::InvalidRequest(error), None);
            return ResponseFuture::rejected(response);
        }
        let bearer = match found {
            Some(found @ Credentials { scheme: Scheme::Bearer, .. }) => found,
            Some(found @ Credentials { scheme: Scheme::Dpop, .. }) => {
                return match found.text() {
                    Ok(_) => self.call_dpop(request),
                    Err(error) => ResponseFuture::rejected(
                        base.respond(&Rejection::InvalidRequest(error), None),
                    ),
                };
            }
            None if shared.optional => {
                let extensions = request.extensions_mut();
                extensions.insert(base.into_owned());
                extensions.insert(Anonymous);
                return ResponseFuture::authorized(self.inner.call(request));
            }
            None => {
                let response = base.respond(&Rejection::MissingToken, None);
                return ResponseFuture::rejected(response);
            }
        };
        if let Some(dpop) = &shared.dpop {
            // DPoP required: a Bearer request gets the DPoP challenge, as if it had no token.
            if dpop.required {
                let response = base.respond(&Rejection::MissingToken, None);
                return ResponseFuture::rejected(response);
            }
            if request.headers().contains_key(DPOP) {
                let message =
                    "a DPoP proof came with a Bearer token; send the token with the DPoP scheme";
                let rejection =
                    Rejection::InvalidRequest(Error::new(ErrorKind::InvalidRequest, message));
                return ResponseFuture::rejected(base.respond(&rejection, None));
            }
        }
        // The characters of a token matter only when it fails: one that verifies (or was
        // verified before) is base64url and dots, which RFC 6750's `b64token` allows. So the
        // scan runs only to tell a malformed request (400) from a bad token (401), and a
        // cached token's bytes are not even checked as UTF-8: they were, when it verified.
        // The layer's record of what it verified: the scheme and the place of the token.
        let context = match bearer.source {
            TokenSource::AuthorizationHeader => AuthContext::clone(&base),
            source => base.presented_with(Scheme::Bearer, source),
        };
        let tenant = match request_tenant(&request, shared) {
            Ok(tenant) => tenant,
            Err(error) => return ResponseFuture::rejected(refuse_tenant(error, &context)),
        };
        let facts = RequestFacts::new().tenant(tenant.as_deref());
        if let Some(claims) = shared.verifier.cached_for(bearer.token, facts) {
            admit(&mut request, claims, context);
            return ResponseFuture::authorized(self.inner.call(request));
        }
        let token = match bearer.text() {
            Ok(token) => token,
            Err(error) => {
                let response = base.respond(&Rejection::InvalidRequest(error), None);
                return ResponseFuture::rejected(response);
            }
        };
        let certificate = request.extensions().get::<ClientCertificate>();
        let facts = facts.certificate(certificate.map(ClientCertificate::thumbprint));
        match shared.verifier.verify_now_for(token, facts) {
            Verification::Ready(Ok(claims)) => {
                admit(&mut request, claims, context);
                ResponseFuture::authorized(self.inner.call(request))
            }
            Verification::Ready(Err(error)) => {
                ResponseFuture::rejected(refuse(token, error, &context, shared))
            }
            Verification::Pending(pending) => {
                let mut inner = self.take_ready_inner();
                ResponseFuture::deferred(Box::pin(async move {
                    match pending.await {
                        Ok(claims) => {
                            admit(&mut request, claims, context);
                            Ok((inner.call(request), None))
                        }
                        Err(error) => Err(context.respond(&Rejection::from_error(error), None)),
                    }
                }))
            }
        }
    }
}

impl<S: Clone> BearerAuth<S> {
    /// The service that was polled ready, to go with a request that waits; a clone stays.
    fn take_ready_inner(&mut self) -> S {
        let clone = self.inner.clone();
        std::mem::replace(&mut self.inner, clone)
    }

    /// A request with `Authorization: DPoP <token>`: the proof and the token checked together
    /// (RFC 9449 section 7.1). Errors are told in the DPoP scheme. The token, the proof and
    /// the path are read from the request inside the future, not copied out of it.
    fn call_dpop<ReqB, ResB>(&mut self, request: Request<ReqB>) -> ResponseFuture<S::Future>
    where
        S: Service<Request<ReqB>, Response = Response<ResB>> + Send + 'static,
        S::Future: Send + 'static,
        ReqB: Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        let mut inner = self.take_ready_inner();
        // The body stays apart: the parts are borrowed across the wait, and they are `Sync`.
        let (parts, body) = request.into_parts();
        ResponseFuture::deferred(Box::pin(async move {
            let base = if grpc::is_grpc(&parts.method, &parts.headers) {
                shared.context.for_grpc()
            } else {
                shared.context.clone()
            };
            let context = base.presented_with(Scheme::Dpop, TokenSource::AuthorizationHeader);
            let verified = verify_dpop(&parts, &shared, &context).await?;
            let nonce = verified.next_nonce.and_then(|nonce| HeaderValue::try_from(nonce).ok());
            let mut request = Request::from_parts(parts, body);
            admit(&mut request, verified.claims, context);
            Ok((inner.call(request), nonce))
        }))
    }
}

/// The DPoP checks of a request, or the response that refuses it.
async fn verify_dpop(
    request: &Parts,
    shared: &Shared,
    context: &AuthContext,
) -> Result<DpopVerified, Response<Bytes>> {
    let headers = &request.headers;
    let refuse_proof = |error| context.respond(&Rejection::InvalidDpopProof(error), None);
    let proof = match dpop_proof(headers) {
        Ok(Some(proof)) => proof,
        Ok(None) => {
            let message = "the DPoP token came without a DPoP proof header";
            return Err(refuse_proof(Error::new(ErrorKind::DpopProofMalformed, message)));
        }
        Err(error) => return Err(refuse_proof(error)),
    };
    // The layer found this token with the DPoP scheme before it deferred to here.
    let Some(token) = dpop_token(headers) else {
        let error = Error::new(ErrorKind::InvalidRequest, "the DPoP token is no longer there");
        return Err(context.respond(&Rejection::InvalidRequest(error), None));
    };
    // The URI the client sent the request to (and made its proof for), before any router in
    // front of the layer rewrote it.
    let uri = shared.original_uri.and_then(|find| find(&request.extensions));
    let path = uri.unwrap_or(&request.uri).path();
    let certificate = request.extensions.get::<ClientCertificate>();
    let tenant = match &shared.tenant_from {
        None => None,
        Some(from) => match from.tenant(&request.uri, &request.headers) {
            Some(tenant) => Some(tenant),
            None => return Err(refuse_tenant(no_tenant(), context)),
        },
    };
    let target = DpopRequest::new(request.method.as_str(), path)
        .with_certificate(certificate.map(ClientCertificate::thumbprint))
        .with_tenant(tenant.as_deref());
    match shared.verifier.verify_dpop(token, proof, target).await {
        Ok(verified) => Ok(verified),
        Err(error) if error.class() == ErrorClass::UseDpopNonce => {
            let nonce = shared.verifier.issue_dpop_nonce();
            let rejection = Rejection::UseDpopNonce(error);
            Err(context.respond_with_nonce(&rejection, None, nonce.as_deref()))
        }
        Err(error) => Err(refuse(token, error, context, shared)),
    }
}

/// The tenant the request names, when the layer reads one: an error when it names none.
fn request_tenant<'r, B>(
    request: &'r Request<B>,
    shared: &Shared,
) -> Result<Option<Cow<'r, str>>, Error> {
    let Some(from) = &shared.tenant_from else { return Ok(None) };
    from.tenant(request.uri(), request.headers()).map(Some).ok_or_else(no_tenant)
}

fn no_tenant() -> Error {
    Error::new(ErrorKind::UntrustedIssuer, "the request names no tenant this API serves")
}

fn refuse_tenant(error: Error, context: &AuthContext) -> Response<Bytes> {
    context.respond(&Rejection::from_error(error), None)
}

/// The answer for a token that failed verification: `400` if it is not even a `b64token`.
/// A token that waited for keys had three segments that decoded as base64url, so its syntax
/// is sound; one refused at once may not be.
fn refuse(token: &str, error: Error, context: &AuthContext, shared: &Shared) -> Response<Bytes> {
    let rejection = match check_syntax(token, shared.verifier.max_token_bytes()) {
        Err(syntax) => Rejection::InvalidRequest(syntax),
        Ok(()) => Rejection::from_error(error),
    };
    context.respond(&rejection, None)
}

fn admit<B>(request: &mut Request<B>, claims: Claims, context: AuthContext) {
    telemetry::request_admitted(context.presented() == Scheme::Dpop);
    let extensions = request.extensions_mut();
    extensions.insert(claims);
    extensions.insert(context);
}

impl<S: fmt::Debug> fmt::Debug for BearerAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth").field("inner", &self.inner).finish_non_exhaustive()
    }
}
