//! The protected header: which algorithm, which key, which token type.

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};

/// Which `typ` header values are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TypeRule {
    /// Absent, `JWT`, `at+jwt` or `application/at+jwt`.
    #[default]
    Lenient,
    /// `at+jwt` or `application/at+jwt` only (RFC 9068 section 4).
    Rfc9068,
}

/// The members of the protected header the verifier acts on.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) algorithm: Algorithm,
    pub(crate) key_id: Option<String>,
}

impl Header {
    /// Reads and checks the header members.
    ///
    /// `jwk`, `jku`, `x5u`, `x5c` and `x5t` are never used: keys come only from the verifier's
    /// configuration.
    pub(crate) fn from_json(
        mut members: Map<String, Value>,
        rule: TypeRule,
    ) -> Result<Self, Error> {
        if members.contains_key("crit") {
            return Err(unsupported("critical header extensions (`crit`) are not supported"));
        }
        if members.contains_key("b64") {
            return Err(unsupported("unencoded payloads (`b64`) are not supported"));
        }
        if members.contains_key("enc") || members.contains_key("zip") {
            return Err(unsupported("encrypted tokens (JWE) are not supported"));
        }
        if let Some(content_type) = members.get("cty") {
            let nested = content_type.as_str().is_none_or(|cty| cty.eq_ignore_ascii_case("JWT"));
            if nested {
                return Err(unsupported("nested tokens (`cty: JWT`) are not supported"));
            }
        }
        check_type(string_member(&members, "typ")?, rule)?;
        let algorithm = match members.get("alg") {
            None => return Err(Error::malformed("the token header has no `alg`")),
            Some(Value::String(name)) => parse_algorithm(name)?,
            Some(_) => return Err(Error::malformed("the `alg` header must be a string")),
        };
        let key_id = match members.remove("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid),
            Some(_) => return Err(Error::malformed("the `kid` header must be a string")),
        };
        Ok(Self { algorithm, key_id })
    }
}

fn unsupported(message: &'static str) -> Error {
    Error::new(ErrorKind::UnsupportedHeader, message)
}

fn string_member<'a>(
    members: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, Error> {
    match members.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Error::malformed(match name {
            "typ" => "the `typ` header must be a string",
            _ => "a header member has the wrong type",
        })),
    }
}

/// Media types are case-insensitive (RFC 7515 section 4.1.9), so `AT+JWT` is `at+jwt`.
fn check_type(typ: Option<&str>, rule: TypeRule) -> Result<(), Error> {
    let is = |expected: &str| typ.is_some_and(|typ| typ.eq_ignore_ascii_case(expected));
    let access_token = is("at+jwt") || is("application/at+jwt");
    let accepted = match rule {
        TypeRule::Rfc9068 => access_token,
        TypeRule::Lenient => access_token || typ.is_none() || is("JWT"),
    };
    if accepted {
        Ok(())
    } else if rule == TypeRule::Rfc9068 {
        Err(Error::new(
            ErrorKind::InvalidTokenType,
            "the token's `typ` must be `at+jwt` (RFC 9068)",
        ))
    } else {
        Err(Error::new(
            ErrorKind::InvalidTokenType,
            "the token's `typ` is not an access-token type",
        ))
    }
}

/// Maps an `alg` name to an algorithm. Names are case-sensitive (RFC 7518); `none` in any
/// spelling is refused outright.
fn parse_algorithm(name: &str) -> Result<Algorithm, Error> {
    let algorithm = match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        _ if name.trim().eq_ignore_ascii_case("none") => {
            return Err(Error::new(
                ErrorKind::DisallowedAlgorithm,
                "unsecured tokens (`alg: none`) are never accepted",
            ));
        }
        _ => {
            return Err(Error::new(
                ErrorKind::DisallowedAlgorithm,
                "the token's `alg` is not supported",
            ));
        }
    };
    Ok(algorithm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(value: Value, rule: TypeRule) -> Result<Header, Error> {
        let Value::Object(members) = value else { unreachable!() };
        Header::from_json(members, rule)
    }

    fn kind(value: Value) -> ErrorKind {
        header(value, TypeRule::Lenient).unwrap_err().kind()
    }

    #[test]
    fn reads_alg_and_kid() {
        let parsed =
            header(json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}), TypeRule::Rfc9068)
                .unwrap();
        assert_eq!(parsed.algorithm, Algorithm::ES256);
        assert_eq!(parsed.key_id.as_deref(), Some("k1"));
    }

    #[test]
    fn none_in_any_spelling_is_refused() {
        for alg in ["none", "None", "NONE", "nOnE", " none"] {
            let error = header(json!({ "alg": alg }), TypeRule::Lenient).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::DisallowedAlgorithm);
            assert_eq!(error.message(), "unsecured tokens (`alg: none`) are never accepted");
        }
        for alg in ["rs256", "RS257", "", "ES512", "Ed25519"] {
            assert_eq!(kind(json!({ "alg": alg })), ErrorKind::DisallowedAlgorithm, "{alg}");
        }
        assert_eq!(kind(json!({})), ErrorKind::MalformedToken);
        assert_eq!(kind(json!({ "alg": ["RS256"] })), ErrorKind::MalformedToken);
    }

    #[test]
    fn typ_rules() {
        for typ in ["JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"] {
            assert!(
                header(json!({ "alg": "RS256", "typ": typ }), TypeRule::Lenient).is_ok(),
                "{typ}"
            );
        }
        assert!(header(json!({ "alg": "RS256" }), TypeRule::Lenient).is_ok());
        for typ in ["JOSE", "id_token+jwt", "application/jwt", "at+jwt ", ""] {
            assert_eq!(
                kind(json!({ "alg": "RS256", "typ": typ })),
                ErrorKind::InvalidTokenType,
                "{typ}"
            );
        }
        assert_eq!(kind(json!({ "alg": "RS256", "typ": 1 })), ErrorKind::MalformedToken);
        for typ in [None, Some("JWT")] {
            let mut value = json!({ "alg": "RS256" });
            if let Some(typ) = typ {
                value["typ"] = json!(typ);
            }
            let error = header(value, TypeRule::Rfc9068).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidTokenType);
        }
    }

    #[test]
    fn extensions_are_refused() {
        for extra in [
            json!({ "crit": ["exp"] }),
            json!({ "crit": [] }),
            json!({ "b64": false }),
            json!({ "b64": true }),
            json!({ "enc": "A128GCM" }),
            json!({ "cty": "JWT" }),
            json!({ "cty": "jwt" }),
        ] {
            let mut value = extra.clone();
            value["alg"] = json!("RS256");
            assert_eq!(kind(value), ErrorKind::UnsupportedHeader, "{extra}");
        }
    }

    #[test]
    fn embedded_keys_are_ignored() {
        let value = json!({
            "alg": "RS256",
            "jwk": { "kty": "oct", "k": "c2VjcmV0" },
            "jku": "https://attacker.example/jwks",
            "x5u": "https://attacker.example/cert",
            "x5c": ["MIIB"],
        });
        let parsed = header(value, TypeRule::Lenient).unwrap();
        assert_eq!(parsed.key_id, None);
    }

    #[test]
    fn kid_must_be_a_string() {
        assert_eq!(kind(json!({ "alg": "RS256", "kid": 7 })), ErrorKind::MalformedToken);
    }
}
