//! The default [`HttpClient`]: hyper over rustls (aws-lc-rs, or ring for the `rust-crypto`
//! backend; Mozilla's roots).

use std::fmt;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{HeaderMap, Request, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::client::{HttpClient, HttpFuture, HttpResponse};
use crate::error::BoxError;

/// hyper + rustls: HTTP/1.1, TLS 1.2 and 1.3, certificates checked against the webpki roots
/// (Mozilla's CA list, compiled in, so it works in minimal containers). No redirects are
/// followed, bodies past the limit are refused while they stream. For a private CA or a proxy,
/// implement [`HttpClient`] over your own stack.
#[derive(Clone)]
pub struct HttpsClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpsClient {
    /// A client with the webpki roots, speaking https and plain http (plain http is refused
    /// earlier, by the verifier, except for loopback hosts or an explicit opt-in).
    #[allow(clippy::expect_used, reason = "the built-in providers support TLS 1.2 and 1.3")]
    pub fn new() -> Self {
        #[cfg(feature = "aws-lc-rs")]
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        #[cfg(not(feature = "aws-lc-rs"))]
        let provider = rustls::crypto::ring::default_provider();
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .expect("the default crypto provider supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .build();
        Self { client: Client::builder(TokioExecutor::new()).build(connector) }
    }
}

impl Default for HttpsClient {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HttpsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsClient").finish_non_exhaustive()
    }
}

impl HttpClient for HttpsClient {
    fn get(&self, uri: &Uri, max_bytes: usize) -> HttpFuture<'_> {
        let request = Request::get(uri.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, user_agent())
            .body(Full::default());
        self.send(request, max_bytes)
    }

    fn post_form(
        &self,
        uri: &Uri,
        headers: HeaderMap,
        form: Bytes,
        max_bytes: usize,
    ) -> HttpFuture<'_> {
        let mut request = Request::post(uri.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"))
            .header(USER_AGENT, user_agent())
            .body(Full::new(form));
        if let Ok(request) = &mut request {
            request.headers_mut().extend(headers);
        }
        self.send(request, max_bytes)
    }
}

fn user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("scopegate/", env!("CARGO_PKG_VERSION")))
}

impl HttpsClient {
    fn send(
        &self,
        request: Result<Request<Full<Bytes>>, http::Error>,
        max_bytes: usize,
    ) -> HttpFuture<'_> {
        Box::pin(async move {
            let response = self.client.request(request?).await?;
            let declared = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
            if declared.is_some_and(|length| length > max_bytes) {
                return Err(too_large(max_bytes));
            }
            let (parts, body) = response.into_parts();
            // Stops reading, and fails, past `max_bytes`: a body streamed without a length
            // cannot exhaust memory either.
            let body = match Limited::new(body, max_bytes).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) if error.is::<LengthLimitError>() => return Err(too_large(max_bytes)),
                Err(error) => return Err(error),
            };
            Ok(HttpResponse { status: parts.status, headers: parts.headers, body })
        })
    }
}

fn too_large(max_bytes: usize) -> BoxError {
    format!("the response is larger than {max_bytes} bytes").into()
}
