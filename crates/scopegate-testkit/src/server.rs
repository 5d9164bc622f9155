//! [`IssuerServer`]: discovery and JWKS served on 127.0.0.1, with knobs for failures.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::issuer::TestIssuer;
use crate::key::TestKey;

/// How the JWKS endpoint answers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksBehaviour {
    /// The current key set.
    Serve,
    /// An empty body with this status.
    Status(u16),
    /// Never answers.
    Hang,
    /// Waits until [`IssuerServer::release_jwks`], then serves the key set: a slow identity
    /// provider whose pace the test controls.
    Hold,
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

struct Control {
    base: String,
    path: String,
    jwks: Mutex<Value>,
    discovery_issuer: Mutex<String>,
    behaviour: Mutex<JwksBehaviour>,
    cache_control: Mutex<Option<String>>,
    openid: AtomicBool,
    /// JWKS requests that arrived; tests wait on it.
    jwks_fetches: watch::Sender<usize>,
    discovery_fetches: AtomicUsize,
    /// `true` while [`JwksBehaviour::Hold`] keeps requests waiting.
    held: watch::Sender<bool>,
}

/// An identity provider on 127.0.0.1: `{issuer}/.well-known/openid-configuration`, the RFC
/// 8414 `/.well-known/oauth-authorization-server{path}`, and `/jwks`. The issuer is
/// `http://127.0.0.1:<port><path>`, which scopegate accepts over plain http because it is
/// loopback. Stops when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use scopegate_core::Verifier;
/// use scopegate_testkit::IssuerServer;
///
/// let server = IssuerServer::start().await;
/// let verifier = Verifier::builder()
///     .issuer(server.issuer().issuer())
///     .audience(server.issuer().audience())
///     .build()
///     .await
///     .unwrap();
/// let token = server.issuer().token().subject("42").sign();
/// assert_eq!(verifier.verify(&token).await.unwrap().subject(), Some("42"));
/// assert_eq!(server.jwks_fetches(), 1);
/// # }
/// ```
pub struct IssuerServer {
    issuer: TestIssuer,
    address: SocketAddr,
    control: Arc<Control>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl IssuerServer {
    /// Serves a fresh [`TestIssuer`] (RSA key) at the root path.
    ///
    /// # Panics
    ///
    /// If 127.0.0.1 has no free port.
    pub async fn start() -> Self {
        Self::start_at("").await
    }

    /// Serves a fresh issuer whose URL has `path` (`/realms/a`), for multi-tenant tests.
    ///
    /// # Panics
    ///
    /// If 127.0.0.1 has no free port.
    #[allow(clippy::expect_used)]
    pub async fn start_at(path: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let address = listener.local_addr().expect("local address");
        let base = format!("http://{address}");
        let issuer = TestIssuer::named(&format!("{base}{path}"));
        let control = Arc::new(Control {
            base,
            path: path.to_owned(),
            jwks: Mutex::new(issuer.jwks()),
            discovery_issuer: Mutex::new(issuer.issuer().to_owned()),
            behaviour: Mutex::new(JwksBehaviour::Serve),
            cache_control: Mutex::new(None),
            openid: AtomicBool::new(true),
            jwks_fetches: watch::Sender::new(0),
            discovery_fetches: AtomicUsize::new(0),
            held: watch::Sender::new(false),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&control)));
        Self { issuer, address, control, task: Mutex::new(Some(task)) }
    }

    /// The issuer whose keys are served (it signs tokens with the first one).
    pub fn issuer(&self) -> &TestIssuer {
        &self.issuer
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The JWKS URL.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.base_url())
    }

    /// How many JWKS requests arrived.
    pub fn jwks_fetches(&self) -> usize {
        *self.control.jwks_fetches.borrow()
    }

    /// Waits until at least `count` JWKS requests have arrived: an event to wait on instead of
    /// a sleep.
    ///
    /// # Panics
    ///
    /// After 10 seconds without them: the test has failed.
    #[allow(clippy::panic)]
    pub async fn wait_for_jwks_fetches(&self, count: usize) {
        let mut fetches = self.control.jwks_fetches.subscribe();
        let arrived = fetches.wait_for(|seen| *seen >= count);
        if tokio::time::timeout(Duration::from_secs(10), arrived).await.is_err() {
            panic!("waited 10 s for {count} JWKS requests; {} arrived", self.jwks_fetches());
        }
    }

    /// Lets the requests held by [`JwksBehaviour::Hold`] through (they get the current key
    /// set), and serves later ones at once.
    pub fn release_jwks(&self) {
        *lock(&self.control.behaviour) = JwksBehaviour::Serve;
        self.control.held.send_replace(false);
    }

    /// How many discovery requests arrived (both well-known paths).
    pub fn discovery_fetches(&self) -> usize {
        self.control.discovery_fetches.load(Ordering::SeqCst)
    }

    /// Publishes `keys` instead of the current set (a rotation).
    pub fn publish(&self, keys: &[TestKey]) {
        let jwks = json!({ "keys": keys.iter().map(TestKey::public_jwk).collect::<Vec<_>>() });
        *lock(&self.control.jwks) = jwks;
    }

    /// Publishes a raw JWKS document.
    pub fn publish_raw(&self, jwks: Value) {
        *lock(&self.control.jwks) = jwks;
    }

    /// Changes how the JWKS endpoint answers.
    pub fn set_jwks_behaviour(&self, behaviour: JwksBehaviour) {
        self.control.held.send_replace(behaviour == JwksBehaviour::Hold);
        *lock(&self.control.behaviour) = behaviour;
    }

    /// Sends `Cache-Control: <value>` with the JWKS (`None`: no such header).
    pub fn set_cache_control(&self, value: Option<&str>) {
        *lock(&self.control.cache_control) = value.map(str::to_owned);
    }

    /// Makes the discovery documents name another issuer.
    pub fn set_discovery_issuer(&self, issuer: &str) {
        *lock(&self.control.discovery_issuer) = issuer.to_owned();
    }

    /// Answers 404 at the OpenID Connect location, leaving only RFC 8414 metadata.
    pub fn disable_openid_configuration(&self) {
        self.control.openid.store(false, Ordering::SeqCst);
    }

    /// Stops listening and drops every connection: the issuer is down.
    pub fn stop(&self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

impl Drop for IssuerServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for IssuerServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerServer")
            .field("issuer", &self.issuer.issuer())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn serve(listener: TcpListener, control: Arc<Control>) {
    // Connections live in this set: aborting the task closes them all.
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let control = Arc::clone(&control);
        let service = service_fn(move |request| answer(Arc::clone(&control), request));
        connections.spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
    }
}

async fn answer(
    control: Arc<Control>,
    request: Request<Incoming>,
) -> Result<Response<Filler>, std::io::Error> {
    let path = request.uri().path();
    let openid = format!("{}/.well-known/openid-configuration", control.path);
    let oauth = format!("/.well-known/oauth-authorization-server{}", control.path);
    if path == openid || path == oauth {
        control.discovery_fetches.fetch_add(1, Ordering::SeqCst);
        if path == openid && !control.openid.load(Ordering::SeqCst) {
            return Ok(status(StatusCode::NOT_FOUND));
        }
        let document = json!({
            "issuer": *lock(&control.discovery_issuer),
            "jwks_uri": format!("{}/jwks", control.base),
            "token_endpoint": format!("{}/token", control.base),
        });
        return Ok(json_response(document.to_string().into_bytes(), None));
    }
    if path != "/jwks" {
        return Ok(status(StatusCode::NOT_FOUND));
    }
    control.jwks_fetches.send_modify(|count| *count += 1);
    let mut behaviour = lock(&control.behaviour).clone();
    if behaviour == JwksBehaviour::Hold {
        let mut held = control.held.subscribe();
        let _ = held.wait_for(|held| !held).await;
        behaviour = lock(&control.behaviour).clone();
    }
    Ok(match behaviour {
        JwksBehaviour::Serve | JwksBehaviour::Hold => {
            let body = lock(&control.jwks).to_string().into_bytes();
            json_response(body, lock(&control.cache_control).clone())
        }
        JwksBehaviour::Status(code) => {
            status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        }
        JwksBehaviour::Reset => {
            // An error from the service makes hyper drop the connection unanswered.
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset by the test",
            ));
        }
        JwksBehaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            status(StatusCode::GATEWAY_TIMEOUT)
        }
        JwksBehaviour::Body(bytes) => json_response(bytes, None),
        JwksBehaviour::Huge { bytes, declared } => {
            let mut response = Response::new(Filler { remaining: bytes, declared, data: None });
            response
                .headers_mut()
                .insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            response
        }
    })
}

fn status(code: StatusCode) -> Response<Filler> {
    let mut response = json_response(Vec::new(), None);
    *response.status_mut() = code;
    response
}

fn json_response(body: Vec<u8>, cache_control: Option<String>) -> Response<Filler> {
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
struct Filler {
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
