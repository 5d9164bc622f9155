//! [`ClientCertHeaderLayer`]: the client certificate from a TLS-terminating proxy's RFC 9440
//! `Client-Cert` header, believed only from the proxies you name.

mod header;
mod proxies;

use std::fmt;
use std::net::IpAddr;
use std::task::{Context, Poll};

use http::{Extensions, Request};
use scopegate_core::Error;
use tower_layer::Layer;
use tower_service::Service;

pub use header::{CLIENT_CERT, CLIENT_CERT_CHAIN, MAX_CLIENT_CERT_HEADER_BYTES};
pub use proxies::TrustedProxies;

use crate::certificate::{ClientCertificate, PeerAddress};

/// How the layer learns the address a request's connection came from.
pub type PeerAddressOf = fn(&Extensions) -> Option<IpAddr>;

/// The [`PeerAddress`] extension (set by this crate's TLS serving).
fn peer_address_extension(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<PeerAddress>().map(|peer| peer.0.ip())
}

/// Reads the RFC 9440 `Client-Cert` header from trusted proxies, and removes it from every
/// request.
///
/// Behind a proxy (Envoy, nginx, a cloud load balancer) the TLS connection, and the client's
/// certificate with it, ends at the proxy, which passes the certificate on in `Client-Cert`.
/// Anyone can send that header, so the layer:
///
/// - removes `Client-Cert` and `Client-Cert-Chain` from every request;
/// - for a request whose connection comes from a trusted proxy, sets the request's
///   [`ClientCertificate`] to the certificate the header carried, or to none (the
///   connection's own certificate is the proxy's, not the client's);
/// - leaves every other request's [`ClientCertificate`] (from this crate's TLS serving) as it
///   was.
///
/// A header that does not parse is ignored, as RFC 8941 says (logged at debug): the request
/// has no certificate, so a token bound to one is refused and an unbound token is not
/// affected. Put this layer outside [`BearerAuthLayer`](crate::BearerAuthLayer).
///
/// **The proxy must write the header itself, on every request**: drop any `Client-Cert` a
/// client sent and set the certificate the proxy verified, or none. A certificate is public, so
/// a proxy that passed a client's own `Client-Cert` through when the client presented no
/// certificate would let anyone holding a stolen token name its owner's certificate. Check that
/// yours overwrites the header (as RFC 9440 expects of proxies), and trust only the
/// proxies' own addresses, never a network clients share.
///
/// ```
/// use std::net::SocketAddr;
/// use http::Request;
/// use scopegate_tower::{ClientCertHeaderLayer, ClientCertificate, PeerAddress};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let layer = ClientCertHeaderLayer::trusting(["10.0.0.0/8", "127.0.0.1"])?;
/// let service = layer.layer(service_fn(|request: Request<()>| async move {
///     let thumbprint = request.extensions().get::<ClientCertificate>().map(|c| c.thumbprint().to_string());
///     Ok::<_, std::convert::Infallible>(thumbprint)
/// }));
/// let request = |from: &str| {
///     let mut request = Request::builder().header("client-cert", ":MAA=:").body(()).unwrap();
///     request.extensions_mut().insert(PeerAddress(from.parse::<SocketAddr>().unwrap()));
///     request
/// };
/// let from_proxy = service.clone().oneshot(request("10.1.2.3:50000")).await?;
/// assert_eq!(from_proxy.as_deref(), Some(ClientCertificate::from_der(vec![0x30, 0]).thumbprint().as_str()));
/// let from_anyone = service.oneshot(request("203.0.113.9:50000")).await?;
/// assert_eq!(from_anyone, None);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ClientCertHeaderLayer {
    proxies: TrustedProxies,
    peer_address: PeerAddressOf,
}

impl ClientCertHeaderLayer {
    /// Trusts the proxies at `addresses`: IP addresses (`10.0.0.7`, `::1`) or CIDR blocks
    /// (`10.0.0.0/8`, `fd00::/8`). The peer address comes from the [`PeerAddress`] extension;
    /// see [`peer_address`](Self::peer_address) for servers that record it otherwise (axum's
    /// `ConnectInfo`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](scopegate_core::ErrorKind::InvalidConfiguration)
    /// for an address or block that does not parse.
    pub fn trusting<I, S>(addresses: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(Self::new(TrustedProxies::parse(addresses)?))
    }

    /// Trusts `proxies`.
    pub fn new(proxies: TrustedProxies) -> Self {
        Self { proxies, peer_address: peer_address_extension }
    }

    /// Where the peer address of a request is found. A request whose address cannot be found
    /// is not from a trusted proxy. With axum's `serve` and
    /// `into_make_service_with_connect_info::<SocketAddr>()`:
    ///
    /// ```ignore
    /// layer.peer_address(|extensions| {
    ///     extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip())
    /// })
    /// ```
    #[must_use]
    pub fn peer_address(mut self, find: PeerAddressOf) -> Self {
        self.peer_address = find;
        self
    }
}

impl fmt::Debug for ClientCertHeaderLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertHeaderLayer").field("proxies", &self.proxies).finish()
    }
}

impl<S> Layer<S> for ClientCertHeaderLayer {
    type Service = ClientCertHeader<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientCertHeader { inner, layer: self.clone() }
    }
}

/// The service of [`ClientCertHeaderLayer`].
#[derive(Clone)]
pub struct ClientCertHeader<S> {
    inner: S,
    layer: ClientCertHeaderLayer,
}

impl<S: fmt::Debug> fmt::Debug for ClientCertHeader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertHeader")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, B> Service<Request<B>> for ClientCertHeader<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let from_proxy = (self.layer.peer_address)(request.extensions())
            .is_some_and(|address| self.layer.proxies.contains(address));
        if from_proxy {
            let certificate = match header::client_cert(request.headers()) {
                Ok(der) => der.map(ClientCertificate::from_der),
                Err(why) => {
                    tracing::debug!(?why, "a trusted proxy's Client-Cert header was ignored");
                    None
                }
            };
            let extensions = request.extensions_mut();
            extensions.remove::<ClientCertificate>();
            if let Some(certificate) = certificate {
                extensions.insert(certificate);
            }
        }
        let headers = request.headers_mut();
        headers.remove(CLIENT_CERT);
        headers.remove(CLIENT_CERT_CHAIN);
        self.inner.call(request)
    }
}

#[cfg(any(fuzzing, test))]
pub(crate) use header::parse as parse_client_cert;

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use tower::{ServiceExt, service_fn};

    use super::*;

    /// What the inner service saw: the certificate's DER and whether any `Client-Cert*`
    /// header was left.
    async fn seen(
        layer: &ClientCertHeaderLayer,
        peer: Option<&str>,
        own: Option<&[u8]>,
        header: Option<&str>,
    ) -> (Option<Vec<u8>>, bool) {
        let service = layer.layer(service_fn(|request: Request<()>| async move {
            let certificate = request.extensions().get::<ClientCertificate>();
            let headers = request.headers();
            let left = headers.contains_key(CLIENT_CERT) || headers.contains_key(CLIENT_CERT_CHAIN);
            Ok::<_, std::convert::Infallible>((certificate.map(|c| c.der().to_vec()), left))
        }));
        let mut request = Request::new(());
        if let Some(peer) = peer {
            request.extensions_mut().insert(PeerAddress(peer.parse::<SocketAddr>().unwrap()));
        }
        if let Some(own) = own {
            request.extensions_mut().insert(ClientCertificate::from_der(own.to_vec()));
        }
        if let Some(header) = header {
            request.headers_mut().insert(CLIENT_CERT, header.parse().unwrap());
            request.headers_mut().insert(CLIENT_CERT_CHAIN, header.parse().unwrap());
        }
        service.oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn a_trusted_proxy_says_which_certificate_and_no_one_else_does() {
        let layer = ClientCertHeaderLayer::trusting(["10.0.0.0/8"]).unwrap();
        let (proxy, client) = (Some("10.0.0.2:443"), Some("192.0.2.1:50000"));
        let forwarded = vec![0x30, 0x01, 0x00];
        let own: &[u8] = &[0x30, 0x00];
        // From the proxy: the header's certificate, in place of the connection's own.
        assert_eq!(seen(&layer, proxy, Some(own), Some(":MAEA:")).await, (Some(forwarded), false));
        // From the proxy without a header, or with junk: no certificate at all (the
        // connection's own is the proxy's, not the client's).
        assert_eq!(seen(&layer, proxy, Some(own), None).await, (None, false));
        assert_eq!(seen(&layer, proxy, Some(own), Some(":MAEA")).await, (None, false));
        // From anyone else: the header is removed and the connection's certificate stays.
        assert_eq!(
            seen(&layer, client, Some(own), Some(":MAEA:")).await,
            (Some(own.to_vec()), false)
        );
        assert_eq!(seen(&layer, client, None, Some(":MAEA:")).await, (None, false));
        // No peer address known: not a proxy.
        assert_eq!(seen(&layer, None, None, Some(":MAEA:")).await, (None, false));
    }
}
