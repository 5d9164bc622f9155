//! Reading a JWT's header and claims without verifying anything.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// A token's header and claims, as written: nothing checked.
pub(crate) struct Unverified {
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
}

impl Unverified {
    /// Reads `token` (a compact JWS: three base64url parts, the first two JSON objects).
    pub(crate) fn read(token: &str) -> Result<Self, String> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, claims, _signature] = parts[..] else {
            return Err(format!(
                "not a JWT: {} part(s) separated by `.`, a signed JWT has 3 (an opaque token can \
                 only be introspected)",
                parts.len()
            ));
        };
        Ok(Self { header: object(header, "header part")?, claims: object(claims, "claims part")? })
    }

    /// The string member `name` of the header.
    pub(crate) fn header_text(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// The numeric claim `name`, in whole seconds (a fraction is dropped, as the verifier
    /// drops it).
    pub(crate) fn seconds(&self, name: &str) -> Option<u64> {
        let value = self.claims.get(name)?;
        value.as_u64().or_else(|| {
            let secs = value.as_f64().filter(|secs| secs.is_finite() && *secs >= 0.0)?;
            #[allow(clippy::cast_possible_truncation, reason = "whole seconds, as NumericDate")]
            Some(secs.floor() as u64)
        })
    }

    /// The token's audiences: `aud` as a string or an array of strings.
    pub(crate) fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The scopes the token grants under the verifier's default mapping: `scope`
    /// (space-separated, or an array). Tokens that carry them in `scp` (Entra ID, Okta) need
    /// `scope_claims(["scp"])` on the verifier, which `explain` does not set.
    pub(crate) fn scopes(&self) -> Vec<&str> {
        words(self.claims.get("scope"))
    }

    /// The roles under the verifier's default mapping: `roles` and `role` (a string or an
    /// array each).
    pub(crate) fn roles(&self) -> Vec<&str> {
        let mut roles = words(self.claims.get("roles"));
        roles.extend(words(self.claims.get("role")));
        roles
    }
}

fn words(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(text)) => text.split_whitespace().collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn object(part: &str, what: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| format!("the {what} is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(members)) => Ok(members),
        _ => Err(format!("the {what} is not a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_is_written_and_says_why_not() {
        let token = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzY29wZSI6ImEgYiIsImF1ZCI6WyJ4IiwieSJdLCJleHAiOjEwfQ.c2ln";
        let read = Unverified::read(token).unwrap();
        assert_eq!((read.header_text("alg"), read.header_text("kid")), (Some("ES256"), Some("k1")));
        assert_eq!(
            (read.scopes(), read.audiences(), read.seconds("exp")),
            (vec!["a", "b"], vec!["x", "y"], Some(10))
        );
        assert_eq!(
            Unverified::read("opaque").err().unwrap(),
            "not a JWT: 1 part(s) separated by `.`, a signed JWT has 3 (an opaque token can only be introspected)"
        );
        assert_eq!(
            Unverified::read("YQ.b.c").err().unwrap(),
            "the header part is not a JSON object"
        );
        assert_eq!(Unverified::read("e30.!!.c").err().unwrap(), "the claims part is not base64url");
    }
}
