//! Serving over TLS with client certificates (feature `tls`): [`serve`] runs any tower
//! service (an axum `Router` among them) over rustls on a `TcpListener`, asks clients for
//! certificates when [`TlsSettings`] says so, and puts the verified peer certificate
//! ([`ClientCertificate`]) and the peer's address ([`PeerAddress`]) into each request's
//! extensions, where [`BearerAuthLayer`](crate::BearerAuthLayer) checks certificate-bound
//! tokens (RFC 8705) against it.
//!
//! HTTP/2 (ALPN `h2`: gRPC with client certificates works) or HTTP/1.1, over TLS 1.2 or 1.3;
//! an HTTP/2 connection carries at most 256 calls at once. The connections served at once are
//! bounded in number
//! ([`TlsSettings::max_connections`]), and a connection cannot keep its place by stalling: the
//! handshake is bounded in time ([`TlsSettings::handshake_timeout`]), so are a request's
//! headers (30 s, idle keep-alive included), and a peer that stops reading the response is
//! dropped ([`TlsSettings::write_timeout`]).
//! The crypto provider follows the crate's backend feature (aws-lc-rs, or ring with
//! `rust-crypto`); no OpenSSL.
//!
//! ```no_run
//! use http::{Request, Response};
//! use scopegate_tower::tls::{TlsSettings, serve};
//! use scopegate_tower::ClientCertificate;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = TlsSettings::from_pem_files("server.crt", "server.key")?
//!     .request_client_certificates(std::fs::read("clients-ca.crt")?)?;
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
//! let service = tower::service_fn(|request: Request<hyper::body::Incoming>| async move {
//!     let who = request.extensions().get::<ClientCertificate>().map(|c| c.thumbprint().to_string());
//!     Ok::<_, std::convert::Infallible>(Response::new(http_body_util::Full::new(bytes::Bytes::from(
//!         who.unwrap_or_default(),
//!     ))))
//! });
//! serve(listener, settings, service).await?;
//! # Ok(())
//! # }
//! ```

mod settings;
mod stall;

pub use settings::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT, TlsSettings,
};

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls::crypto::CryptoProvider;
use scopegate_core::{BoxError, Error};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

use crate::certificate::{ClientCertificate, PeerAddress};
use stall::WriteStall;

/// How long a request's headers may take to arrive on an open connection.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How many HTTP/2 streams (calls) one connection may have open at once.
const MAX_STREAMS: u32 = 256;
/// How long connections under way may finish after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `service` over TLS on `listener` until an error stops the listener (never, in
/// practice: failed accepts are logged and retried).
///
/// # Errors
///
/// [`ErrorKind::InvalidConfiguration`](scopegate_core::ErrorKind::InvalidConfiguration) when
/// `settings` cannot make a TLS configuration.
pub async fn serve<S, B>(
    listener: TcpListener,
    settings: TlsSettings,
    service: S,
) -> Result<(), Error>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    serve_with_shutdown(listener, settings, service, std::future::pending()).await
}

/// [`serve`] until `shutdown` completes: then no connection is accepted, and those under way
/// get up to 30 seconds to finish their requests.
///
/// # Errors
///
/// As [`serve`].
pub async fn serve_with_shutdown<S, B>(
    listener: TcpListener,
    settings: TlsSettings,
    service: S,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let acceptor = TlsAcceptor::from(settings.server_config()?);
    let permits = Arc::new(Semaphore::new(settings.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        // Admission before work: a connection beyond the limit waits in the kernel's backlog.
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most often: wait instead of spinning.
                    tracing::warn!(%error, "accepting a TCP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = Connection {
            acceptor: acceptor.clone(),
            handshake_timeout: settings.handshake_timeout,
            write_timeout: settings.write_timeout,
            watcher: graceful.watcher(),
            _permit: permit,
        };
        tokio::spawn(connection.serve(stream, peer, service.clone()));
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// One accepted connection, holding its place among those allowed at once.
struct Connection {
    acceptor: TlsAcceptor,
    handshake_timeout: Duration,
    write_timeout: Duration,
    watcher: Watcher,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve<S, B>(self, stream: TcpStream, peer: SocketAddr, service: S)
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let tls = match tokio::time::timeout(self.handshake_timeout, self.acceptor.accept(stream))
            .await
        {
            Ok(Ok(tls)) => tls,
            Ok(Err(error)) => {
                tracing::debug!(%peer, %error, "TLS handshake refused");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        };
        // The leaf the verifier accepted; computed (hashed) once for every request on it.
        let certificate = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(<[_]>::first)
            .map(|leaf| ClientCertificate::from_der(leaf.as_ref()));
        let peer = PeerAddress(peer);
        let per_request = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let extensions = request.extensions_mut();
            extensions.insert(peer);
            if let Some(certificate) = &certificate {
                extensions.insert(certificate.clone());
            }
            let mut service = service.clone();
            async move {
                std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
                service.call(request).await
            }
        });
        // HTTP/2 (gRPC among others) or HTTP/1.1, by what the client speaks.
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
        builder.http2().timer(TokioTimer::new()).max_concurrent_streams(MAX_STREAMS);
        let io = TokioIo::new(WriteStall::new(tls, self.write_timeout));
        let served = builder.serve_connection(io, per_request).into_owned();
        if let Err(error) = self.watcher.watch(served).await {
            tracing::debug!(peer = %peer.0, %error, "a TLS connection ended with an error");
        }
    }
}

/// The crypto provider of this build.
#[cfg(feature = "aws-lc-rs")]
fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The crypto provider of this build.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}
