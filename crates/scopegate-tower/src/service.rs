//! [`BearerAuth`]: the service the layer wraps around yours.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use scopegate_core::{Claims, Verification};
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::Anonymous;
use crate::extract::{bearer_token, check_syntax};
use crate::future::ResponseFuture;
use crate::layer::Shared;
use crate::rejection::Rejection;

/// Verifies the bearer token, then calls the inner service with the [`Claims`] (and an
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
        let token = match bearer_token(request.headers(), shared.cookie.as_deref()) {
            Ok(Some(token)) => token,
            Ok(None) if shared.optional => {
                let extensions = request.extensions_mut();
                extensions.insert(shared.context.clone());
                extensions.insert(Anonymous);
                return ResponseFuture::authorized(self.inner.call(request));
            }
            Ok(None) => {
                let response = shared.context.respond(&Rejection::MissingToken, None);
                return ResponseFuture::rejected(response);
            }
            Err(error) => {
                let response = shared.context.respond(&Rejection::InvalidRequest(error), None);
                return ResponseFuture::rejected(response);
            }
        };
        // The characters of a token matter only when it fails: one that verifies (or was
        // verified before) is base64url and dots, which RFC 6750's `b64token` allows. So the
        // scan runs only to tell a malformed request (400) from a bad token (401).
        if let Some(claims) = shared.verifier.cached(token) {
            admit(&mut request, claims, shared);
            return ResponseFuture::authorized(self.inner.call(request));
        }
        match shared.verifier.verify_now(token) {
            Verification::Ready(Ok(claims)) => {
                admit(&mut request, claims, shared);
                ResponseFuture::authorized(self.inner.call(request))
            }
            Verification::Ready(Err(error)) => {
                ResponseFuture::rejected(refuse(token, error, shared))
            }
            Verification::Pending(pending) => {
                // The service that was polled ready goes with the request; a clone stays.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                let shared = Arc::clone(shared);
                ResponseFuture::deferred(Box::pin(async move {
                    match pending.await {
                        Ok(claims) => {
                            admit(&mut request, claims, &shared);
                            Ok(inner.call(request))
                        }
                        Err(error) => Err(refuse_owned(error, &shared)),
                    }
                }))
            }
        }
    }
}

/// The answer for a token that failed verification: `400` if it is not even a `b64token`.
fn refuse(token: &str, error: scopegate_core::Error, shared: &Shared) -> Response<bytes::Bytes> {
    let rejection = match check_syntax(token, shared.verifier.max_token_bytes()) {
        Err(syntax) => Rejection::InvalidRequest(syntax),
        Ok(()) => Rejection::from_error(error),
    };
    shared.context.respond(&rejection, None)
}

/// [`refuse`] after waiting for keys: a token waits only once its three segments decoded as
/// base64url, so its syntax is sound.
fn refuse_owned(error: scopegate_core::Error, shared: &Shared) -> Response<bytes::Bytes> {
    shared.context.respond(&Rejection::from_error(error), None)
}

fn admit<B>(request: &mut Request<B>, claims: Claims, shared: &Shared) {
    let extensions = request.extensions_mut();
    extensions.insert(claims);
    extensions.insert(shared.context.clone());
}

impl<S: fmt::Debug> fmt::Debug for BearerAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth").field("inner", &self.inner).finish_non_exhaustive()
    }
}
