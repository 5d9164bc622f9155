//! Resource URIs as rules match them: one spelling per resource, so that another spelling of
//! a URI cannot fall to a weaker rule, and patterns (exact, prefix, RFC 6570 templates).
//!
//! ```
//! use scopegate_mcp::normalize_resource_uri;
//!
//! assert_eq!(normalize_resource_uri("ORDERS://Example.COM/%6Frders/%2b1")?, "orders://example.com/orders/%2B1");
//! assert!(normalize_resource_uri("orders://x/a%2Fb").is_err(), "an encoded slash");
//! assert!(normalize_resource_uri("orders://x/orders/../admin").is_err());
//! # Ok::<(), scopegate_mcp::UriError>(())
//! ```

use std::fmt;

/// Why a resource URI was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriError {
    /// No scheme (`name:`), or an empty one, or one with characters a scheme cannot have.
    NoScheme,
    /// A `%` not followed by two hex digits.
    BadPercentEncoding,
    /// A `.` or `..` path segment (in any spelling): resolved, it could leave the path a rule
    /// protects.
    DotSegment,
    /// A control character, a space, or a character outside ASCII.
    BadCharacter,
    /// A spelling that servers read in more than one way: an encoded `/` or `\\` (`%2F`,
    /// `%5C`) in the path, user information, or an empty port.
    Ambiguous,
    /// Longer than [`MAX_RESOURCE_URI_BYTES`].
    TooLong,
}

/// The longest resource URI read (8 KiB).
pub const MAX_RESOURCE_URI_BYTES: usize = 8 * 1024;

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoScheme => "the resource URI has no scheme",
            Self::BadPercentEncoding => "the resource URI has a malformed percent-encoding",
            Self::DotSegment => "the resource URI has a dot segment",
            Self::BadCharacter => "the resource URI has a character URIs cannot have",
            Self::Ambiguous => "the resource URI has a spelling servers read in more than one way",
            Self::TooLong => "the resource URI is too long",
        })
    }
}

impl std::error::Error for UriError {}

/// The one spelling of a resource URI rules are matched against (RFC 3986 section 6.2.2):
/// scheme and host in lowercase, percent-encoded unreserved characters decoded, other
/// percent-encodings in uppercase hex. URIs with `.` or `..` path segments (also encoded) are
/// refused rather than resolved, as are control characters, spaces and non-ASCII text, and
/// spellings servers read differently: an encoded `/` or `\\` in the path, user information,
/// an empty port. At most [`MAX_RESOURCE_URI_BYTES`].
///
/// # Errors
///
/// A [`UriError`] saying why.
pub fn normalize_resource_uri(uri: &str) -> Result<String, UriError> {
    normalize(uri, false)
}

/// `uri` normalised; `template` lets `{`, `}` through (for RFC 6570 templates).
pub(crate) fn normalize(uri: &str, template: bool) -> Result<String, UriError> {
    if uri.len() > MAX_RESOURCE_URI_BYTES {
        return Err(UriError::TooLong);
    }
    let (scheme, rest) = uri.split_once(':').ok_or(UriError::NoScheme)?;
    let scheme_ok = scheme.bytes().next().is_some_and(|first| first.is_ascii_alphabetic())
        && scheme.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"+-.".contains(&byte));
    if !scheme_ok {
        return Err(UriError::NoScheme);
    }
    let mut out = String::with_capacity(uri.len());
    out.push_str(&scheme.to_ascii_lowercase());
    out.push(':');
    let (authority, path_and_more) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            after.split_at(end)
        }
        None => ("", rest),
    };
    if rest.starts_with("//") {
        out.push_str("//");
        // `user@host` and `host:` are spelled differently by different servers.
        if authority.contains('@') || authority.ends_with(':') {
            return Err(UriError::Ambiguous);
        }
        let host = authority;
        let start = out.len();
        decode_into(&mut out, host, template)?;
        let host = lowercase_outside_escapes(&out.split_off(start));
        out.push_str(&host);
    }
    let end = path_and_more.find(['?', '#']).unwrap_or(path_and_more.len());
    let (path, query) = path_and_more.split_at(end);
    let start = out.len();
    decode_into(&mut out, path, template)?;
    let normal_path = out.get(start..).unwrap_or_default();
    if normal_path.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(UriError::DotSegment);
    }
    if normal_path.contains("%2F") || normal_path.contains("%5C") {
        return Err(UriError::Ambiguous);
    }
    decode_into(&mut out, query, template)?;
    Ok(out)
}

/// Appends `text` with unreserved characters decoded and other escapes in uppercase.
fn decode_into(out: &mut String, text: &str, template: bool) -> Result<(), UriError> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'%' {
            let hex = |offset: usize| bytes.get(at + offset).and_then(|digit| hex_value(*digit));
            let (Some(high), Some(low)) = (hex(1), hex(2)) else {
                return Err(UriError::BadPercentEncoding);
            };
            let decoded = high * 16 + low;
            if decoded.is_ascii_alphanumeric() || b"-._~".contains(&decoded) {
                out.push(char::from(decoded));
            } else {
                out.push('%');
                out.push(upper_hex(high));
                out.push(upper_hex(low));
            }
            at += 3;
            continue;
        }
        let allowed = byte.is_ascii_graphic()
            && !matches!(byte, b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'|')
            && (template || !matches!(byte, b'{' | b'}'));
        if !allowed {
            return Err(UriError::BadCharacter);
        }
        out.push(char::from(byte));
        at += 1;
    }
    Ok(())
}

/// `text` in lowercase, but for the (uppercase) hex digits of its escapes.
fn lowercase_outside_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut escape = 0;
    for character in text.chars() {
        if character == '%' {
            escape = 2;
            out.push(character);
        } else if escape > 0 {
            escape -= 1;
            out.push(character);
        } else {
            out.push(character.to_ascii_lowercase());
        }
    }
    out
}

/// The uppercase hex digit of `value` (below 16).
fn upper_hex(value: u8) -> char {
    char::from_digit(u32::from(value), 16).unwrap_or('0').to_ascii_uppercase()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

/// A part of an RFC 6570 template: literal text, or a variable (`{name}`: one or more
/// characters that are not `/`, `?` or `#`; `{+name}`: any, but not empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Literal(String),
    Variable { reserved: bool },
}

/// A resource pattern: the URIs one rule covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pattern {
    Exact(String),
    Prefix(String),
    Template { text: String, parts: Vec<Part> },
}

impl Pattern {
    pub(crate) fn exact(uri: &str) -> Result<Self, UriError> {
        normalize(uri, false).map(Self::Exact)
    }

    pub(crate) fn prefix(prefix: &str) -> Result<Self, UriError> {
        normalize(prefix, false).map(Self::Prefix)
    }

    /// A level 1 or 2 template (`{var}`, `{+var}`).
    pub(crate) fn template(template: &str) -> Result<Self, UriError> {
        let text = normalize(template, true)?;
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            let (literal, after) = rest.split_at(open);
            let close = after.find('}').ok_or(UriError::BadCharacter)?;
            let name = after.get(1..close).unwrap_or_default();
            let (reserved, name) = match name.strip_prefix('+') {
                Some(name) => (true, name),
                None => (false, name),
            };
            let valid = !name.is_empty()
                && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
            if !valid || literal.contains('}') {
                return Err(UriError::BadCharacter);
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(literal.to_owned()));
            }
            parts.push(Part::Variable { reserved });
            rest = after.get(close + 1..).unwrap_or_default();
        }
        if rest.contains('}') {
            return Err(UriError::BadCharacter);
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self::Template { text, parts })
    }

    /// Whether the normalised `uri` is one this pattern covers. A template also covers its
    /// own text (completions name a template, not a resource).
    pub(crate) fn covers(&self, uri: &str) -> bool {
        match self {
            Self::Exact(exact) => exact == uri,
            // At a boundary: `orders://a` covers `orders://a/b`, not `orders://ab`.
            Self::Prefix(prefix) => uri.strip_prefix(prefix.as_str()).is_some_and(|rest| {
                rest.is_empty()
                    || prefix.ends_with(['/', ':', '?', '#'])
                    || rest.starts_with(['/', '?', '#'])
            }),
            Self::Template { text, parts } => text == uri || matches(parts, uri),
        }
    }

    /// How specific the pattern is, to check the rules that cover a URI most specific first
    /// (a refusal names that rule's scopes): exact, then templates, then prefixes, each by
    /// the length of their literal text.
    pub(crate) fn rank(&self) -> (u8, usize) {
        match self {
            Self::Exact(exact) => (2, exact.len()),
            Self::Template { parts, .. } => (
                1,
                parts
                    .iter()
                    .map(|part| match part {
                        Part::Literal(text) => text.len(),
                        Part::Variable { .. } => 0,
                    })
                    .sum(),
            ),
            Self::Prefix(prefix) => (0, prefix.len()),
        }
    }
}

/// Whether `parts` match all of `uri`: the positions each part can end at, part by part, so
/// that any template and any URI cost O(parts x length), never a backtracking search.
fn matches(parts: &[Part], uri: &str) -> bool {
    let bytes = uri.as_bytes();
    let mut reachable = vec![false; bytes.len() + 1];
    if let Some(start) = reachable.first_mut() {
        *start = true;
    }
    for part in parts {
        let mut next = vec![false; bytes.len() + 1];
        match part {
            Part::Literal(text) => {
                for (at, _) in reachable.iter().enumerate().filter(|(_, reached)| **reached) {
                    if bytes.get(at..).is_some_and(|rest| rest.starts_with(text.as_bytes()))
                        && let Some(end) = next.get_mut(at + text.len())
                    {
                        *end = true;
                    }
                }
            }
            Part::Variable { reserved } => {
                // A variable takes at least one character; a simple one stops at `/`, `?`, `#`.
                let mut open = false;
                for (at, byte) in bytes.iter().enumerate() {
                    open |= reachable.get(at).copied().unwrap_or(false);
                    if !reserved && matches!(byte, b'/' | b'?' | b'#') {
                        open = false;
                        continue;
                    }
                    if open && let Some(end) = next.get_mut(at + 1) {
                        *end = true;
                    }
                }
            }
        }
        reachable = next;
    }
    reachable.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_per_uri() {
        for (spelling, normal) in [
            ("orders://orders/1", "orders://orders/1"),
            ("ORDERS://ORDERS/1", "orders://orders/1"),
            ("orders://orders/%31", "orders://orders/1"),
            ("orders://orders/a%2bb", "orders://orders/a%2Bb"),
            ("file:///Notes/%7Euser", "file:///Notes/~user"),
            ("urn:Example:Thing", "urn:Example:Thing"),
            ("orders://Host/x?q=%7e", "orders://host/x?q=~"),
            ("orders://HOST%41%2f/x", "orders://hosta%2F/x"),
        ] {
            assert_eq!(normalize_resource_uri(spelling).as_deref(), Ok(normal), "{spelling}");
        }
        for (bad, error) in [
            ("orders://x/../admin", UriError::DotSegment),
            ("orders://x/a/%2e%2E/admin", UriError::DotSegment),
            ("orders://x/./a", UriError::DotSegment),
            ("orders://x/a/..", UriError::DotSegment),
            ("orders://x/%zz", UriError::BadPercentEncoding),
            ("orders://x/%2", UriError::BadPercentEncoding),
            ("no-scheme", UriError::NoScheme),
            ("1x://a", UriError::NoScheme),
            ("orders://x/a b", UriError::BadCharacter),
            ("orders://x/\u{e9}", UriError::BadCharacter),
            ("orders://x/{id}", UriError::BadCharacter),
            ("orders://x/secret%2Fother", UriError::Ambiguous),
            ("orders://x/a%5cb", UriError::Ambiguous),
            ("orders://user@x/a", UriError::Ambiguous),
            ("orders://x:/a", UriError::Ambiguous),
        ] {
            assert_eq!(normalize_resource_uri(bad), Err(error), "{bad}");
        }
    }

    #[test]
    fn templates_match_one_segment_per_simple_variable() {
        let template = Pattern::template("orders://orders/{id}").unwrap();
        assert!(template.covers("orders://orders/42"));
        assert!(template.covers("orders://orders/{id}"), "its own text, for completions");
        assert!(!template.covers("orders://orders/"));
        assert!(!template.covers("orders://orders/42/items"));
        assert!(!template.covers("orders://orders"));
        let nested = Pattern::template("orders://orders/{id}/items/{item}").unwrap();
        assert!(nested.covers("orders://orders/1/items/2"));
        assert!(!nested.covers("orders://orders/1/items/2/x"));
        let reserved = Pattern::template("files://{+path}").unwrap();
        assert!(reserved.covers("files://a/b/c"));
        assert!(!reserved.covers("files://"));
        for bad in ["orders://{}", "orders://{a-b}", "orders://{id", "orders://id}"] {
            assert!(Pattern::template(bad).is_err(), "{bad}");
        }
    }

    /// The review's finding: `{a}.{b}` against a megabyte of dots took ~10^11 steps by
    /// backtracking. Matching now costs O(parts x length), and URIs are capped at 8 KiB.
    #[test]
    fn hostile_uris_cost_little() {
        let template = Pattern::template("orders://orders/{id}.{format}").unwrap();
        let dots = format!("orders://orders/{}", ".".repeat(MAX_RESOURCE_URI_BYTES - 20));
        assert!(template.covers(&dots), "a.b shape: dots on both sides");
        assert!(!template.covers(&format!("{dots}/")));
        let reserved = Pattern::template("files://{+a}.{+b}.{+c}").unwrap();
        assert!(!reserved.covers(&format!("files://{}", "x".repeat(MAX_RESOURCE_URI_BYTES - 10))));
        let long = format!("orders://x/{}", "a".repeat(MAX_RESOURCE_URI_BYTES));
        assert_eq!(normalize_resource_uri(&long), Err(UriError::TooLong));
    }

    #[test]
    fn prefixes_end_at_a_boundary() {
        let prefix = Pattern::prefix("orders://a").unwrap();
        for covered in ["orders://a", "orders://a/b", "orders://a?x", "orders://a#f"] {
            assert!(prefix.covers(covered), "{covered}");
        }
        for other in ["orders://ab", "orders://a.evil", "orders://a:8443/x"] {
            assert!(!prefix.covers(other), "{other}");
        }
        assert!(Pattern::prefix("orders://").unwrap().covers("orders://anything"));
        assert!(Pattern::prefix("urn:orders:").unwrap().covers("urn:orders:1"));
    }

    #[test]
    fn more_specific_patterns_rank_higher() {
        let exact = Pattern::exact("orders://orders/1").unwrap();
        let template = Pattern::template("orders://orders/{id}").unwrap();
        let prefix = Pattern::prefix("orders://").unwrap();
        assert!(exact.rank() > template.rank() && template.rank() > prefix.rank());
        assert!(Pattern::prefix("orders://orders/").unwrap().rank() > prefix.rank());
    }
}
