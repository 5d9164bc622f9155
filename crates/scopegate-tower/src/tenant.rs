//! [`TenantFrom`]: where a request names its tenant (its host, a path segment or a header),
//! for verifiers that trust many tenants ([`Tenants`](scopegate_core::Tenants)).

use std::borrow::Cow;

use http::header::{HOST, HeaderName};
use http::{HeaderMap, Uri};

/// The longest tenant a request may name, in bytes.
const MAX_TENANT_BYTES: usize = 64;

/// Where a request names its tenant. With it, a tenant's token is accepted only on requests
/// that name that tenant ([`BearerAuthLayer::tenant_from`](crate::BearerAuthLayer::tenant_from));
/// a request that names none is refused (`401`).
///
/// The tenant a request names is routing, not proof: the token must still be one of that
/// tenant's, signed by its issuer.
///
/// ```
/// use http::Request;
/// use scopegate_tower::TenantFrom;
///
/// let host = TenantFrom::subdomain_of("api.example.com");
/// let request = Request::get("/orders").header("host", "Acme.API.example.com:8443").body(())?;
/// assert_eq!(host.tenant(request.uri(), request.headers()), Some("acme".into()));
///
/// let path = TenantFrom::path_prefix("/tenants/");
/// let request = Request::get("/tenants/globex/orders").body(())?;
/// assert_eq!(path.tenant(request.uri(), request.headers()), Some("globex".into()));
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TenantFrom(Place);

#[derive(Clone, Debug)]
enum Place {
    /// The leftmost label of a host under this domain (lowercase, with a leading dot).
    Subdomain(Box<str>),
    /// The path segment after this prefix (which ends with `/`).
    PathPrefix(Box<str>),
    /// The value of this header.
    Header(HeaderName),
}

impl TenantFrom {
    /// The tenant is the one label before `domain` in the request's host (the `Host` header,
    /// or the URI's authority for HTTP/2): `acme` for `acme.api.example.com`. Hosts compare
    /// without case; the port is ignored; a host with more labels, or another domain, names
    /// no tenant.
    pub fn subdomain_of(domain: &str) -> Self {
        let domain = domain.trim_start_matches('.').to_ascii_lowercase();
        Self(Place::Subdomain(format!(".{domain}").into_boxed_str()))
    }

    /// The tenant is the path segment after `prefix`: `globex` for `/tenants/globex/orders`
    /// with the prefix `/tenants/`.
    pub fn path_prefix(prefix: &str) -> Self {
        let mut prefix = prefix.to_owned();
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        Self(Place::PathPrefix(prefix.into_boxed_str()))
    }

    /// The tenant is the value of the header `name` (visible ASCII, at most 64 bytes).
    pub fn header(name: HeaderName) -> Self {
        Self(Place::Header(name))
    }

    /// The tenant the request names, if any: visible ASCII without `/`, at most 64 bytes.
    pub fn tenant<'r>(&self, uri: &'r Uri, headers: &'r HeaderMap) -> Option<Cow<'r, str>> {
        let named: Cow<'r, str> = match &self.0 {
            Place::Subdomain(domain) => {
                // `Host`, or the URI's authority (HTTP/2, absolute-form): when both are there
                // they must agree, or the request names no tenant.
                let host = match (headers.get(HOST), uri.host()) {
                    (Some(value), authority) => {
                        let host = without_port(value.to_str().ok()?);
                        if authority.is_some_and(|authority| !authority.eq_ignore_ascii_case(host))
                        {
                            return None;
                        }
                        host
                    }
                    (None, authority) => authority?,
                };
                let label = strip_suffix_ignoring_case(host, domain)?;
                if label.contains('.') {
                    return None;
                }
                if label.bytes().any(|byte| byte.is_ascii_uppercase()) {
                    Cow::Owned(label.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(label)
                }
            }
            Place::PathPrefix(prefix) => {
                let rest = uri.path().strip_prefix(&**prefix)?;
                Cow::Borrowed(rest.split('/').next()?)
            }
            Place::Header(name) => Cow::Borrowed(headers.get(name)?.to_str().ok()?),
        };
        let acceptable = !named.is_empty()
            && named.len() <= MAX_TENANT_BYTES
            && named.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'/');
        acceptable.then_some(named)
    }
}

/// A `Host` value without its port (`host:443` → `host`); a value whose part after the last
/// colon is not a port is left whole (and then names no tenant).
fn without_port(host: &str) -> &str {
    host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|byte| byte.is_ascii_digit()) { name } else { host }
    })
}

fn strip_suffix_ignoring_case<'h>(host: &'h str, suffix: &str) -> Option<&'h str> {
    let split = host.len().checked_sub(suffix.len())?;
    let (label, tail) = (host.get(..split)?, host.get(split..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(label)
}

#[cfg(test)]
mod tests {
    use http::{HeaderValue, Request};

    use super::*;

    fn host(from: &TenantFrom, host: &str) -> Option<String> {
        let request = Request::get("/").header(HOST, host).body(()).unwrap();
        from.tenant(request.uri(), request.headers()).map(|tenant| tenant.into_owned())
    }

    #[test]
    fn subdomains() {
        let from = TenantFrom::subdomain_of("api.example.com");
        assert_eq!(host(&from, "acme.api.example.com").as_deref(), Some("acme"));
        assert_eq!(host(&from, "ACME.Api.Example.COM:443").as_deref(), Some("acme"));
        for none in [
            "api.example.com",
            ".api.example.com",
            "a.b.api.example.com",
            "acme.api.example.com.evil",
            "acmeapi.example.com",
            "acme.api.example.org",
            "acme.api.example.com:x",
        ] {
            assert_eq!(host(&from, none), None, "{none}");
        }
        // HTTP/2: the authority of the URI; with a `Host` too, both must agree.
        let request = Request::get("https://globex.api.example.com/x").body(()).unwrap();
        assert_eq!(from.tenant(request.uri(), request.headers()).as_deref(), Some("globex"));
        let both = |host: &str| {
            let request = Request::get("https://globex.api.example.com/x").header(HOST, host);
            let request = request.body(()).unwrap();
            from.tenant(request.uri(), request.headers()).map(|tenant| tenant.into_owned())
        };
        assert_eq!(both("Globex.api.example.com:443").as_deref(), Some("globex"));
        assert_eq!(both("acme.api.example.com"), None);
    }

    #[test]
    fn path_prefixes_and_headers() {
        let from = TenantFrom::path_prefix("/tenants");
        let tenant = |path: &str| {
            let request = Request::get(path).body(()).unwrap();
            from.tenant(request.uri(), request.headers()).map(|tenant| tenant.into_owned())
        };
        assert_eq!(tenant("/tenants/acme/orders").as_deref(), Some("acme"));
        assert_eq!(tenant("/tenants/acme").as_deref(), Some("acme"));
        assert_eq!(tenant("/tenants//orders"), None);
        assert_eq!(tenant("/tenantsacme/orders"), None);
        assert_eq!(tenant("/other/acme"), None);
        let from = TenantFrom::header(HeaderName::from_static("x-tenant"));
        let with = |value: &[u8]| {
            let mut request = Request::get("/").body(()).unwrap();
            request.headers_mut().insert("x-tenant", HeaderValue::from_bytes(value).unwrap());
            from.tenant(request.uri(), request.headers()).map(|tenant| tenant.into_owned())
        };
        assert_eq!(with(b"acme").as_deref(), Some("acme"));
        assert_eq!(with(b"a b"), None);
        assert_eq!(with(b"a/b"), None);
        assert_eq!(with(&[b'a'; 65]), None);
        assert_eq!(with(&[b'a'; 64]).map(|tenant| tenant.len()), Some(64));
        assert_eq!(with(b"caf\xc3\xa9"), None);
    }
}
