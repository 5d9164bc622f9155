//! Reading a key set's lifetime from `Cache-Control`.

use std::time::Duration;

use http::HeaderMap;
use http::header::CACHE_CONTROL;

/// The freshness lifetime the response asks for: `max-age` (or `s-maxage`), `Some(ZERO)` for
/// `no-cache` / `no-store`, `None` when the header says nothing usable.
pub(crate) fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut found = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, argument) = directive.split_once('=').unwrap_or((directive, ""));
            let name = name.trim().to_ascii_lowercase();
            match name.as_str() {
                "no-cache" | "no-store" => return Some(Duration::ZERO),
                "max-age" | "s-maxage" if found.is_none() => {
                    found = argument
                        .trim()
                        .trim_matches('"')
                        .parse::<u64>()
                        .ok()
                        .map(Duration::from_secs);
                }
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(value: &'static str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(value));
        max_age(&headers)
    }

    #[test]
    fn reads_max_age() {
        assert_eq!(parse("public, max-age=3600, must-revalidate"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("MAX-AGE=\"60\""), Some(Duration::from_secs(60)));
        assert_eq!(parse("no-store"), Some(Duration::ZERO));
        assert_eq!(parse("private"), None);
        assert_eq!(parse("max-age=soon"), None);
        assert_eq!(max_age(&HeaderMap::new()), None);
    }
}
