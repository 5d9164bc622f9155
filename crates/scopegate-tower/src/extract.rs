//! Finding the bearer token in a request (RFC 6750 section 2).
//!
//! ```text
//! credentials = "Bearer" 1*SP b64token
//! b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! The scheme is case-insensitive. `DPoP <token>` (RFC 9449 section 7.1, same `token68`
//! syntax) is read when DPoP is on, with its proof from the one `DPoP` header. Another scheme
//! (`Basic`) means "no token".
//! The query string and the body are never read (RFC 6750 section 2.3 and RFC 9700 advise
//! against them). A cookie is read only when configured.
//!
//! Finding the token ([`credentials`]) and checking its characters ([`check_syntax`]) are
//! separate steps: a token the verifier has cached was checked when it was first seen, so the
//! layer checks only tokens it has to verify. For the same reason the token is found as bytes:
//! a cache hit needs no UTF-8 check ([`Credentials::text`] makes it for the rest).

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE, HeaderName};
use scopegate_core::{Error, ErrorKind};

use crate::challenge::Scheme;

/// The `DPoP` request header (RFC 9449 section 4.1).
pub(crate) const DPOP: HeaderName = HeaderName::from_static("dpop");

/// Where a request's access token was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// The `Authorization` header (`Bearer` or `DPoP`).
    AuthorizationHeader,
    /// The cookie configured with
    /// [`BearerAuthLayer::token_cookie`](crate::BearerAuthLayer::token_cookie).
    Cookie,
}

/// The access token of a request, the scheme and the place it came with, not yet checked with
/// [`check_syntax`], nor even as UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Credentials<'a> {
    pub(crate) scheme: Scheme,
    pub(crate) source: TokenSource,
    pub(crate) token: &'a [u8],
}

impl<'a> Credentials<'a> {
    /// The token as text.
    ///
    /// # Errors
    ///
    /// `invalid_request` when it is not UTF-8 (non-ASCII UTF-8 is refused by [`check_syntax`]).
    pub(crate) fn text(&self) -> Result<&'a str, Error> {
        std::str::from_utf8(self.token)
            .map_err(|_| invalid("the Authorization header is not visible ASCII"))
    }
}

/// The access token of a request, if any. `DPoP <token>` counts only when `dpop` is on;
/// otherwise it is another scheme, so no token. A cookie holds a bearer token.
pub(crate) fn credentials<'a>(
    headers: &'a HeaderMap,
    cookie_name: Option<&str>,
    dpop: bool,
) -> Result<Option<Credentials<'a>>, Error> {
    let from_header = authorization(headers, dpop)?;
    let from_cookie = match cookie_name {
        Some(name) => cookie_token(headers, name)?,
        None => None,
    };
    match (from_header, from_cookie) {
        (Some(_), Some(_)) => {
            Err(invalid("the token was sent both in the Authorization header and in a cookie"))
        }
        (Some(credentials), None) => Ok(Some(credentials)),
        (None, Some(token)) => Ok(Some(Credentials {
            scheme: Scheme::Bearer,
            source: TokenSource::Cookie,
            token: token.as_bytes(),
        })),
        (None, None) => Ok(None),
    }
}

/// The token the layer verified, read again from the one place it recorded (`source`), with
/// the scheme it recorded: the same parser, the same place, so never another token of the
/// request. `None` if it is no longer there.
pub(crate) fn recorded_token<'a>(
    headers: &'a HeaderMap,
    source: TokenSource,
    scheme: Scheme,
    cookie_name: Option<&str>,
) -> Option<&'a str> {
    let token = match source {
        TokenSource::AuthorizationHeader => {
            let found = authorization(headers, scheme == Scheme::Dpop).ok()??;
            if found.scheme != scheme {
                return None;
            }
            found.text().ok()?
        }
        TokenSource::Cookie => cookie_token(headers, cookie_name?).ok()??,
    };
    Some(token)
}

/// The token of `Authorization: DPoP <token>`, if that is what the header holds.
pub(crate) fn dpop_token(headers: &HeaderMap) -> Option<&str> {
    match authorization(headers, true) {
        Ok(Some(found)) if found.scheme == Scheme::Dpop => found.text().ok(),
        _ => None,
    }
}

/// The value of the one `DPoP` header (RFC 9449 section 4.1), if any.
pub(crate) fn dpop_proof(headers: &HeaderMap) -> Result<Option<&str>, Error> {
    let mut values = headers.get_all(DPOP).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let malformed = |message| Error::new(ErrorKind::DpopProofMalformed, message);
    if values.next().is_some() {
        return Err(malformed("the request has more than one DPoP header"));
    }
    let value = value.to_str().map_err(|_| malformed("the DPoP header is not visible ASCII"))?;
    if value.contains(',') {
        return Err(malformed("the DPoP header holds more than one proof"));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(malformed("the DPoP header is empty"));
    }
    Ok(Some(value))
}

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorKind::InvalidRequest, message)
}

/// A lookup table by byte value: ASCII letters and digits, and the bytes of `extra`.
#[allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "const evaluation over 0..256"
)]
const fn alphanumeric_or(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = (byte as u8).is_ascii_alphanumeric();
        byte += 1;
    }
    let mut index = 0;
    while index < extra.len() {
        table[extra[index] as usize] = true;
        index += 1;
    }
    table
}

/// RFC 9110 `tchar`, by byte value: the characters of an authentication scheme's name.
const TCHAR: [bool; 256] = alphanumeric_or(b"!#$%&'*+-.^_`|~");

/// Whether `byte` is an RFC 9110 `tchar`.
fn is_tchar(byte: u8) -> bool {
    // A `u8` always indexes a 256-entry table.
    #[allow(clippy::indexing_slicing)]
    TCHAR[usize::from(byte)]
}

fn authorization(headers: &HeaderMap, dpop: bool) -> Result<Option<Credentials<'_>>, Error> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("the request has more than one Authorization header"));
    }
    let mut value = value.as_bytes();
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    let name_end = value.iter().position(|&byte| !is_tchar(byte)).unwrap_or(value.len());
    let (name, rest) = value.split_at(name_end);
    let scheme = if name.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer
    } else if dpop && name.eq_ignore_ascii_case(b"dpop") {
        Scheme::Dpop
    } else {
        // `BearerX ...`, `Basic ...`: another scheme, so no token of ours.
        return Ok(None);
    };
    let no_token = || match scheme {
        Scheme::Bearer => invalid("the Authorization header has the Bearer scheme but no token"),
        Scheme::Dpop => invalid("the Authorization header has the DPoP scheme but no token"),
    };
    match rest.strip_prefix(b" ") {
        None if rest.is_empty() => Err(no_token()),
        // `Bearer\t...` or `Bearer:...` is broken syntax.
        None => Err(match scheme {
            Scheme::Bearer => {
                invalid("the Authorization header does not follow `Bearer <token>` (RFC 6750)")
            }
            Scheme::Dpop => {
                invalid("the Authorization header does not follow `DPoP <token>` (RFC 9449)")
            }
        }),
        Some(mut token) => {
            while let [b' ', rest @ ..] = token {
                token = rest;
            }
            if token.is_empty() {
                Err(no_token())
            } else {
                Ok(Some(Credentials { scheme, source: TokenSource::AuthorizationHeader, token }))
            }
        }
    }
}

fn cookie_token<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Error> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        let Ok(header) = std::str::from_utf8(header.as_bytes()) else {
            continue;
        };
        for pair in header.split(';') {
            let Some((key, value)) = pair.trim_matches([' ', '\t']).split_once('=') else {
                continue;
            };
            if key != name {
                continue;
            }
            let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
            // An emptied cookie (after a logout, say) is no token, not a malformed one.
            if value.is_empty() {
                continue;
            }
            if found.replace(value).is_some() {
                return Err(invalid("the token cookie appears more than once"));
            }
        }
    }
    Ok(found)
}

/// Checks that `token` is a `b64token` ([`scopegate_core::verifier::check_token_syntax`]).
/// Tokens longer than `max_bytes` pass unchecked: the verifier refuses them for their size
/// without anything scanning them.
pub(crate) fn check_syntax(token: &str, max_bytes: usize) -> Result<(), Error> {
    if token.len() > max_bytes {
        return Ok(());
    }
    scopegate_core::verifier::check_token_syntax(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    fn token(pairs: &[(&'static str, &[u8])]) -> Result<Option<&'static str>, ErrorKind> {
        let map = Box::leak(Box::new(headers(pairs)));
        let token = credentials(map, Some("access_token"), false).map_err(|e| e.kind())?;
        let Some(token) = token else { return Ok(None) };
        assert_eq!(token.scheme, Scheme::Bearer);
        let text = token.text().map_err(|e| e.kind())?;
        check_syntax(text, 8192).map_err(|e| e.kind())?;
        Ok(Some(text))
    }

    #[test]
    fn accepts_rfc_6750_syntax() {
        assert_eq!(
            token(&[("authorization", b"Bearer abc.DEF-_~+/==")]),
            Ok(Some("abc.DEF-_~+/=="))
        );
        assert_eq!(token(&[("authorization", b"bearer abc")]), Ok(Some("abc")));
        assert_eq!(token(&[("authorization", b"BEARER    abc")]), Ok(Some("abc")));
        assert_eq!(token(&[("authorization", b"Bearer abc  ")]), Ok(Some("abc")));
    }

    #[test]
    fn other_schemes_mean_no_token() {
        assert_eq!(token(&[]), Ok(None));
        assert_eq!(token(&[("authorization", b"Basic dXNlcjpwYXNz")]), Ok(None));
        assert_eq!(token(&[("authorization", b"DPoP abc")]), Ok(None));
        assert_eq!(token(&[("authorization", b"BearerX abc")]), Ok(None));
        assert_eq!(token(&[("authorization", b"Bear")]), Ok(None));
    }

    #[test]
    fn broken_syntax_is_an_invalid_request() {
        for value in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer\tabc",
            b"Bearer:abc",
            b"Bearer a b",
            b"Bearer abc,def",
            b"Bearer ===",
            b"Bearer \"abc\"",
            "Bearer ab\u{e9}".as_bytes(),
        ] {
            assert_eq!(
                token(&[("authorization", value)]),
                Err(ErrorKind::InvalidRequest),
                "{value:?}"
            );
        }
    }

    #[test]
    fn two_headers_or_two_methods() {
        let two = token(&[("authorization", b"Bearer a"), ("authorization", b"Bearer a")]);
        assert_eq!(two, Err(ErrorKind::InvalidRequest));
        let both = token(&[("authorization", b"Bearer a"), ("cookie", b"access_token=a")]);
        assert_eq!(both, Err(ErrorKind::InvalidRequest));
        let twice = token(&[("cookie", b"access_token=a; access_token=b")]);
        assert_eq!(twice, Err(ErrorKind::InvalidRequest));
    }

    #[test]
    fn cookie_only_when_configured() {
        assert_eq!(token(&[("cookie", b"theme=dark; access_token=abc.def")]), Ok(Some("abc.def")));
        assert_eq!(token(&[("cookie", b"access_token=\"abc\"")]), Ok(Some("abc")));
        let map = headers(&[("cookie", b"access_token=abc")]);
        assert_eq!(credentials(&map, None, false).unwrap(), None);
        let token = credentials(&map, Some("access_token"), false).unwrap().unwrap();
        assert_eq!(token.token, b"abc");
    }

    /// Found by the `authorization` fuzz target: `Cookie: access_token=` gave an empty token.
    #[test]
    fn regression_empty_token_cookie_is_no_token() {
        assert_eq!(token(&[("cookie", b"access_token=")]), Ok(None));
        assert_eq!(token(&[("cookie", b"access_token=\"\"")]), Ok(None));
        assert_eq!(token(&[("cookie", b"access_token=; access_token=abc")]), Ok(Some("abc")));
        assert_eq!(token(&[("cookie", b"access_token=abc; access_token=")]), Ok(Some("abc")));
    }

    #[test]
    fn dpop_scheme_only_when_on() {
        let map = headers(&[("authorization", b"dpop  abc.def")]);
        assert_eq!(credentials(&map, None, false).unwrap(), None);
        let found = credentials(&map, None, true).unwrap();
        let expected = Credentials {
            scheme: Scheme::Dpop,
            source: TokenSource::AuthorizationHeader,
            token: b"abc.def",
        };
        assert_eq!(found, Some(expected));
        for value in [&b"DPoP"[..], b"DPoP ", b"DPoP\tabc", b"DPoP:abc"] {
            let map = headers(&[("authorization", value)]);
            let error = credentials(&map, None, true).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{value:?}");
        }
        let map = headers(&[("authorization", b"DPoPX abc")]);
        assert_eq!(credentials(&map, None, true).unwrap(), None);
    }

    #[test]
    fn one_dpop_proof() {
        assert_eq!(dpop_proof(&headers(&[])).unwrap(), None);
        assert_eq!(dpop_proof(&headers(&[("dpop", b" a.b.c ")])).unwrap(), Some("a.b.c"));
        for pairs in [
            &[("dpop", &b"a.b.c"[..]), ("dpop", b"a.b.c")][..],
            &[("dpop", b"a.b.c, d.e.f")],
            &[("dpop", b"")],
            &[("dpop", "\u{e9}".as_bytes())],
        ] {
            let error = dpop_proof(&headers(pairs)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::DpopProofMalformed, "{pairs:?}");
        }
    }

    #[test]
    fn oversized_tokens_are_passed_on_unscanned() {
        assert!(check_syntax(&"!".repeat(100), 10).is_ok());
        assert!(check_syntax(&"!".repeat(100), 100).is_err());
    }

    #[test]
    fn the_recorded_token_is_read_from_the_recorded_place_only() {
        let map = headers(&[
            ("authorization", b"DPoP header.token"),
            ("cookie", b"access_token=cookie.token"),
        ]);
        // DPoP off: the layer took the cookie; so does the re-read, never the DPoP header.
        let found = credentials(&map, Some("access_token"), false).unwrap().unwrap();
        assert_eq!((found.source, found.token), (TokenSource::Cookie, &b"cookie.token"[..]));
        let again = recorded_token(&map, found.source, found.scheme, Some("access_token"));
        assert_eq!(again, Some("cookie.token"));
        // A header token read back with another scheme than recorded is no token.
        let bearer = headers(&[("authorization", b"Bearer a.b")]);
        let source = TokenSource::AuthorizationHeader;
        assert_eq!(recorded_token(&bearer, source, Scheme::Bearer, None), Some("a.b"));
        assert_eq!(recorded_token(&bearer, source, Scheme::Dpop, None), None);
        assert_eq!(recorded_token(&bearer, TokenSource::Cookie, Scheme::Bearer, None), None);
    }
}
