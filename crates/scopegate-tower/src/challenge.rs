//! One `WWW-Authenticate` challenge: `Bearer` (RFC 6750 section 3) or `DPoP` (RFC 9449
//! section 7.1).
//!
//! Parameters are written in a fixed order (`realm`, `error`, `error_description`, `scope`,
//! `acr_values`, `max_age`, `algs`, `resource_metadata`), each at most once, comma-separated, values quoted; an empty value
//! leaves its parameter out. Values are sanitized to the characters RFC 6750 allows inside the
//! quotes (`%x20-21 / %x23-5B / %x5D-7E`): no `"`, no `\`, no control or non-ASCII
//! characters, so the header always parses.
//!
//! ```
//! use scopegate_tower::Challenge;
//!
//! assert_eq!(Challenge::new().realm("orders-api").to_string(), r#"Bearer realm="orders-api""#);
//! let challenge = Challenge::new().error("insufficient_scope").scope("orders.write");
//! assert_eq!(challenge.to_string(), r#"Bearer error="insufficient_scope", scope="orders.write""#);
//! assert_eq!(Challenge::new().realm("say \"hi\"\n").to_string(), r#"Bearer realm="say hi""#);
//! let metadata = Challenge::new().resource_metadata("https://api.example.com/.well-known/oauth-protected-resource");
//! assert_eq!(
//!     metadata.to_string(),
//!     r#"Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#
//! );
//! let dpop = Challenge::dpop().error("invalid_dpop_proof").algs("ES256 EdDSA");
//! assert_eq!(dpop.to_string(), r#"DPoP error="invalid_dpop_proof", algs="ES256 EdDSA""#);
//! ```

use std::fmt::{self, Write as _};

/// The OpenID Connect scope that asks for a refresh token.
const OFFLINE_ACCESS: &str = "offline_access";

/// `scopes` (space-separated) without `offline_access`, spacing otherwise kept.
pub(crate) fn without_offline_access(scopes: &str) -> String {
    if !scopes.split(' ').any(|scope| scope == OFFLINE_ACCESS) {
        return scopes.to_owned();
    }
    let kept: Vec<&str> = scopes.split(' ').filter(|scope| *scope != OFFLINE_ACCESS).collect();
    kept.join(" ").trim_matches(' ').to_owned()
}

use http::HeaderValue;

/// The longest `error_description` written, in bytes; longer ones are cut.
pub const MAX_DESCRIPTION_BYTES: usize = 256;

/// The authentication scheme of a challenge, and the scheme a request presented its token
/// with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `Bearer` (RFC 6750).
    #[default]
    Bearer,
    /// `DPoP` (RFC 9449).
    Dpop,
}

impl Scheme {
    /// The scheme's name as written in headers: `Bearer` or `DPoP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::Dpop => "DPoP",
        }
    }
}

/// A challenge, built parameter by parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Challenge {
    scheme: Scheme,
    realm: String,
    error: String,
    description: String,
    scope: String,
    acr_values: String,
    max_age: String,
    algs: String,
    resource_metadata: String,
}

impl Challenge {
    /// A `Bearer` challenge with no parameters yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A `DPoP` challenge with no parameters yet.
    pub fn dpop() -> Self {
        Self::with_scheme(Scheme::Dpop)
    }

    /// A challenge of `scheme` with no parameters yet.
    pub fn with_scheme(scheme: Scheme) -> Self {
        Self { scheme, ..Self::default() }
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Sets `realm` (left out when empty).
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = sanitize(realm, usize::MAX);
        self
    }

    /// Sets the `error` code (`invalid_request`, `invalid_token`, `insufficient_scope`).
    pub fn error(mut self, code: &str) -> Self {
        self.error = sanitize(code, usize::MAX);
        self
    }

    /// Sets `error_description`, cut to [`MAX_DESCRIPTION_BYTES`].
    pub fn description(mut self, description: &str) -> Self {
        self.description = sanitize(description, MAX_DESCRIPTION_BYTES);
        self
    }

    /// Sets `scope`: the scopes the resource requires, space-separated. `offline_access` is
    /// left out: it asks for a refresh token, not for access to this resource, and a client
    /// that follows the challenge would request it (MCP 2025-11-25 forbids it there).
    pub fn scope(mut self, scope: &str) -> Self {
        let sanitized = sanitize(scope, usize::MAX);
        self.scope = without_offline_access(&sanitized);
        self
    }

    /// Sets `acr_values`: the authentication context classes that would do, space-separated
    /// (RFC 9470 section 3).
    pub fn acr_values(mut self, values: &str) -> Self {
        self.acr_values = sanitize(values, usize::MAX);
        self
    }

    /// Sets `max_age`: the oldest login, in seconds, the resource accepts (RFC 9470 section 3).
    pub fn max_age(mut self, seconds: Option<u64>) -> Self {
        self.max_age = seconds.map(|seconds| seconds.to_string()).unwrap_or_default();
        self
    }

    /// Sets `algs`: the DPoP proof algorithms accepted, space-separated (RFC 9449 section 7.1).
    pub fn algs(mut self, algs: &str) -> Self {
        self.algs = sanitize(algs, usize::MAX);
        self
    }

    /// Sets `resource_metadata`: the URL of the protected resource's metadata document (RFC
    /// 9728 section 5.1).
    pub fn resource_metadata(mut self, url: &str) -> Self {
        self.resource_metadata = sanitize(url, usize::MAX);
        self
    }

    /// The header value.
    #[allow(clippy::expect_used, reason = "sanitised values; see the comment")]
    pub fn to_header_value(&self) -> HeaderValue {
        // Every byte written is visible ASCII or space (names are fixed, values sanitised),
        // which a header value always accepts. A bare `Bearer` fallback would hide the error
        // code from the client, so a failure here is a bug that must be loud.
        HeaderValue::try_from(self.to_string()).expect("a sanitised challenge is a header value")
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        let params = [
            ("realm", &self.realm),
            ("error", &self.error),
            ("error_description", &self.description),
            ("scope", &self.scope),
            ("acr_values", &self.acr_values),
            ("max_age", &self.max_age),
            ("algs", &self.algs),
            ("resource_metadata", &self.resource_metadata),
        ];
        let mut first = true;
        for (name, value) in params {
            if !value.is_empty() {
                f.write_str(if first { " " } else { ", " })?;
                write!(f, "{name}=\"{value}\"")?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Parses a `WWW-Authenticate` value as this module writes it, strictly: `Bearer` (or `DPoP`), then
/// optionally one space and `name="value"` parameters separated by `", "`, each name a token
/// (RFC 9110 `tchar`), each value quoted without `"` or `\` inside, no name twice. For tests
/// and fuzzing: whatever [`Challenge`] writes must parse.
#[cfg(any(fuzzing, test))]
pub(crate) fn parse(value: &str) -> Option<Vec<(&str, &str)>> {
    let mut rest = value.strip_prefix("Bearer").or_else(|| value.strip_prefix("DPoP"))?;
    let mut params: Vec<(&str, &str)> = Vec::new();
    if rest.is_empty() {
        return Some(params);
    }
    rest = rest.strip_prefix(' ')?;
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    loop {
        let name_end = rest.find(|c: char| !tchar(c))?;
        let (name, after) = rest.split_at(name_end);
        let quoted = after.strip_prefix("=\"")?;
        // A quoted value ends at the next quote: values never hold `"` or `\`.
        let close = quoted.find('"')?;
        let (inner, after) = quoted.split_at(close);
        let qdtext = |b: u8| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E);
        if name.is_empty()
            || !inner.bytes().all(qdtext)
            || params.iter().any(|(seen, _)| *seen == name)
        {
            return None;
        }
        params.push((name, inner));
        rest = after.strip_prefix('"')?;
        if rest.is_empty() {
            return Some(params);
        }
        rest = rest.strip_prefix(", ")?;
    }
}

/// Keeps the characters allowed inside the quotes, up to `max` bytes.
fn sanitize(value: &str, max: usize) -> String {
    let mut clean = String::with_capacity(value.len().min(max));
    for byte in value.bytes().filter(|&b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)) {
        if clean.len() == max {
            break;
        }
        let _ = clean.write_char(char::from(byte));
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_in_order_each_once() {
        let challenge = Challenge::new()
            .realm("api")
            .error("invalid_token")
            .description("the token has expired")
            .error("invalid_token");
        assert_eq!(
            challenge.to_string(),
            r#"Bearer realm="api", error="invalid_token", error_description="the token has expired""#
        );
    }

    #[test]
    fn offline_access_is_never_asked_for() {
        let challenge =
            Challenge::new().error("insufficient_scope").scope("offline_access notes.read");
        assert_eq!(
            challenge.to_string(),
            r#"Bearer error="insufficient_scope", scope="notes.read""#
        );
        let only = Challenge::new().error("insufficient_scope").scope("offline_access");
        assert_eq!(only.to_string(), r#"Bearer error="insufficient_scope""#);
    }

    #[test]
    fn empty_realm_is_left_out() {
        assert_eq!(Challenge::new().realm("").to_string(), "Bearer");
        assert_eq!(
            Challenge::new().error("invalid_request").to_string(),
            r#"Bearer error="invalid_request""#
        );
    }

    #[test]
    fn what_is_written_parses() {
        let challenge = Challenge::new()
            .realm("r")
            .error("invalid_token")
            .description("a, b=\"c\"")
            .scope("x y");
        let value = challenge.to_string();
        let params = parse(&value).unwrap();
        let names: Vec<_> = params.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["realm", "error", "error_description", "scope"]);
        assert_eq!(params[2].1, "a, b=c");
        assert_eq!(parse("Bearer"), Some(vec![]));
        for bad in [
            "Basic",
            "Bearer ",
            "Bearer a=b",
            r#"Bearer a="1", a="2""#,
            r#"Bearer a="\\""#,
            r#"Bearer  a="1""#,
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn values_are_sanitized_and_bounded() {
        let description = format!("bad \\ \"quote\" ü\r\n{}", "x".repeat(1000));
        let value = Challenge::new().realm("r").description(&description).to_string();
        assert!(
            value.starts_with(r#"Bearer realm="r", error_description="bad  quote "#),
            "{value}"
        );
        assert_eq!(
            value.len(),
            r#"Bearer realm="r", error_description="""#.len() + MAX_DESCRIPTION_BYTES
        );
        assert!(Challenge::new().realm("ü").to_header_value().to_str().is_ok());
    }
}
