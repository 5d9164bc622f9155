//! Where remote documents live: the scheme rule, and the well-known discovery URLs.

use http::Uri;
use http::uri::Scheme;

use crate::error::Error;

/// Parses `uri` and applies the transport rule: `https`, or plain `http` only for loopback
/// hosts (`localhost`, `127.0.0.0/8`, `::1`) unless `allow_http` is set.
pub(crate) fn checked_uri(uri: &str, allow_http: bool, what: &str) -> Result<Uri, Error> {
    let parsed: Uri =
        uri.parse().map_err(|_| Error::config(format!("the {what} `{uri}` is not a URL")))?;
    let Some(host) = parsed.host() else {
        return Err(Error::config(format!("the {what} `{uri}` has no host")));
    };
    match parsed.scheme() {
        Some(scheme) if *scheme == Scheme::HTTPS => Ok(parsed),
        Some(scheme) if *scheme == Scheme::HTTP && (allow_http || is_loopback(host)) => Ok(parsed),
        Some(scheme) if *scheme == Scheme::HTTP => Err(Error::config(format!(
            "the {what} `{uri}` uses plain http; use https, or allow http explicitly for non-loopback hosts"
        ))),
        _ => Err(Error::config(format!("the {what} `{uri}` must be an https URL"))),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
}

/// Checks that every endpoint `document` names is on the origin (scheme, host, port) of
/// `issuer`: a tenant's discovery document cannot send the verifier anywhere else.
pub(crate) fn same_origin(
    issuer: &str,
    document: &super::discovery::Discovered,
) -> Result<(), Error> {
    let origin = |uri: &Uri| {
        let host = uri.host().map(str::to_ascii_lowercase);
        (uri.scheme_str().map(str::to_ascii_lowercase), host, uri.port_u16())
    };
    let issuer: Uri =
        issuer.parse().map_err(|_| Error::config("the issuer is not an absolute URL"))?;
    let endpoints =
        [&document.jwks_uri, &document.introspection_endpoint, &document.token_endpoint];
    if endpoints.into_iter().flatten().all(|endpoint| origin(endpoint) == origin(&issuer)) {
        Ok(())
    } else {
        Err(Error::new(
            crate::error::ErrorKind::KeySourceUnavailable,
            "the tenant's discovery document names an endpoint on another origin; refusing it",
        ))
    }
}

/// The discovery URLs for `issuer`, in the order to try them:
/// `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery section 4, a trailing
/// slash removed first), then `{origin}/.well-known/oauth-authorization-server{path}` (RFC 8414
/// section 3.1, the well-known segment inserted before the issuer's path).
pub(crate) fn discovery_uris(issuer: &Uri) -> Result<[Uri; 2], Error> {
    let (Some(scheme), Some(authority)) = (issuer.scheme_str(), issuer.authority()) else {
        return Err(Error::config("the issuer is not an absolute URL"));
    };
    if issuer.query().is_some() {
        return Err(Error::config("an issuer URL has no query (RFC 8414 section 2)"));
    }
    let path = issuer.path().trim_end_matches('/');
    let build = |text: String| {
        text.parse::<Uri>().map_err(|_| Error::config("the issuer URL cannot be extended"))
    };
    Ok([
        build(format!("{scheme}://{authority}{path}/.well-known/openid-configuration"))?,
        build(format!("{scheme}://{authority}/.well-known/oauth-authorization-server{path}"))?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn https_or_loopback_http() {
        assert!(checked_uri("https://id.example.com/jwks", false, "JWKS URL").is_ok());
        for loopback in [
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]:9/jwks",
            "http://127.9.9.9/",
        ] {
            assert!(checked_uri(loopback, false, "JWKS URL").is_ok(), "{loopback}");
        }
        let error = checked_uri("http://id.example.com/jwks", false, "JWKS URL").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
        assert!(checked_uri("http://id.example.com/jwks", true, "JWKS URL").is_ok());
        for bad in
            ["ftp://id.example.com/jwks", "/jwks", "id.example.com", "http://localhost.evil.com/"]
        {
            assert!(checked_uri(bad, false, "JWKS URL").is_err(), "{bad}");
        }
    }

    #[test]
    fn well_known_paths() {
        let [oidc, oauth] = discovery_uris(&"https://id.example.com".parse().unwrap()).unwrap();
        assert_eq!(oidc, "https://id.example.com/.well-known/openid-configuration");
        assert_eq!(oauth, "https://id.example.com/.well-known/oauth-authorization-server");
        let [oidc, oauth] =
            discovery_uris(&"https://id.example.com/realms/a/".parse().unwrap()).unwrap();
        assert_eq!(oidc, "https://id.example.com/realms/a/.well-known/openid-configuration");
        assert_eq!(oauth, "https://id.example.com/.well-known/oauth-authorization-server/realms/a");
        assert!(discovery_uris(&"https://id.example.com/?tenant=1".parse().unwrap()).is_err());
    }
}
