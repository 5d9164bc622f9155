//! The HTTP client behind remote key sets: a small trait, and one bounded GET on top of it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Uri};

use crate::error::{BoxError, Error, ErrorKind};

/// The future an [`HttpClient`] returns.
pub type HttpFuture<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send + 'a>>;

/// A response: status, headers and the whole body.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: StatusCode,
    /// The headers (`Cache-Control` is read from here).
    pub headers: HeaderMap,
    /// The body, at most the `max_bytes` the client was given.
    pub body: Bytes,
}

/// Fetches JWKS and discovery documents, and posts introspection requests. Implement it to use
/// your own HTTP stack (a proxy, a private CA, a mock); the default is
/// [`HttpsClient`](crate::remote::HttpsClient).
///
/// The verifier puts a timeout around each call and checks the status; the client must stop
/// reading a body past `max_bytes` and fail instead, so that a huge answer cannot exhaust
/// memory. It must not follow redirects: a token in a form body must not travel to another
/// host.
///
/// ```
/// use scopegate_core::remote::{HttpClient, HttpFuture, HttpResponse};
///
/// /// Serves one fixed JWKS, whatever the URL.
/// struct Fixed(&'static str);
///
/// impl HttpClient for Fixed {
///     fn get(&self, _uri: &http::Uri, max_bytes: usize) -> HttpFuture<'_> {
///         let body = bytes::Bytes::from_static(self.0.as_bytes());
///         Box::pin(async move {
///             if body.len() > max_bytes {
///                 return Err("too large".into());
///             }
///             Ok(HttpResponse { status: http::StatusCode::OK, headers: Default::default(), body })
///         })
///     }
/// }
/// ```
pub trait HttpClient: Send + Sync + 'static {
    /// GETs `uri`, reading at most `max_bytes` of body.
    fn get(&self, uri: &Uri, max_bytes: usize) -> HttpFuture<'_>;

    /// POSTs `form` (`application/x-www-form-urlencoded`, already encoded) to `uri` with
    /// `headers` (`Authorization`, `Accept`), reading at most `max_bytes` of body. Token
    /// introspection uses it. The default fails: a client that only GETs still serves
    /// remote keys.
    fn post_form(
        &self,
        uri: &Uri,
        headers: HeaderMap,
        form: Bytes,
        max_bytes: usize,
    ) -> HttpFuture<'_> {
        let _ = (uri, headers, form, max_bytes);
        Box::pin(async { Err("this HttpClient does not send POST requests".into()) })
    }
}

/// What a fetch is for, to name it in errors and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Document {
    Discovery,
    Jwks,
    Introspection,
}

impl Document {
    /// The kind of the error when this document cannot be had.
    fn unavailable(self) -> ErrorKind {
        match self {
            Self::Discovery | Self::Jwks => ErrorKind::KeySourceUnavailable,
            Self::Introspection => ErrorKind::IntrospectionUnavailable,
        }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Discovery => "discovery document",
            Self::Jwks => "JWKS",
            Self::Introspection => "introspection endpoint",
        })
    }
}

/// The outcome of a failed fetch, kept apart so that discovery can tell "not found" (try the
/// next well-known path) from "unreachable".
#[derive(Debug)]
pub(crate) struct FetchError {
    pub(crate) status: Option<StatusCode>,
    pub(crate) error: Error,
}

/// GETs `uri` with a timeout and a size cap, and requires a 2xx status.
pub(crate) async fn fetch(
    client: &dyn HttpClient,
    uri: &Uri,
    what: Document,
    max_bytes: usize,
    timeout: Duration,
) -> Result<HttpResponse, FetchError> {
    let response = client.get(uri, max_bytes);
    finish(response, uri, what, max_bytes, timeout).await
}

/// POSTs a form to `uri` with a timeout and a size cap, and requires a 2xx status.
pub(crate) async fn post_form(
    client: &dyn HttpClient,
    uri: &Uri,
    what: Document,
    (headers, form): (HeaderMap, Bytes),
    max_bytes: usize,
    timeout: Duration,
) -> Result<HttpResponse, FetchError> {
    let response = client.post_form(uri, headers, form, max_bytes);
    finish(response, uri, what, max_bytes, timeout).await
}

async fn finish(
    response: HttpFuture<'_>,
    uri: &Uri,
    what: Document,
    max_bytes: usize,
    timeout: Duration,
) -> Result<HttpResponse, FetchError> {
    let unavailable = |message: String| Error::new(what.unavailable(), message);
    let response = match tokio::time::timeout(timeout, response).await {
        Err(_) => {
            let error =
                unavailable(format!("the {what} at {uri} did not answer within {timeout:?}"));
            return Err(FetchError { status: None, error });
        }
        Ok(Err(source)) => {
            let error = unavailable(format!("the {what} at {uri} could not be reached"))
                .with_source(source);
            return Err(FetchError { status: None, error });
        }
        Ok(Ok(response)) => response,
    };
    if !response.status.is_success() {
        let error = unavailable(format!("the {what} at {uri} answered {}", response.status));
        return Err(FetchError { status: Some(response.status), error });
    }
    if response.body.len() > max_bytes {
        let error = unavailable(format!("the {what} at {uri} is larger than {max_bytes} bytes"));
        return Err(FetchError { status: Some(response.status), error });
    }
    Ok(response)
}
