//! [`ProtectedResourceMetadata`]: the RFC 9728 metadata document as a tower service.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW,
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue,
};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use scopegate_core::{ProtectedResource, Verifier};
use tower_service::Service;

/// How long clients may cache the document unless [`max_age`](ProtectedResourceMetadata::max_age)
/// says otherwise.
pub const DEFAULT_METADATA_MAX_AGE: Duration = Duration::from_secs(3600);

/// Serves a protected resource's metadata document (RFC 9728 section 3): `GET` and `HEAD` at
/// `/.well-known/oauth-protected-resource` followed by the resource's path, and, for a
/// resource with a path, also at the bare well-known path (where MCP clients look next).
///
/// Answers `200` with `application/json`, `Cache-Control: public, max-age=3600` and
/// `Access-Control-Allow-Origin: *` (browser clients fetch it cross-origin); `OPTIONS` gets a
/// CORS preflight answer (`204`); other methods `405` with `Allow`; other paths `404`. Mount
/// it outside [`BearerAuthLayer`](crate::BearerAuthLayer): the document is public.
///
/// ```
/// use http::{Request, StatusCode};
/// use scopegate_core::ProtectedResource;
/// use scopegate_tower::ProtectedResourceMetadata;
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let resource = ProtectedResource::new("https://api.example.com/mcp")?
///     .authorization_server("https://id.example.com");
/// let metadata = ProtectedResourceMetadata::new(&resource);
/// assert_eq!(
///     metadata.paths(),
///     ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]
/// );
/// let request = Request::get("/.well-known/oauth-protected-resource/mcp").body(())?;
/// let response = metadata.oneshot(request).await?;
/// assert_eq!(response.status(), StatusCode::OK);
/// assert_eq!(response.headers()["access-control-allow-origin"], "*");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ProtectedResourceMetadata {
    document: Bytes,
    paths: Arc<[String]>,
    cache_control: HeaderValue,
}

impl ProtectedResourceMetadata {
    /// The service for `resource`'s document.
    pub fn new(resource: &ProtectedResource) -> Self {
        let path = resource.metadata_path();
        let root = scopegate_core::resource::METADATA_WELL_KNOWN;
        let paths: Vec<String> =
            if path == root { vec![path] } else { vec![path, root.to_owned()] };
        Self {
            document: Bytes::from(resource.to_json().to_string()),
            paths: paths.into(),
            cache_control: cache_control(DEFAULT_METADATA_MAX_AGE),
        }
    }

    /// The service for the protected resource of `verifier`, if it has one.
    pub fn for_verifier(verifier: &Verifier) -> Option<Self> {
        verifier.protected_resource().map(Self::new)
    }

    /// How long clients may cache the document. Defaults to one hour.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.cache_control = cache_control(max_age);
        self
    }

    /// The paths the document is served at, the RFC 9728 one first.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// The document, as served.
    pub fn document(&self) -> &Bytes {
        &self.document
    }

    fn answer(&self, method: &Method, path: &str) -> Response<Full<Bytes>> {
        if !self.paths.iter().any(|served| served == path) {
            return plain(StatusCode::NOT_FOUND);
        }
        let mut response = match *method {
            Method::GET => Response::new(Full::new(self.document.clone())),
            Method::HEAD => Response::new(Full::default()),
            Method::OPTIONS => {
                let mut response = plain(StatusCode::NO_CONTENT);
                let headers = response.headers_mut();
                headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOWED));
                headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("*"));
                headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
                return response;
            }
            _ => {
                let mut response = plain(StatusCode::METHOD_NOT_ALLOWED);
                response.headers_mut().insert(ALLOW, HeaderValue::from_static(ALLOWED));
                return response;
            }
        };
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(self.document.len()));
        headers.insert(CACHE_CONTROL, self.cache_control.clone());
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        response
    }
}

const ALLOWED: &str = "GET, HEAD, OPTIONS";

fn plain(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = status;
    response
}

#[allow(clippy::expect_used, reason = "ASCII letters, digits and punctuation only")]
fn cache_control(max_age: Duration) -> HeaderValue {
    let value = format!("public, max-age={}", max_age.as_secs());
    HeaderValue::try_from(value).expect("a Cache-Control value of ASCII is a header value")
}

impl<B> Service<Request<B>> for ProtectedResourceMetadata {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.answer(request.method(), request.uri().path())))
    }
}
