//! [`ResourceId`]: a protected resource's identifier (RFC 8707 section 2, RFC 9728 section
//! 1.2), checked and normalised once.

use std::fmt;

use crate::error::Error;

/// The identifier of a protected resource: an absolute `https` URL (plain `http` only for
/// loopback hosts) without fragment, query or user information.
///
/// Two spellings of one resource compare equal: the scheme and host are compared without case
/// and a default port is dropped; the path is compared exactly (`/mcp/` is not `/mcp`), except
/// that a path of just `/` is the same as none. The identifier is kept, and published, in that
/// normal form, so that the `resource` of the metadata document is exactly the URL its
/// well-known address was built from (RFC 9728 section 3.3).
///
/// ```
/// use scopegate_core::ResourceId;
///
/// let resource = ResourceId::parse("HTTPS://API.Example.com:443/mcp")?;
/// assert_eq!(resource.as_str(), "https://api.example.com/mcp");
/// assert_eq!(resource, ResourceId::parse("https://api.example.com/mcp")?);
/// assert_ne!(resource, ResourceId::parse("https://api.example.com/mcp/")?);
/// assert_eq!(resource.metadata_path(), "/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(
///     resource.metadata_url(),
///     "https://api.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// assert!(ResourceId::parse("http://api.example.com/mcp").is_err());
/// assert!(ResourceId::parse("http://127.0.0.1:3000").is_ok());
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResourceId {
    /// The normal form: `scheme://host[:port]path`.
    normal: Box<str>,
    /// Where the path starts in `normal`.
    path_start: usize,
}

/// The well-known suffix of RFC 9728 section 3.
pub const METADATA_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

impl ResourceId {
    /// Checks and normalises `identifier`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for
    /// anything but an absolute `https` URL (or `http` with a loopback host) without fragment,
    /// query, user information or an empty host.
    pub fn parse(identifier: &str) -> Result<Self, Error> {
        let invalid =
            |why: &str| Error::config(format!("the resource identifier `{identifier}` {why}"));
        if identifier.contains('#') {
            return Err(invalid("has a fragment (RFC 8707 section 2)"));
        }
        if identifier.contains('?') {
            return Err(invalid("has a query; scopegate accepts resource identifiers without one"));
        }
        if identifier.bytes().any(|byte| !byte.is_ascii_graphic()) {
            return Err(invalid("has spaces, control or non-ASCII characters"));
        }
        let (scheme, rest) =
            identifier.split_once("://").ok_or_else(|| invalid("is not an absolute URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(invalid("has user information"));
        }
        let (host, port) = split_port(authority).ok_or_else(|| invalid("has an invalid port"))?;
        if host.is_empty() {
            return Err(invalid("has no host"));
        }
        let host = host.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => "443",
            "http" if is_loopback(&host) => "80",
            "http" => return Err(invalid("uses plain http for a host that is not loopback")),
            _ => return Err(invalid("must be an https URL")),
        };
        let port = port.filter(|port| *port != default_port);
        let path = if path == "/" { "" } else { path };
        let mut normal = format!("{scheme}://{host}");
        if let Some(port) = port {
            normal.push(':');
            normal.push_str(port);
        }
        let path_start = normal.len();
        normal.push_str(path);
        Ok(Self { normal: normal.into_boxed_str(), path_start })
    }

    /// The identifier in normal form.
    pub fn as_str(&self) -> &str {
        &self.normal
    }

    /// The path (empty for a resource at the root).
    pub fn path(&self) -> &str {
        self.normal.get(self.path_start..).unwrap_or_default()
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        self.normal.get(..self.path_start).unwrap_or_default()
    }

    /// The path of the metadata document on this resource's host: the well-known suffix
    /// inserted before the resource's path (RFC 9728 section 3.1).
    pub fn metadata_path(&self) -> String {
        format!("{METADATA_WELL_KNOWN}{}", self.path())
    }

    /// The URL of the metadata document, for `resource_metadata` in challenges.
    pub fn metadata_url(&self) -> String {
        format!("{}{}", self.origin(), self.metadata_path())
    }
}

/// `host[:port]` with an IPv6 host in brackets; `None` for a malformed port.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    match authority.rsplit_once(':') {
        // A colon inside `[...]` belongs to an IPv6 address.
        Some((host, port)) if !port.contains(']') => {
            let valid = !port.is_empty()
                && port.bytes().all(|byte| byte.is_ascii_digit())
                && port.parse::<u16>().is_ok();
            valid.then_some((host, Some(port)))
        }
        _ => Some((authority, None)),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.normal, f)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(identifier: &str) -> String {
        ResourceId::parse(identifier).unwrap().as_str().to_owned()
    }

    #[test]
    fn scheme_and_host_fold_and_default_ports_go() {
        assert_eq!(normal("HTTPS://API.Example.com:443/mcp"), "https://api.example.com/mcp");
        assert_eq!(normal("https://api.example.com:8443/mcp"), "https://api.example.com:8443/mcp");
        assert_eq!(normal("https://api.example.com/"), "https://api.example.com");
        assert_eq!(normal("http://LOCALHOST:80"), "http://localhost");
        assert_eq!(normal("http://[::1]:3000/x"), "http://[::1]:3000/x");
        assert_eq!(normal("https://api.example.com/Orders/"), "https://api.example.com/Orders/");
    }

    #[test]
    fn paths_compare_exactly() {
        let with = ResourceId::parse("https://api.example.com/mcp/").unwrap();
        let without = ResourceId::parse("https://api.example.com/mcp").unwrap();
        assert_ne!(with, without);
        assert_ne!(without, ResourceId::parse("https://api.example.com/MCP").unwrap());
    }

    #[test]
    fn refuses_what_is_not_a_resource_identifier() {
        for bad in [
            "http://example.com",
            "http://example.com/mcp",
            "ftp://example.com",
            "https://example.com/mcp#top",
            "https://example.com/mcp?tenant=1",
            "https://user@example.com",
            "https://",
            "https://:443/x",
            "https://example.com:99999",
            "https://example.com:",
            "https://example.com:8a",
            "example.com/mcp",
            "/mcp",
            "https://exa mple.com",
            "https://ex\u{e4}mple.com",
        ] {
            assert!(ResourceId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_urls_insert_the_well_known_segment() {
        let root = ResourceId::parse("https://api.example.com").unwrap();
        assert_eq!(
            root.metadata_url(),
            "https://api.example.com/.well-known/oauth-protected-resource"
        );
        let nested = ResourceId::parse("https://api.example.com:8443/tenants/a/mcp").unwrap();
        assert_eq!(
            nested.metadata_url(),
            "https://api.example.com:8443/.well-known/oauth-protected-resource/tenants/a/mcp"
        );
    }
}
