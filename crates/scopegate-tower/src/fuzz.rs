//! Entry points for the fuzz targets in `fuzz/`, compiled only for them (`cfg(fuzzing)`) and
//! for this crate's tests, where proptest drives the same invariants. Not public API.

use http::{HeaderMap, HeaderValue};

use crate::challenge::{self, Challenge};
use crate::extract::{bearer_token, check_syntax};

/// The `Authorization` (and token cookie) parser: never panics, and a token it accepts is a
/// `b64token` taken from the request. Returns the token found, syntax-checked.
pub fn authorization(data: &[u8]) -> Option<String> {
    let (authorization, cookie) = match data.iter().position(|&b| b == b'\n') {
        Some(split) => data.split_at(split),
        None => (data, &[][..]),
    };
    let mut headers = HeaderMap::new();
    for (name, value) in
        [("authorization", authorization), ("cookie", cookie.get(1..).unwrap_or_default())]
    {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    let Ok(Some(token)) = bearer_token(&headers, Some("access_token")) else { return None };
    assert!(!token.is_empty());
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
                "scope" => assert_eq!(value, keep(scope)),
                _ => assert!(keep(description).starts_with(value)),
            }
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
        fn extraction_never_panics_and_keeps_its_promises(authorization in prop::collection::vec(any::<u8>(), 0..300), cookie in "[ -~]{0,80}") {
            let mut input = authorization;
            input.push(b'\n');
            input.extend_from_slice(cookie.as_bytes());
            let _ = super::authorization(&input);
        }

        #[test]
        fn bearer_tokens_are_found(token in "[A-Za-z0-9._~+/-]{1,60}=*", spaces in 1usize..5, scheme in "(?i)bearer") {
            let header = format!("{scheme}{}{token}", " ".repeat(spaces));
            prop_assert_eq!(super::authorization(header.as_bytes()), Some(token));
        }
    }
}
