//! Comparing a DPoP proof's `htu` with the request's URI (RFC 9449 section 4.3, point 9):
//! both normalised per RFC 3986 sections 6.2.2 and 6.2.3, query and fragment dropped.

/// The normal form of an absolute `http` or `https` URI without query and fragment: scheme and
/// host lowercased, the default port dropped, an empty path made `/`, percent-encodings of
/// unreserved characters decoded and the others upper-cased, dot segments removed. `None` for
/// anything else (relative, user information, another scheme, a malformed port or escape).
pub(crate) fn normalize(uri: &str) -> Option<String> {
    let uri = uri.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |slash| rest.split_at(slash));
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    if host.is_empty() || !host.bytes().all(|byte| byte.is_ascii_graphic()) {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(port)
            if port.bytes().all(|byte| byte.is_ascii_digit()) && port.parse::<u16>().is_ok() =>
        {
            (port.trim_start_matches('0') != default_port).then_some(port)
        }
        Some(_) => return None,
    };
    let mut normal = format!("{scheme}://{}", host.to_ascii_lowercase());
    if let Some(port) = port {
        normal.push(':');
        normal.push_str(port);
    }
    normal.push_str(&remove_dot_segments(&normalize_escapes(if path.is_empty() {
        "/"
    } else {
        path
    })?));
    Some(normal)
}

/// Whether `path` has a `.` or `..` segment, spelled plainly or percent-encoded (`%2e`).
pub(crate) fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let mut rest = segment;
        let mut dots = 0;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                rest = after;
            } else if rest.get(..3).is_some_and(|escape| escape.eq_ignore_ascii_case("%2e")) {
                rest = rest.get(3..).unwrap_or_default();
            } else {
                return false;
            }
            dots += 1;
        }
        (1..=2).contains(&dots)
    })
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Decodes `%XX` of unreserved characters, upper-cases the hex of the others.
fn normalize_escapes(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let hex = path.get(index + 1..index + 3)?;
            let value = u8::from_str_radix(hex, 16).ok()?;
            if is_unreserved(value) {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            index += 3;
        } else if byte.is_ascii_graphic() {
            out.push(char::from(byte));
            index += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (index, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if index == last {
                    output.push("");
                }
            }
            ".." => {
                output.pop();
                if index == last {
                    output.push("");
                }
            }
            other => output.push(other),
        }
    }
    format!("/{}", output.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_spellings_meet() {
        let base = "https://rs.example/api/orders";
        for same in [
            "https://rs.example/api/orders?page=2",
            "https://rs.example/api/orders#x",
            "https://rs.example:443/api/orders",
            "https://rs.example:/api/orders",
            "https://RS.Example/api/orders",
            "HTTPS://rs.example/api/orders",
            "https://rs.example/api/%6Frders",
            "https://rs.example/api/x/../orders",
            "https://rs.example/./api/orders",
        ] {
            assert_eq!(normalize(same).as_deref(), Some(base), "{same}");
        }
        assert_eq!(
            normalize("https://rs.example/api/a%2fb").as_deref(),
            Some("https://rs.example/api/a%2Fb")
        );
        assert_eq!(normalize("https://rs.example").as_deref(), Some("https://rs.example/"));
        assert_eq!(normalize("http://rs.example:80/").as_deref(), Some("http://rs.example/"));
        assert_eq!(normalize("http://[::1]:8080/x").as_deref(), Some("http://[::1]:8080/x"));
    }

    #[test]
    fn dot_segments_are_found_however_spelled() {
        for path in ["/a/../b", "/..", "/.", "/a/./b", "/a/%2e%2E/b", "/a/.%2e", "/%2E/x", "/a/.."]
        {
            assert!(has_dot_segment(path), "{path}");
        }
        for path in ["/a/b", "/a/...", "/a/.b", "/a/b.", "/a/%2e%2e%2e", "/", "/a//b", "/%2f"] {
            assert!(!has_dot_segment(path), "{path}");
        }
    }

    #[test]
    fn different_resources_stay_different() {
        let base = normalize("https://rs.example/api/orders");
        for other in [
            "https://rs.example/api/orders/",
            "https://api.example/api/orders",
            "http://rs.example/api/orders",
            "https://rs.example:8443/api/orders",
            "https://rs.example/API/orders",
            "https://rs.example/api/orders%2F",
            "https://rs.example./api/orders",
        ] {
            assert_ne!(normalize(other), base, "{other}");
        }
        for invalid in [
            "/api/orders",
            "https://u@rs.example/x",
            "ftp://rs.example/x",
            "https://rs.example/%zz",
            "https://rs.example:99999/",
            "https://rs.example/a b",
            "https://rs example/x",
            "https://rs.\u{1}example/x",
            "https://:443/x",
        ] {
            assert_eq!(normalize(invalid), None, "{invalid}");
        }
        // An IPv6 host without a port: its colons are not a port's.
        assert_eq!(normalize("http://[::1]/x").as_deref(), Some("http://[::1]/x"));
    }
}
