//! Entry points for the fuzz targets in `fuzz/`, compiled only for them (`cfg(fuzzing)`) and
//! for this crate's tests, where proptest drives the same invariants. Not public API.

use http::{HeaderMap, HeaderValue};

use crate::challenge::{self, Challenge};
use crate::extract::{check_syntax, credentials, dpop_proof};

/// The `Authorization`, token cookie and `DPoP` header parsers (input: the three header
/// values, newline-separated): never panic, and a token accepted is a `b64token` taken from
/// the request, a proof a non-empty part of the `DPoP` header without a comma. Returns the
/// token found, syntax-checked.
pub fn authorization(data: &[u8]) -> Option<String> {
    let mut lines = data.splitn(3, |&b| b == b'\n');
    let (authorization, cookie, dpop) = (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    );
    let mut headers = HeaderMap::new();
    for (name, value) in [("authorization", authorization), ("cookie", cookie), ("dpop", dpop)] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    if let Ok(Some(proof)) = dpop_proof(&headers) {
        assert!(!proof.is_empty() && !proof.contains(','));
        assert!(dpop.windows(proof.len()).any(|window| window == proof.as_bytes()));
    }
    let Ok(Some(found)) = credentials(&headers, Some("access_token"), true) else { return None };
    assert!(!found.token.is_empty());
    let token = found.text().ok()?;
    check_syntax(token, usize::MAX).ok()?;
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)));
    let haystack =
        |bytes: &[u8]| bytes.windows(token.len()).any(|window| window == token.as_bytes());
    assert!(haystack(authorization) || haystack(cookie));
    Some(token.to_owned())
}

/// The challenge builder: whatever it is given, its output parses, and what parses is what
/// was given, less the characters that cannot be quoted.
pub fn challenge(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.splitn(4, '\n');
    let (realm, error, description, scope) = (
        fields.next().unwrap_or(""),
        fields.next().unwrap_or(""),
        fields.next().unwrap_or(""),
        fields.next().unwrap_or(""),
    );
    let built = Challenge::new().realm(realm).error(error).description(description).scope(scope);
    let value = built.to_string();
    assert!(HeaderValue::from_str(&value).is_ok());
    let params = challenge::parse(&value);
    assert!(params.is_some(), "unparsable challenge: {value:?}");
    let keep = |s: &str| {
        s.chars()
            .filter(|c| matches!(*c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
            .collect::<String>()
    };
    if let Some(params) = params {
        for (name, value) in params {
            match name {
                "realm" => assert_eq!(value, keep(realm)),
                "error" => assert_eq!(value, keep(error)),
                "scope" => assert_eq!(value, challenge::without_offline_access(&keep(scope))),
                _ => assert!(keep(description).starts_with(value)),
            }
        }
    }
}

/// The RFC 9440 `Client-Cert` parser: never panics, reads nothing over the size cap, and a
/// certificate it accepts is exactly the standard base64 between the value's two colons.
pub fn client_cert(data: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let der = crate::client_cert::parse_client_cert(data).ok()?;
    assert!(data.len() <= crate::MAX_CLIENT_CERT_HEADER_BYTES);
    assert_eq!(der.first(), Some(&0x30));
    assert!(data.is_ascii());
    let text = String::from_utf8_lossy(data);
    let inner = text.trim_matches([' ', '\t']).trim_matches(':');
    let unpadded = inner.trim_end_matches('=');
    let expected = base64::engine::general_purpose::STANDARD_NO_PAD.decode(unpadded);
    assert_eq!(expected.as_deref().ok(), Some(der.as_slice()));
    Some(der)
}

/// Where a request names its tenant, from hostile `Host` headers, paths and header values
/// (the input: a host, a newline, a path, a newline, a header value): a tenant read is visible
/// ASCII without `/`, at most 64 bytes, and, from a host, the host's one label before the
/// domain, lowercased.
pub fn tenant_from(data: &[u8]) {
    use http::header::{HOST, HeaderValue};
    let mut parts = data.splitn(3, |&byte| byte == b'\n');
    let (host, path, value) = (parts.next(), parts.next(), parts.next());
    let mut request = http::Request::new(());
    if let Some(host) = host.and_then(|host| HeaderValue::from_bytes(host).ok()) {
        request.headers_mut().insert(HOST, host);
    }
    if let Some(value) = value.and_then(|value| HeaderValue::from_bytes(value).ok()) {
        request.headers_mut().insert("x-tenant", value);
    }
    if let Some(uri) = path.and_then(|path| http::Uri::try_from(path).ok()) {
        *request.uri_mut() = uri;
    }
    let sources = [
        crate::TenantFrom::subdomain_of("api.example.com"),
        crate::TenantFrom::path_prefix("/tenants/"),
        crate::TenantFrom::header(http::HeaderName::from_static("x-tenant")),
    ];
    for (n, from) in sources.iter().enumerate() {
        let Some(tenant) = from.tenant(request.uri(), request.headers()) else { continue };
        assert!(!tenant.is_empty() && tenant.len() <= 64);
        assert!(tenant.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'/'));
        if n == 0 {
            assert!(!tenant.contains('.') && !tenant.bytes().any(|byte| byte.is_ascii_uppercase()));
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use crate::Challenge;

    proptest! {
        #[test]
        fn every_challenge_parses(realm in ".*", error in ".*", description in ".*", scope in ".*") {
            let input = format!("{realm}\n{error}\n{description}\n{scope}");
            super::challenge(input.as_bytes());
            let value = Challenge::new().realm(&realm).error(&error).description(&description).scope(&scope);
            prop_assert!(value.to_header_value().to_str().is_ok());
        }

        #[test]
        fn tenants_read_from_requests_keep_their_promises(data in prop::collection::vec(any::<u8>(), 0..300), host in "[a-zA-Z0-9.:-]{0,40}") {
            super::tenant_from(&data);
            super::tenant_from(format!("{host}.api.example.com\n/tenants/{host}/x\n{host}").as_bytes());
        }

        #[test]
        fn extraction_never_panics_and_keeps_its_promises(authorization in prop::collection::vec(any::<u8>(), 0..300), cookie in "[ -~]{0,80}") {
            let mut input = authorization;
            input.push(b'\n');
            input.extend_from_slice(cookie.as_bytes());
            input.extend_from_slice(b"\nDPoP a.b.c");
            let _ = super::authorization(&input);
        }

        #[test]
        fn client_cert_headers_round_trip(body in prop::collection::vec(any::<u8>(), 0..2000), padded: bool, junk in prop::collection::vec(any::<u8>(), 0..200)) {
            use base64::Engine;
            use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
            let mut der = vec![0x30];
            match u16::try_from(body.len()).unwrap_or(u16::MAX) {
                short @ 0..=0x7f => der.push(u8::try_from(short).unwrap_or_default()),
                long @ 0x80..=0xff => der.extend([0x81, u8::try_from(long).unwrap_or_default()]),
                long => {
                    der.push(0x82);
                    der.extend(long.to_be_bytes());
                }
            }
            der.extend(&body);
            let encoded = if padded { STANDARD.encode(&der) } else { STANDARD_NO_PAD.encode(&der) };
            prop_assert_eq!(super::client_cert(format!(":{encoded}:").as_bytes()), Some(der));
            let _ = super::client_cert(&junk);
        }

        #[test]
        fn bearer_tokens_are_found(token in "[A-Za-z0-9._~+/-]{1,60}=*", spaces in 1usize..5, scheme in "(?i)bearer") {
            let header = format!("{scheme}{}{token}", " ".repeat(spaces));
            prop_assert_eq!(super::authorization(header.as_bytes()), Some(token));
        }
    }
}
