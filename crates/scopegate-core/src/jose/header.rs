//! The protected header: which algorithm, which key, which token type.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use crate::algorithm::Algorithm;
use crate::error::{Error, ErrorKind};
use crate::json::{self, JsonError, MemberName, Scalar, ScalarSeed};

/// Which `typ` header values are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TypeRule {
    /// Absent, `JWT`, `at+jwt` or `application/at+jwt`.
    #[default]
    Lenient,
    /// `at+jwt` or `application/at+jwt` only (RFC 9068 section 4).
    Rfc9068,
    /// `token-introspection+jwt` or `application/token-introspection+jwt` only: a signed
    /// introspection answer (RFC 9701 section 5), never an access token.
    #[cfg(feature = "remote")]
    IntrospectionAnswer,
    /// `logout+jwt` or `application/logout+jwt`, or absent or `JWT` as older providers send
    /// them (OpenID Connect Back-Channel Logout 1.0 section 2.4); never an access token's type.
    #[cfg(feature = "remote")]
    LogoutToken,
    /// `secevent+jwt` or `application/secevent+jwt` only: a Security Event Token (RFC 8417
    /// section 2.3), never an access token.
    #[cfg(feature = "remote")]
    SecurityEvent,
}

/// The members of the protected header the verifier acts on.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) algorithm: Algorithm,
    pub(crate) key_id: Option<String>,
}

/// The header members as read, before they are judged; strings borrow from the text.
#[derive(Default)]
struct Members<'de> {
    alg: Option<Scalar<'de>>,
    kid: Option<Scalar<'de>>,
    typ: Option<Scalar<'de>>,
    cty: Option<Scalar<'de>>,
    crit: bool,
    b64: bool,
    encrypted: bool,
}

impl Header {
    /// Parses and checks the decoded header in one pass over its JSON, which must be an object
    /// without duplicate members, nested at most [`json::MAX_DEPTH`] deep.
    ///
    /// `jwk`, `jku`, `x5u`, `x5c` and `x5t` are never used: keys come only from the verifier's
    /// configuration.
    pub(crate) fn parse(bytes: &[u8], rule: TypeRule) -> Result<Self, Error> {
        let members = json::parse_with(bytes, HeaderSeed).map_err(|error| {
            Error::malformed(match error {
                JsonError::DuplicateMember => "the token header repeats a member name",
                JsonError::TooDeep => "the token nests JSON too deeply",
                JsonError::TooManyMembers => "the token header has too many members",
                JsonError::Syntax => "the token header is not a JSON object",
            })
        })?;
        Self::judge(members, rule)
    }

    fn judge(members: Members<'_>, rule: TypeRule) -> Result<Self, Error> {
        if members.crit {
            return Err(unsupported("critical header extensions (`crit`) are not supported"));
        }
        if members.b64 {
            return Err(unsupported("unencoded payloads (`b64`) are not supported"));
        }
        if members.encrypted {
            return Err(unsupported("encrypted tokens (JWE) are not supported"));
        }
        if let Some(content_type) = &members.cty {
            let nested = match content_type {
                Scalar::Str(cty) => cty.eq_ignore_ascii_case("JWT"),
                Scalar::Other => true,
            };
            if nested {
                return Err(unsupported("nested tokens (`cty: JWT`) are not supported"));
            }
        }
        let typ = match &members.typ {
            None => None,
            Some(Scalar::Str(typ)) => Some(&**typ),
            Some(Scalar::Other) => {
                return Err(Error::malformed("the `typ` header must be a string"));
            }
        };
        check_type(typ, rule)?;
        let algorithm = match &members.alg {
            None => return Err(Error::malformed("the token header has no `alg`")),
            Some(Scalar::Str(name)) => parse_algorithm(name)?,
            Some(Scalar::Other) => {
                return Err(Error::malformed("the `alg` header must be a string"));
            }
        };
        let key_id = match members.kid {
            None => None,
            Some(Scalar::Str(kid)) => Some(kid.into_owned()),
            Some(Scalar::Other) => {
                return Err(Error::malformed("the `kid` header must be a string"));
            }
        };
        Ok(Self { algorithm, key_id })
    }
}

struct HeaderSeed;

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = Members<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Members<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members = Members::default();
        let mut others: Vec<MemberName<'de>> = Vec::new();
        while let Some(name) = map.next_key::<MemberName<'de>>()? {
            let value = map.next_value_seed(ScalarSeed)?;
            let slot = match &*name.0 {
                "alg" => &mut members.alg,
                "kid" => &mut members.kid,
                "typ" => &mut members.typ,
                "cty" => &mut members.cty,
                flag @ ("crit" | "b64" | "enc" | "zip") => {
                    let seen = match flag {
                        "crit" => &mut members.crit,
                        "b64" => &mut members.b64,
                        _ => &mut members.encrypted,
                    };
                    // `enc` and `zip` share a flag; a repeat of either is caught below.
                    if others.iter().any(|other| other.0 == flag) {
                        return Err(json::duplicate());
                    }
                    *seen = true;
                    others.push(name);
                    continue;
                }
                _ => {
                    if others.iter().any(|other| other.0 == name.0) {
                        return Err(json::duplicate());
                    }
                    others.push(name);
                    continue;
                }
            };
            if slot.replace(value).is_some() {
                return Err(json::duplicate());
            }
        }
        Ok(members)
    }
}

fn unsupported(message: &'static str) -> Error {
    Error::new(ErrorKind::UnsupportedHeader, message)
}

/// Media types are case-insensitive (RFC 7515 section 4.1.9), so `AT+JWT` is `at+jwt`.
fn check_type(typ: Option<&str>, rule: TypeRule) -> Result<(), Error> {
    let is = |expected: &str| typ.is_some_and(|typ| typ.eq_ignore_ascii_case(expected));
    let access_token = is("at+jwt") || is("application/at+jwt");
    let accepted = match rule {
        TypeRule::Rfc9068 => access_token,
        TypeRule::Lenient => access_token || typ.is_none() || is("JWT"),
        #[cfg(feature = "remote")]
        TypeRule::IntrospectionAnswer => {
            return if is("token-introspection+jwt") || is("application/token-introspection+jwt") {
                Ok(())
            } else {
                let message = "the answer's `typ` must be `token-introspection+jwt` (RFC 9701)";
                Err(Error::new(ErrorKind::InvalidTokenType, message))
            };
        }
        #[cfg(feature = "remote")]
        TypeRule::SecurityEvent => {
            return if is("secevent+jwt") || is("application/secevent+jwt") {
                Ok(())
            } else {
                let message = "the security event's `typ` must be `secevent+jwt` (RFC 8417)";
                Err(Error::new(ErrorKind::InvalidTokenType, message))
            };
        }
        #[cfg(feature = "remote")]
        TypeRule::LogoutToken => {
            let logout = is("logout+jwt") || is("application/logout+jwt");
            return if logout || typ.is_none() || is("JWT") {
                Ok(())
            } else {
                let message = "the logout token's `typ` must be `logout+jwt`";
                Err(Error::new(ErrorKind::InvalidTokenType, message))
            };
        }
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
    name.parse().map_err(|_| {
        let message = if name.trim().eq_ignore_ascii_case("none") {
            "unsecured tokens (`alg: none`) are never accepted"
        } else {
            "the token's `alg` is not supported"
        };
        Error::new(ErrorKind::DisallowedAlgorithm, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn header(value: Value, rule: TypeRule) -> Result<Header, Error> {
        Header::parse(value.to_string().as_bytes(), rule)
    }

    fn kind(value: Value) -> ErrorKind {
        header(value, TypeRule::Lenient).unwrap_err().kind()
    }

    #[test]
    fn reads_alg_and_kid() {
        let value = json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"});
        let parsed = header(value, TypeRule::Rfc9068).unwrap();
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
        let types = ["JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"];
        for typ in types {
            assert!(
                header(json!({ "alg": "RS256", "typ": typ }), TypeRule::Lenient).is_ok(),
                "{typ}"
            );
        }
        assert!(header(json!({ "alg": "RS256" }), TypeRule::Lenient).is_ok());
        for typ in ["JOSE", "id_token+jwt", "application/jwt", "at+jwt ", ""] {
            let value = json!({ "alg": "RS256", "typ": typ });
            assert_eq!(kind(value), ErrorKind::InvalidTokenType, "{typ}");
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
            json!({ "zip": "DEF" }),
            json!({ "cty": "JWT" }),
            json!({ "cty": "jwt" }),
        ] {
            let mut value = extra.clone();
            value["alg"] = json!("RS256");
            assert_eq!(kind(value), ErrorKind::UnsupportedHeader, "{extra}");
        }
        // Each refused for what it is, by name.
        let message = |extra: Value| {
            let mut value = extra;
            value["alg"] = json!("RS256");
            header(value, TypeRule::Lenient).unwrap_err().to_string()
        };
        assert_eq!(
            message(json!({ "crit": ["exp"] })),
            "critical header extensions (`crit`) are not supported"
        );
        assert_eq!(
            message(json!({ "b64": false })),
            "unencoded payloads (`b64`) are not supported"
        );
        assert_eq!(
            message(json!({ "enc": "A128GCM" })),
            "encrypted tokens (JWE) are not supported"
        );
    }

    #[test]
    fn refusals_of_typ_name_the_rule() {
        let refused = |typ: &str, rule| {
            header(json!({ "alg": "RS256", "typ": typ }), rule).unwrap_err().to_string()
        };
        assert_eq!(
            refused("JOSE", TypeRule::Rfc9068),
            "the token's `typ` must be `at+jwt` (RFC 9068)"
        );
        assert_eq!(
            refused("JOSE", TypeRule::Lenient),
            "the token's `typ` is not an access-token type"
        );
    }

    #[cfg(feature = "remote")]
    #[test]
    fn a_logout_token_may_say_logout_jwt_or_jwt_or_nothing() {
        for typ in [Some("logout+jwt"), Some("application/logout+jwt"), Some("JWT"), None] {
            let mut value = json!({ "alg": "RS256" });
            if let Some(typ) = typ {
                value["typ"] = json!(typ);
            }
            assert!(header(value, TypeRule::LogoutToken).is_ok(), "{typ:?}");
        }
        let error = header(json!({ "alg": "RS256", "typ": "at+jwt" }), TypeRule::LogoutToken);
        assert_eq!(error.unwrap_err().to_string(), "the logout token's `typ` must be `logout+jwt`");
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

    #[test]
    fn duplicates_and_depth_are_refused() {
        let parse = |text: &str| {
            Header::parse(text.as_bytes(), TypeRule::Lenient).unwrap_err().message().to_owned()
        };
        for text in [
            r#"{"alg":"RS256","alg":"none"}"#,
            r#"{"alg":"RS256","x":1,"x":2}"#,
            r#"{"alg":"RS256","crit":[],"crit":[]}"#,
            r#"{"alg":"RS256","\u0061lg":"HS256"}"#,
        ] {
            assert_eq!(parse(text), "the token header repeats a member name", "{text}");
        }
        let deep = format!(r#"{{"alg":"RS256","x":{}1{}}}"#, "[".repeat(20), "]".repeat(20));
        assert_eq!(parse(&deep), "the token nests JSON too deeply");
        assert_eq!(parse("[1]"), "the token header is not a JSON object");
    }
}
