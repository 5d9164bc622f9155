//! The response future of [`BearerAuth`](crate::BearerAuth) and the guards.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use crate::body::ResponseBody;
use crate::rejection::DPOP_NONCE;

/// Work that must wait (for keys, introspection or the replay store) before the inner service
/// can be called: it yields the inner service's future and, for DPoP, a fresh nonce to add to
/// its response, or the rejection to send.
pub(crate) type Deferred<F> =
    Pin<Box<dyn Future<Output = Result<(F, Option<HeaderValue>), Response<Bytes>>> + Send>>;

pin_project! {
    /// The response future of scopegate's services. Not boxed when the request is let through
    /// or rejected at once; boxed only while it waits for keys.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Authorized { #[pin] future: F, dpop_nonce: Option<HeaderValue> },
        Rejected { response: Option<Response<Bytes>> },
        Deferred { work: Deferred<F> },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn authorized(future: F) -> Self {
        Self { kind: Kind::Authorized { future, dpop_nonce: None } }
    }

    pub(crate) fn rejected(response: Response<Bytes>) -> Self {
        Self { kind: Kind::Rejected { response: Some(response) } }
    }

    pub(crate) fn deferred(work: Deferred<F>) -> Self {
        Self { kind: Kind::Deferred { work } }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.kind.as_mut().project() {
                KindProj::Authorized { future, dpop_nonce } => {
                    let mut response = ready!(future.poll(cx))?;
                    if let Some(nonce) = dpop_nonce.take() {
                        response.headers_mut().insert(DPOP_NONCE, nonce);
                    }
                    return Poll::Ready(Ok(response.map(ResponseBody::inner)));
                }
                KindProj::Rejected { response } => {
                    // A future polled again after it returned `Ready` breaks the `Future`
                    // contract. Panicking is the one answer that cannot be mistaken for an empty
                    // `200 OK`.
                    #[allow(clippy::expect_used, reason = "polled after completion: a caller bug")]
                    let response = response.take().expect("ResponseFuture polled after completion");
                    return Poll::Ready(Ok(response.map(ResponseBody::rejection)));
                }
                KindProj::Deferred { work } => match ready!(work.as_mut().poll(cx)) {
                    Ok((future, dpop_nonce)) => {
                        this.kind.set(Kind::Authorized { future, dpop_nonce });
                    }
                    Err(response) => this.kind.set(Kind::Rejected { response: Some(response) }),
                },
            }
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.kind {
            Kind::Authorized { .. } => "authorized",
            Kind::Rejected { .. } => "rejected",
            Kind::Deferred { .. } => "verifying",
        };
        f.debug_struct("ResponseFuture").field("state", &state).finish()
    }
}
