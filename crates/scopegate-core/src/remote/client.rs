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

/// A response to a GET: status, headers and the whole body.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: StatusCode,
    /// The headers (`Cache-Control` is read from here).
    pub headers: HeaderMap,
    /// The body, at most the `max_bytes` the client was given.
    pub body: Bytes,
}

/// Fetches JWKS and discovery documents. Implement it to use your own HTTP stack (a proxy, a
/// private CA, a mock); the default is [`HttpsClient`](crate::remote::HttpsClient).
///
/// The verifier puts a timeout around each call and checks the status; the client must stop
/// reading a body past `max_bytes` and fail instead, so that a huge answer cannot exhaust
/// memory.
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
}

/// What a fetch is for, to name it in errors and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Document {
    Discovery,
    Jwks,
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Discovery => "discovery document",
            Self::Jwks => "JWKS",
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
    let unavailable = |message: String| Error::new(ErrorKind::KeySourceUnavailable, message);
    let response = match tokio::time::timeout(timeout, client.get(uri, max_bytes)).await {
        Err(_) => {
            let error =
                unavailable(format!("the {what} at {uri} did not answer within {timeout:?}"));
            return Err(FetchError { status: None, error });
        }
        Ok(Err(source)) => {
            let error = unavailable(format!("the {what} at {uri} could not be fetched"))
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
