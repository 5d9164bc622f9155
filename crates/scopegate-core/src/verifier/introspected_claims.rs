//! The claims of an active introspection answer (RFC 7662 section 2.2), under the rules a JWT
//! of the same issuer gets where the member is present, and refused when the answer says the
//! token is not an access token.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::issuer::IssuerEntry;
use super::rules::{Rules, Source};
use crate::claims::{Claims, UnverifiedPayload, VerifiedPayload};
use crate::error::{Error, ErrorKind};

/// The claims of an active answer, under the rules a JWT of `issuer` gets where the member
/// is present (and, in strict RFC 9068 mode, the same required members).
pub(super) fn claims_from(
    mut members: Map<String, Value>,
    issuer: &IssuerEntry,
    rules: &Rules,
    now: u64,
    allow_missing_audience: bool,
) -> Result<Claims, Error> {
    let invalid = |kind, message: &'static str| Error::new(kind, message);
    match members.get("iss") {
        None => {}
        Some(Value::String(iss)) if **iss == *issuer.issuer => {}
        Some(_) => {
            return Err(invalid(
                ErrorKind::UntrustedIssuer,
                "the introspected token names another issuer",
            ));
        }
    }
    refuse_other_kinds(&members)?;
    // RFC 9449 section 6.2: a DPoP-bound token is `DPoP` if typed, and carries `cnf.jkt`.
    let bound = members.get("cnf").is_some_and(|cnf| cnf.get("jkt").is_some());
    match members.remove("token_type") {
        None => {}
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("dpop") && !bound => {
            return Err(invalid(ErrorKind::InvalidClaim, "a DPoP token must carry `cnf.jkt`"));
        }
        Some(Value::String(kind)) if bound && !kind.eq_ignore_ascii_case("dpop") => {
            return Err(invalid(
                ErrorKind::InvalidTokenType,
                "a DPoP-bound token must have the `DPoP` type",
            ));
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(Error::invalid_claim("token_type", "a string")),
    }
    let payload = UnverifiedPayload::from_object(members, &issuer.issuer)?;
    let payload = VerifiedPayload::new(payload, Arc::clone(&issuer.issuer), &issuer.mapping)?;
    rules.check(payload, issuer, now, Source::Introspection { allow_missing_audience })
}

/// The names authorization servers give tokens that are not access tokens, in the members
/// they use for it: RFC 7662's `token_type` (and RFC 8693's token type URIs), Keycloak's
/// `typ` (`ID`, `Refresh`, `Offline`), Cognito's `token_use` (`id`).
const NOT_ACCESS_TOKENS: [&str; 10] = [
    "id",
    "id_token",
    "serialized-id",
    "refresh",
    "refresh_token",
    "offline",
    "logout",
    "logout+jwt",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:refresh_token",
];

/// Refuses an answer whose `token_type`, `typ` or `token_use` names another kind of token
/// (compared case-insensitively); Cognito's `token_use` must be `access` when present.
fn refuse_other_kinds(members: &Map<String, Value>) -> Result<(), Error> {
    for name in ["token_type", "typ", "token_use"] {
        let Some(value) = members.get(name) else { continue };
        let Value::String(kind) = value else {
            return Err(Error::invalid_claim(name, "a string"));
        };
        let other_kind = NOT_ACCESS_TOKENS.iter().any(|other| kind.eq_ignore_ascii_case(other))
            || (name == "token_use" && !kind.eq_ignore_ascii_case("access"));
        if other_kind {
            return Err(Error::new(
                ErrorKind::InvalidTokenType,
                format!("the introspected token is not an access token (`{name}`)"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(member: &str, value: Value) -> Result<(), ErrorKind> {
        let mut members = Map::new();
        members.insert(member.to_owned(), value);
        refuse_other_kinds(&members).map_err(|error| error.kind())
    }

    #[test]
    fn answers_naming_other_kinds_of_token_are_refused() {
        for (member, value) in [
            ("token_type", "refresh_token"),
            ("token_type", "Refresh_Token"),
            ("token_type", "id_token"),
            ("token_type", "urn:ietf:params:oauth:token-type:id_token"),
            ("typ", "ID"),
            ("typ", "Refresh"),
            ("typ", "Offline"),
            ("typ", "Serialized-ID"),
            ("typ", "id"),
            ("token_use", "id"),
            ("token_use", "refresh"),
        ] {
            assert_eq!(
                kind_of(member, Value::from(value)),
                Err(ErrorKind::InvalidTokenType),
                "{member}: {value}"
            );
        }
        for (member, value) in [
            ("token_type", "Bearer"),
            ("token_type", "DPoP"),
            ("token_type", "access_token"),
            ("typ", "Bearer"),
            ("typ", "at+jwt"),
            ("token_use", "access"),
        ] {
            assert_eq!(kind_of(member, Value::from(value)), Ok(()), "{member}: {value}");
        }
        assert_eq!(kind_of("typ", Value::from(1)), Err(ErrorKind::InvalidClaim));
    }
}
