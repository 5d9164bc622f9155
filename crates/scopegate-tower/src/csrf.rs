//! Cookie tokens are ambient credentials: a browser sends the cookie with every request to the
//! API's site, including a form another site posts to it (cross-site request forgery). A
//! token in the `Authorization` header is not at risk: another site cannot set it.
//!
//! So when the layer reads the token from a cookie, it refuses (`400 invalid_request`) a
//! request with an unsafe method (anything but `GET`, `HEAD`, `OPTIONS`, `TRACE`) unless the
//! browser says the request comes from the API's own origin (`Sec-Fetch-Site: same-origin`,
//! or `none` for one the user started) or the request carries a header you name (a custom
//! header that only your own scripts set, which a cross-site form cannot send without a CORS
//! preflight your API refuses). This is on by default with
//! [`BearerAuthLayer::token_cookie`](crate::BearerAuthLayer::token_cookie); keep safe methods
//! free of side effects, and give the cookie `SameSite=Lax` (or `Strict`), `Secure` and
//! `HttpOnly` as well.
//!
//! ```
//! use scopegate_tower::{BearerAuthLayer, CookieCsrf};
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//!
//! let layer = BearerAuthLayer::new(verifier)
//!     .token_cookie("access_token")
//!     .cookie_csrf(CookieCsrf::same_origin_or_header("x-requested-with")?);
//! # let _ = layer;
//! # Ok::<(), scopegate_core::Error>(())
//! ```

use http::header::HeaderName;
use http::{HeaderMap, Method};
use scopegate_core::{Error, ErrorKind};

/// The `Sec-Fetch-Site` request header (Fetch Metadata).
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// How requests authenticated by a cookie token are protected from cross-site forgery: a
/// browser sends the cookie with requests other sites make, so an unsafe method (anything
/// but `GET`, `HEAD`, `OPTIONS`, `TRACE`; a WebSocket handshake counts as unsafe) needs
/// `Sec-Fetch-Site: same-origin` (or `none`), or a header only your own scripts send.
/// Otherwise: `400 invalid_request`. On by default with
/// [`BearerAuthLayer::token_cookie`](crate::BearerAuthLayer::token_cookie).
///
/// ```
/// use scopegate_tower::{BearerAuthLayer, CookieCsrf};
/// # let verifier = scopegate_testkit::TestIssuer::new().verifier();
///
/// let layer = BearerAuthLayer::new(verifier)
///     .token_cookie("access_token")
///     .cookie_csrf(CookieCsrf::same_origin_or_header("x-requested-with")?);
/// # let _ = layer;
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieCsrf {
    protected: bool,
    header: Option<HeaderName>,
}

impl CookieCsrf {
    /// Unsafe methods need `Sec-Fetch-Site: same-origin` (or `none`). The default.
    pub fn same_origin() -> Self {
        Self { protected: true, header: None }
    }

    /// Unsafe methods need `Sec-Fetch-Site: same-origin` (or `none`), or the header `name`
    /// (any value).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] for a name that is not a header name, or one a
    /// browser may send on a cross-site request without a preflight (the CORS-safelisted
    /// `accept`, `accept-language`, `content-language`, `content-type`, `range`) or sets by
    /// itself (`cookie`, `origin`, `referer`, `user-agent`, `host`, `sec-*`, `proxy-*`, ...):
    /// such a header proves nothing.
    pub fn same_origin_or_header(name: &str) -> Result<Self, Error> {
        let header = HeaderName::try_from(name).map_err(|_| {
            Error::new(ErrorKind::InvalidConfiguration, "the CSRF header name is not a header name")
        })?;
        if proves_nothing(header.as_str()) {
            return Err(Error::new(
                ErrorKind::InvalidConfiguration,
                "the CSRF header must be one a cross-site page cannot make a browser send \
                 (a custom header such as x-requested-with)",
            ));
        }
        Ok(Self { protected: true, header: Some(header) })
    }

    /// No protection: only for APIs whose cookie no browser sends cross-site (and say why in
    /// your code).
    pub fn disabled() -> Self {
        Self { protected: false, header: None }
    }

    /// Checks a request whose token came from the cookie. A WebSocket handshake is a `GET`
    /// that any site can start (browsers apply no CORS to it), so it counts as unsafe.
    pub(crate) fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), Error> {
        let upgrade = headers.contains_key(http::header::UPGRADE);
        let safe = !upgrade
            && matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
        if !self.protected || safe {
            return Ok(());
        }
        let same_origin =
            headers.get(SEC_FETCH_SITE).is_some_and(|site| site == "same-origin" || site == "none");
        let marked = self.header.as_ref().is_some_and(|name| headers.contains_key(name));
        if same_origin || marked {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::InvalidRequest,
                "a cookie token on a state-changing request that may come from another site: \
                 send the token in the Authorization header, or the request from the same origin",
            ))
        }
    }
}

/// Whether a header named `name` (lowercase) can reach the API on a cross-site request a page
/// makes without a preflight, or is set by the browser itself (Fetch: CORS-safelisted and
/// forbidden request headers).
fn proves_nothing(name: &str) -> bool {
    const NAMES: [&str; 24] = [
        "accept",
        "accept-language",
        "content-language",
        "content-type",
        "range",
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    NAMES.contains(&name)
        || ["user-agent", "via", "authorization"].contains(&name)
        || name.starts_with("sec-")
        || name.starts_with("proxy-")
}

impl Default for CookieCsrf {
    fn default() -> Self {
        Self::same_origin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (HeaderName::from_static(name), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn unsafe_cross_site_requests_are_refused() {
        let guard = CookieCsrf::same_origin_or_header("x-requested-with").unwrap();
        let refused = |method: Method, pairs: &[(&'static str, &'static str)]| {
            guard.check(&method, &headers(pairs)).map_err(|error| error.kind()).err()
        };
        for site in ["cross-site", "same-site"] {
            assert_eq!(
                refused(Method::POST, &[("sec-fetch-site", site)]),
                Some(ErrorKind::InvalidRequest)
            );
        }
        assert_eq!(refused(Method::DELETE, &[]), Some(ErrorKind::InvalidRequest));
        assert_eq!(refused(Method::POST, &[("sec-fetch-site", "same-origin")]), None);
        assert_eq!(refused(Method::PUT, &[("sec-fetch-site", "none")]), None);
        assert_eq!(refused(Method::POST, &[("x-requested-with", "fetch")]), None);
        assert_eq!(refused(Method::GET, &[("sec-fetch-site", "cross-site")]), None);
        assert_eq!(CookieCsrf::disabled().check(&Method::POST, &headers(&[])).ok(), Some(()));
        assert!(CookieCsrf::same_origin_or_header("bad header").is_err());
        // A WebSocket handshake is a GET any site can start.
        assert_eq!(
            refused(Method::GET, &[("upgrade", "websocket"), ("sec-fetch-site", "cross-site")]),
            Some(ErrorKind::InvalidRequest)
        );
        assert_eq!(
            refused(Method::GET, &[("upgrade", "websocket"), ("sec-fetch-site", "same-origin")]),
            None
        );
    }

    #[test]
    fn headers_a_browser_sends_cross_site_prove_nothing() {
        for name in
            ["Content-Type", "accept", "origin", "cookie", "sec-fetch-site", "user-agent", "range"]
        {
            let error = CookieCsrf::same_origin_or_header(name).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidConfiguration, "{name}");
        }
        assert!(CookieCsrf::same_origin_or_header("X-CSRF-Token").is_ok());
    }
}
