//! One endpoint of the test identity provider: how it answers ([`EndpointBehaviour`]), how
//! many requests it saw, and the response body it streams.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use tokio::sync::watch;

/// How an endpoint (the JWKS, the introspection endpoint) answers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointBehaviour {
    /// Its normal answer.
    Serve,
    /// An empty body with this status.
    Status(u16),
    /// Never answers.
    Hang,
    /// Waits until released (`IssuerServer::release_jwks`, `release_introspection`), then
    /// answers normally: a slow identity provider whose pace the test controls.
    Hold,
    /// Answers normally after this long: a slow identity provider that still answers.
    Slow(Duration),
    /// Closes the connection without an answer.
    Reset,
    /// This body, status 200.
    Body(Vec<u8>),
    /// `bytes` of filler, streamed; with `declared`, a `Content-Length` announces them.
    Huge {
        /// How many bytes.
        bytes: usize,
        /// Whether `Content-Length` is sent.
        declared: bool,
    },
}

/// An endpoint's behaviour and the requests it saw.
pub(crate) struct Endpoint {
    behaviour: Mutex<EndpointBehaviour>,
    /// `true` while [`EndpointBehaviour::Hold`] keeps requests waiting.
    held: watch::Sender<bool>,
    /// Requests that arrived; tests wait on it.
    hits: watch::Sender<usize>,
}

impl Endpoint {
    pub(crate) fn new() -> Self {
        Self {
            behaviour: Mutex::new(EndpointBehaviour::Serve),
            held: watch::Sender::new(false),
            hits: watch::Sender::new(0),
        }
    }

    pub(crate) fn set(&self, behaviour: EndpointBehaviour) {
        self.held.send_replace(behaviour == EndpointBehaviour::Hold);
        *self.behaviour.lock().unwrap_or_else(PoisonError::into_inner) = behaviour;
    }

    /// Lets held requests through and serves later ones at once.
    pub(crate) fn release(&self) {
        *self.behaviour.lock().unwrap_or_else(PoisonError::into_inner) = EndpointBehaviour::Serve;
        self.held.send_replace(false);
    }

    pub(crate) fn hits(&self) -> usize {
        *self.hits.borrow()
    }

    /// Waits until at least `count` requests arrived.
    ///
    /// # Panics
    ///
    /// After 10 seconds without them: the test has failed.
    #[allow(clippy::panic)]
    pub(crate) async fn wait_for(&self, count: usize, what: &str) {
        let mut hits = self.hits.subscribe();
        let arrived = hits.wait_for(|seen| *seen >= count);
        if tokio::time::timeout(Duration::from_secs(10), arrived).await.is_err() {
            panic!("waited 10 s for {count} {what} requests; {} arrived", self.hits());
        }
    }

    /// Counts the request, applies the behaviour, and answers with `serve` when it says to.
    pub(crate) async fn answer(
        &self,
        serve: impl FnOnce() -> Response<Filler>,
    ) -> Result<Response<Filler>, std::io::Error> {
        self.hits.send_modify(|count| *count += 1);
        let mut behaviour = self.behaviour.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if behaviour == EndpointBehaviour::Hold {
            let mut held = self.held.subscribe();
            let _ = held.wait_for(|held| !held).await;
            behaviour = self.behaviour.lock().unwrap_or_else(PoisonError::into_inner).clone();
        }
        Ok(match behaviour {
            EndpointBehaviour::Serve | EndpointBehaviour::Hold => serve(),
            EndpointBehaviour::Slow(delay) => {
                tokio::time::sleep(delay).await;
                serve()
            }
            EndpointBehaviour::Status(code) => {
                status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            }
            EndpointBehaviour::Reset => {
                // An error from the service makes hyper drop the connection unanswered.
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset by the test",
                ));
            }
            EndpointBehaviour::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                status(StatusCode::GATEWAY_TIMEOUT)
            }
            EndpointBehaviour::Body(bytes) => json_response(bytes, None),
            EndpointBehaviour::Huge { bytes, declared } => {
                let mut response = Response::new(Filler { remaining: bytes, declared, data: None });
                response
                    .headers_mut()
                    .insert(header::CONNECTION, header::HeaderValue::from_static("close"));
                response
            }
        })
    }
}

pub(crate) fn status(code: StatusCode) -> Response<Filler> {
    let mut response = json_response(Vec::new(), None);
    *response.status_mut() = code;
    response
}

pub(crate) fn json_response(body: Vec<u8>, cache_control: Option<String>) -> Response<Filler> {
    let mut response =
        Response::new(Filler { remaining: 0, declared: true, data: Some(Bytes::from(body)) });
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    headers.insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    if let Some(value) = cache_control.and_then(|value| header::HeaderValue::from_str(&value).ok())
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}

/// A body: fixed bytes, or `remaining` bytes of filler produced 64 KiB at a time.
pub(crate) struct Filler {
    remaining: usize,
    declared: bool,
    data: Option<Bytes>,
}

const CHUNK: &[u8] = &[b' '; 64 * 1024];

impl Body for Filler {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let size = self.remaining.min(CHUNK.len());
        self.remaining -= size;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(CHUNK.get(..size).unwrap_or(CHUNK))))))
    }

    fn size_hint(&self) -> SizeHint {
        let length = self.remaining + self.data.as_ref().map_or(0, Bytes::len);
        if self.declared { SizeHint::with_exact(length as u64) } else { SizeHint::default() }
    }
}
