//! [`McpCorsLayer`]: CORS for an MCP server and its metadata, and the `Origin` check the MCP
//! transport requires against DNS rebinding.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, CONTENT_TYPE, HeaderValue, ORIGIN, VARY,
};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use scopegate_core::{Error, ErrorKind};
use tower_layer::Layer;
use tower_service::Service;

/// The request headers a browser MCP client sends (and `mcp-param-*`).
const ALLOWED_HEADERS: [&str; 10] = [
    "authorization",
    "content-type",
    "accept",
    "dpop",
    "last-event-id",
    "mcp-method",
    "mcp-name",
    "mcp-protocol-version",
    "mcp-session-id",
    "mcp-param-",
];

const ALLOWED_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const EXPOSED_HEADERS: &str = "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version";

/// The longest `Access-Control-Request-Headers` read.
const MAX_REQUESTED_HEADERS: usize = 1024;

/// Browsers: CORS for an MCP server and its metadata, and the `Origin` check the MCP transport
/// requires against DNS rebinding. Put [`McpCorsLayer`] outermost, in front of the bearer
/// layer, so that a preflight (`OPTIONS`, which carries no token) is answered here and never
/// authenticated.
///
/// - A request without `Origin` (a command-line or server client) passes untouched.
/// - A request whose `Origin` is not allowed is `403`, preflight or not: a page on a foreign
///   origin (or a rebound DNS name pointing at a local server) gets no answer. Browsers leave
///   `Origin` out of same-origin `GET`s, so a rebound page can still send those; they carry
///   no token, and the bearer layer behind refuses them.
/// - A preflight from an allowed origin is `204` with the methods and the request headers it
///   asked for (when each is one MCP uses); every other answer to an allowed origin carries
///   `Access-Control-Allow-Origin` and exposes `WWW-Authenticate`, `Mcp-Session-Id` and
///   `Mcp-Protocol-Version`, so that a browser client can read a challenge and a session.
///
/// No origin is allowed by default. Credentials (cookies) are never allowed: tokens travel in
/// the `Authorization` header.
///
/// ```
/// use scopegate_mcp::McpCorsLayer;
///
/// // The MCP Inspector on this machine, and nothing else.
/// let cors = McpCorsLayer::new().allow_origin("http://localhost:6274")?;
/// # let _ = cors;
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct McpCorsLayer {
    origins: Arc<Origins>,
}

#[derive(Clone, Default)]
struct Origins {
    exact: Vec<String>,
    localhost: bool,
}

impl Origins {
    fn allows(&self, origin: &str) -> bool {
        self.exact.iter().any(|allowed| allowed == origin)
            || (self.localhost && is_loopback(origin))
    }
}

/// `http://localhost[:port]`, `http://127.0.0.1[:port]` or `http://[::1][:port]`.
fn is_loopback(origin: &str) -> bool {
    let Some(host) = origin.strip_prefix("http://") else { return false };
    let host = match host.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            if port.is_empty() || port.len() > 5 {
                return false;
            }
            host
        }
        _ => host,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

impl McpCorsLayer {
    /// No origin allowed: every request with an `Origin` is `403`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows `origin` (`scheme://host[:port]`, compared exactly, as browsers send it).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when `origin` is not an `http`/`https` origin
    /// (a path, a trailing `/`, `*` or `null`).
    pub fn allow_origin(self, origin: &str) -> Result<Self, Error> {
        let invalid =
            || Error::new(ErrorKind::InvalidConfiguration, format!("not an origin: {origin:?}"));
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        let rest = rest.ok_or_else(invalid)?;
        // What follows the host: nothing, or `:port`.
        let after_host = match rest.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once(']').map(|(_, after)| after),
            None => Some(rest.find(':').and_then(|at| rest.get(at..)).unwrap_or_default()),
        };
        let badly_spelled_port = match after_host.map(|after| after.strip_prefix(':')) {
            None => true,
            Some(None) => after_host != Some(""),
            Some(Some(port)) => {
                port.is_empty()
                    || !port.bytes().all(|byte| byte.is_ascii_digit())
                    || (port == "443" && origin.starts_with("https:"))
                    || (port == "80" && origin.starts_with("http:"))
            }
        };
        // Browsers send `scheme://host[:port]`, the default port left out: any other spelling
        // could never match, so it is refused here rather than silently never allowed.
        if rest.is_empty()
            || rest.contains(['/', '?', '#', '*', ' ', '@'])
            || origin != origin.to_ascii_lowercase()
            || badly_spelled_port
        {
            return Err(invalid());
        }
        let mut origins = Arc::unwrap_or_clone(self.origins);
        origins.exact.push(origin.to_owned());
        Ok(Self { origins: Arc::new(origins) })
    }

    /// Allows every loopback origin over `http` (`http://localhost:6274`, `http://127.0.0.1:3000`):
    /// for development, where the MCP Inspector and local pages run.
    pub fn allow_localhost(self) -> Self {
        let mut origins = Arc::unwrap_or_clone(self.origins);
        origins.localhost = true;
        Self { origins: Arc::new(origins) }
    }
}

impl fmt::Debug for McpCorsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpCorsLayer")
            .field("origins", &self.origins.exact)
            .field("localhost", &self.origins.localhost)
            .finish()
    }
}

impl<S> Layer<S> for McpCorsLayer {
    type Service = McpCors<S>;

    fn layer(&self, inner: S) -> McpCors<S> {
        McpCors { inner, origins: Arc::clone(&self.origins) }
    }
}

/// The service of [`McpCorsLayer`].
#[derive(Clone)]
pub struct McpCors<S> {
    inner: S,
    origins: Arc<Origins>,
}

impl<S> fmt::Debug for McpCors<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpCors").finish_non_exhaustive()
    }
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqB, ResB> Service<Request<ReqB>> for McpCors<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResB: Send + 'static,
{
    type Response = Response<Either<ResB, Full<Bytes>>>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        let Some(origin) = request.headers().get(ORIGIN).cloned() else {
            let future = self.inner.call(request);
            return Box::pin(async move {
                // The answer differs by origin: a shared cache must not reuse it for another.
                let mut response = future.await?.map(Either::Left);
                response.headers_mut().append(VARY, HeaderValue::from_static("Origin"));
                Ok(response)
            });
        };
        let allowed = origin.to_str().is_ok_and(|origin| self.origins.allows(origin))
            && request.headers().get_all(ORIGIN).iter().count() == 1;
        if !allowed {
            tracing::debug!("a request from an origin not allowed refused");
            let refused = forbidden();
            return Box::pin(async move { Ok(refused) });
        }
        let preflight = request.method() == Method::OPTIONS
            && request.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
        if preflight {
            let answer = preflight_answer(&request, origin);
            return Box::pin(async move { Ok(answer) });
        }
        let future = self.inner.call(request);
        Box::pin(async move {
            let mut response = future.await?.map(Either::Left);
            let headers = response.headers_mut();
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers
                .insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS));
            headers.append(VARY, HeaderValue::from_static("Origin"));
            Ok(response)
        })
    }
}

/// `403` for an origin not allowed.
fn forbidden<B>() -> Response<Either<B, Full<Bytes>>> {
    let body = r#"{"error":"forbidden_origin","error_description":"requests from this origin are not allowed"}"#;
    let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(body.as_bytes()))));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(VARY, HeaderValue::from_static("Origin"));
    response
}

/// `204` for a preflight from an allowed origin: the request headers it asked for when each is
/// one an MCP client uses (otherwise none, and the browser refuses the request).
fn preflight_answer<ReqB, B>(
    request: &Request<ReqB>,
    origin: HeaderValue,
) -> Response<Either<B, Full<Bytes>>> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::new())));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOWED_METHODS));
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    headers.insert(VARY, HeaderValue::from_static("Origin, Access-Control-Request-Headers"));
    let requested = request.headers().get(ACCESS_CONTROL_REQUEST_HEADERS);
    let requested = requested
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.len() <= MAX_REQUESTED_HEADERS);
    if let Some(requested) = requested {
        let names = requested.split(',').map(|name| name.trim().to_ascii_lowercase());
        let known = |name: &str| {
            ALLOWED_HEADERS.iter().any(|allowed| match allowed.strip_suffix('-') {
                Some(_) => name.starts_with(allowed) && name.len() > allowed.len(),
                None => name == *allowed,
            })
        };
        let names: Vec<String> = names.filter(|name| !name.is_empty()).collect();
        if names.iter().all(|name| known(name))
            && let Ok(value) = HeaderValue::from_str(&names.join(", "))
        {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_are_exactly_the_local_ones() {
        for origin in [
            "http://localhost",
            "http://localhost:6274",
            "http://localhost:65535",
            "http://127.0.0.1:3000",
            "http://[::1]:8080",
        ] {
            assert!(is_loopback(origin), "{origin}");
        }
        for origin in [
            "https://localhost",
            "http://localhost.evil.example",
            "http://evil.example",
            "http://localhost:",
            "http://localhost:123456",
            "http://localhost:80/x",
            "http://127.0.0.1.nip.io",
            "null",
        ] {
            assert!(!is_loopback(origin), "{origin}");
        }
    }

    #[test]
    fn only_origins_can_be_allowed() {
        for good in [
            "https://inspector.example.com",
            "https://a.example:8443",
            "http://[::1]:8080",
            "http://a.example:8080",
        ] {
            assert!(McpCorsLayer::new().allow_origin(good).is_ok(), "{good}");
        }
        for bad in [
            "*",
            "null",
            "https://a.example/",
            "https://a.example/path",
            "ftp://a.example",
            "https://A.example",
            "https://a.example:443",
            "http://a.example:80",
            "https://user@a.example",
            "https://a.example:",
            "https://a.example:8x",
            "https://[::1",
            "https://[::1]x",
        ] {
            assert!(McpCorsLayer::new().allow_origin(bad).is_err(), "{bad}");
        }
        let layer = McpCorsLayer::new().allow_origin("https://inspector.example.com").unwrap();
        assert_eq!(
            format!("{layer:?}"),
            r#"McpCorsLayer { origins: ["https://inspector.example.com"], localhost: false }"#
        );
    }

    /// Only the exact origins listed, and (asked for) loopback ones.
    #[test]
    fn allowed_origins_are_exactly_those_listed() {
        let listed =
            Origins { exact: vec!["https://inspector.example.com".to_owned()], localhost: false };
        assert!(listed.allows("https://inspector.example.com"));
        for other in [
            "https://inspector.example.co",
            "https://inspector.example.com:443",
            "http://localhost:6274",
        ] {
            assert!(!listed.allows(other), "{other}");
        }
        let local = Origins { exact: Vec::new(), localhost: true };
        assert!(
            local.allows("http://localhost:6274") && !local.allows("https://inspector.example.com")
        );
    }

    /// `mcp-param-` names a family: a name must go on after it.
    #[test]
    fn a_preflight_allows_the_headers_mcp_clients_send() {
        let ask = |headers: &str| {
            let request = Request::options("/mcp")
                .header(ACCESS_CONTROL_REQUEST_HEADERS, headers)
                .body(())
                .unwrap();
            let answer: Response<Either<(), Full<Bytes>>> =
                preflight_answer(&request, HeaderValue::from_static("http://localhost"));
            answer
                .headers()
                .get(ACCESS_CONTROL_ALLOW_HEADERS)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        assert_eq!(ask("Mcp-Param-Amount").as_deref(), Some("mcp-param-amount"));
        assert_eq!(ask("mcp-param-"), None);
        assert_eq!(ask("authorization, x-other"), None);
    }
}
