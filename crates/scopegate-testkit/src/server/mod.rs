//! [`IssuerServer`]: discovery, JWKS, introspection and token exchange served on 127.0.0.1,
//! with knobs for failures.

pub(crate) mod endpoint;
pub(crate) mod exchange;
mod introspection;

pub use endpoint::EndpointBehaviour;
pub use introspection::{
    INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, SignedIntrospection,
};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scopegate_core::NumericDate;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::issuer::TestIssuer;
use crate::key::TestKey;
use crate::token::TokenBuilder;
use endpoint::{Endpoint, Filler, json_response, status};
use exchange::Exchange;
use introspection::Introspection;

struct Control {
    base: String,
    path: String,
    jwks: Mutex<Value>,
    discovery_issuer: Mutex<String>,
    cache_control: Mutex<Option<String>>,
    openid: AtomicBool,
    discovery_fetches: AtomicUsize,
    jwks_endpoint: Endpoint,
    introspection_endpoint: Endpoint,
    introspection: Introspection,
    signed_introspection: Mutex<SignedIntrospection>,
    token_endpoint: Endpoint,
    exchange: Exchange,
}

/// An identity provider on 127.0.0.1: `{issuer}/.well-known/openid-configuration`, the RFC
/// 8414 `/.well-known/oauth-authorization-server{path}`, `/jwks`, and an RFC 7662
/// `/introspect` endpoint for the opaque tokens it mints ([`opaque_token`](Self::opaque_token)),
/// which checks the caller's client credentials ([`INTROSPECTION_CLIENT_ID`] and
/// [`INTROSPECTION_CLIENT_SECRET`] unless changed). The issuer is
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
            cache_control: Mutex::new(None),
            openid: AtomicBool::new(true),
            discovery_fetches: AtomicUsize::new(0),
            jwks_endpoint: Endpoint::new(),
            introspection_endpoint: Endpoint::new(),
            introspection: Introspection::new(),
            signed_introspection: Mutex::new(SignedIntrospection::AsAsked),
            token_endpoint: Endpoint::new(),
            exchange: Exchange::new(issuer.clone()),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&control)));
        Self { issuer, address, control, task: Mutex::new(Some(task)) }
    }

    /// How the introspection endpoint answers requests for signed answers (RFC 9701):
    /// [`SignedIntrospection::AsAsked`] unless changed.
    pub fn set_signed_introspection(&self, how: SignedIntrospection) {
        *lock(&self.control.signed_introspection) = how;
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

    /// The introspection endpoint's URL.
    pub fn introspection_endpoint(&self) -> String {
        format!("{}/introspect", self.base_url())
    }

    /// How many JWKS requests arrived.
    pub fn jwks_fetches(&self) -> usize {
        self.control.jwks_endpoint.hits()
    }

    /// Waits until at least `count` JWKS requests have arrived: an event to wait on instead of
    /// a sleep.
    ///
    /// # Panics
    ///
    /// After 10 seconds without them: the test has failed.
    pub async fn wait_for_jwks_fetches(&self, count: usize) {
        self.control.jwks_endpoint.wait_for(count, "JWKS").await;
    }

    /// Lets the requests held by [`EndpointBehaviour::Hold`] through (they get the current key
    /// set), and serves later ones at once.
    pub fn release_jwks(&self) {
        self.control.jwks_endpoint.release();
    }

    /// An opaque token standing for the claims of `token` (its header and signature are not
    /// used): the introspection endpoint answers `active: true` with those claims until it
    /// expires or is revoked.
    pub fn opaque_token(&self, token: TokenBuilder) -> String {
        let (_, claims) = token.parts();
        let Value::Object(claims) = claims else { return String::new() };
        self.control.introspection.mint(claims)
    }

    /// Makes the given string an opaque token standing for the claims of `claims` (for a
    /// specification's example token, say).
    pub fn opaque_token_as(&self, token: &str, claims: TokenBuilder) -> String {
        let (_, claims) = claims.parts();
        let Value::Object(claims) = claims else { return String::new() };
        self.control.introspection.mint_as(token.to_owned(), claims)
    }

    /// Revokes an opaque token: introspection answers `active: false` from now on.
    pub fn revoke(&self, token: &str) {
        self.control.introspection.revoke(token);
    }

    /// How each introspection request presented its client credentials, in order:
    /// `client_secret_basic` (the `Authorization` header) or `client_secret_post` (the form).
    pub fn introspection_client_authentications(&self) -> Vec<&'static str> {
        self.control.introspection.methods()
    }

    /// The client credentials the introspection endpoint accepts.
    pub fn set_introspection_credentials(&self, client_id: &str, secret: &str) {
        self.control.introspection.set_credentials(client_id, secret);
    }

    /// Changes how the introspection endpoint answers.
    pub fn set_introspection_behaviour(&self, behaviour: EndpointBehaviour) {
        self.control.introspection_endpoint.set(behaviour);
    }

    /// Lets held introspection requests through, and serves later ones at once.
    pub fn release_introspection(&self) {
        self.control.introspection_endpoint.release();
    }

    /// How many introspection requests arrived.
    pub fn introspections(&self) -> usize {
        self.control.introspection_endpoint.hits()
    }

    /// Waits until at least `count` introspection requests have arrived.
    ///
    /// # Panics
    ///
    /// After 10 seconds without them: the test has failed.
    pub async fn wait_for_introspections(&self, count: usize) {
        self.control.introspection_endpoint.wait_for(count, "introspection").await;
    }

    /// The token endpoint's URL: the RFC 8693 token-exchange grant for the same client
    /// credentials as introspection.
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.base_url())
    }

    /// How many token requests (exchanges) arrived.
    pub fn exchanges(&self) -> usize {
        self.control.token_endpoint.hits()
    }

    /// Waits until at least `count` token requests have arrived.
    ///
    /// # Panics
    ///
    /// After 10 seconds without them: the test has failed.
    pub async fn wait_for_token_requests(&self, count: usize) {
        self.control.token_endpoint.wait_for(count, "token").await;
    }

    /// Changes how the token endpoint answers.
    pub fn set_token_endpoint_behaviour(&self, behaviour: EndpointBehaviour) {
        self.control.token_endpoint.set(behaviour);
    }

    /// Lets held token requests through, and serves later ones at once.
    pub fn release_token_endpoint(&self) {
        self.control.token_endpoint.release();
    }

    /// How long exchanged tokens live at most (default 300 s; never past the subject token).
    pub fn set_exchanged_token_lifetime(&self, seconds: u64) {
        self.control.exchange.set_lifetime(seconds);
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
    pub fn set_jwks_behaviour(&self, behaviour: EndpointBehaviour) {
        self.control.jwks_endpoint.set(behaviour);
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
    accept(listener, control, answer).await;
}

/// Serves HTTP/1 on `listener`: each request is `answer(state, request)`. Connections live in
/// one set, so aborting the task closes them all; finished ones leave it.
pub(crate) async fn accept<S, F, A>(listener: TcpListener, state: Arc<S>, answer: F)
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, Request<Incoming>) -> A + Copy + Send + Sync + 'static,
    A: Future<Output = Result<Response<Filler>, std::io::Error>> + Send + 'static,
{
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        while connections.try_join_next().is_some() {}
        let state = Arc::clone(&state);
        let service = service_fn(move |request| answer(Arc::clone(&state), request));
        connections.spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
    }
}

async fn answer(
    control: Arc<Control>,
    request: Request<Incoming>,
) -> Result<Response<Filler>, std::io::Error> {
    let path = request.uri().path().to_owned();
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
            "introspection_endpoint": format!("{}/introspect", control.base),
        });
        return Ok(json_response(document.to_string().into_bytes(), None));
    }
    match path.as_str() {
        "/jwks" => {
            control
                .jwks_endpoint
                .answer(|| {
                    let body = lock(&control.jwks).to_string().into_bytes();
                    json_response(body, lock(&control.cache_control).clone())
                })
                .await
        }
        "/introspect" if request.method() == Method::POST => {
            let (parts, body) = request.into_parts();
            let body = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
            let now = NumericDate::now().as_secs();
            control
                .introspection_endpoint
                .answer(|| {
                    let signed = *lock(&control.signed_introspection);
                    let issuer = control.exchange.issuer();
                    control.introspection.answer(&parts.headers, &body, now, issuer, signed)
                })
                .await
        }
        "/token" if request.method() == Method::POST => {
            let (parts, body) = request.into_parts();
            let body = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
            let now = NumericDate::now().as_secs();
            let accepted = control.introspection.credentials();
            control
                .token_endpoint
                .answer(|| control.exchange.answer(&parts.headers, &body, &accepted, now))
                .await
        }
        _ => Ok(status(StatusCode::NOT_FOUND)),
    }
}
