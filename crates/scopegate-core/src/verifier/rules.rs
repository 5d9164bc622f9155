//! The claim checks every token must pass once its signature holds.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::issuer::IssuerEntry;
use crate::claims::{Audience, Claims, StringClaim, VerifiedPayload};
use crate::error::{Error, ErrorKind};
use crate::jose::TypeRule;

/// Default clock leeway.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// The largest leeway a verifier accepts.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// Default cap on the size of a token, in bytes.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Where the claims come from: a signed token, or the issuer's introspection answer, whose
/// `exp` RFC 7662 makes optional (and whose `aud` may be, by configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Jwt,
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    Introspection {
        allow_missing_audience: bool,
    },
}

/// The settings shared by every issuer of a verifier.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub(crate) leeway: u64,
    pub(crate) max_age: Option<u64>,
    pub(crate) rfc9068: bool,
    pub(crate) max_token_bytes: usize,
}

impl Rules {
    /// Until when (seconds since the epoch, exclusive) verified `claims` stay acceptable: the
    /// bound a cache entry must respect.
    pub(crate) fn valid_until(&self, claims: &Claims) -> u64 {
        let expiry =
            claims.expires_at().map_or(u64::MAX, |exp| exp.as_secs().saturating_add(self.leeway));
        match (self.max_age, claims.issued_at()) {
            (Some(max_age), Some(issued_at)) => expiry.min(
                issued_at
                    .as_secs()
                    .saturating_add(max_age)
                    .saturating_add(self.leeway)
                    .saturating_add(1),
            ),
            _ => expiry,
        }
    }

    pub(crate) fn type_rule(&self) -> TypeRule {
        if self.rfc9068 { TypeRule::Rfc9068 } else { TypeRule::Lenient }
    }

    /// Checks the registered claims of a payload whose signature verified with `issuer`'s
    /// keys, at time `now` (seconds since the epoch).
    pub(crate) fn check(
        &self,
        mut payload: VerifiedPayload,
        issuer: &IssuerEntry,
        now: u64,
        source: Source,
    ) -> Result<Claims, Error> {
        // A logout token or a security event is signed by the same keys for the same audience,
        // and may carry `sub` and `exp`: its `events` claim tells it from an access token.
        if payload.custom.contains_key("events") {
            let message = "a logout token or security event is not an access token";
            return Err(Error::new(ErrorKind::InvalidTokenType, message));
        }
        // The same members are required of an introspection answer in strict mode.
        if self.rfc9068 {
            let required = [
                ("sub", payload.strings.get(StringClaim::Subject).is_some()),
                ("client_id", payload.strings.get(StringClaim::ClientId).is_some()),
                ("iat", payload.issued_at.is_some()),
                ("jti", payload.strings.get(StringClaim::JwtId).is_some()),
            ];
            if let Some((name, _)) = required.iter().find(|(_, present)| !present) {
                return Err(Error::missing_claim(name));
            }
        }
        let audience = match (&issuer.cognito_clients, payload.audience.take(), source) {
            (Some(clients), _, _) => {
                check_cognito(&payload, clients)?;
                Audience::Many(Vec::new())
            }
            (None, None, Source::Introspection { allow_missing_audience: true }) => {
                Audience::Many(Vec::new())
            }
            (None, audience, _) => check_audience(audience, &issuer.audiences)?,
        };
        let expires_at = match (payload.expires_at, source) {
            (None, Source::Jwt) => return Err(Error::missing_claim("exp")),
            (expires_at, _) => expires_at,
        };
        let leeway = self.leeway;
        // RFC 7519 section 4.1.4: valid only while the current time is before `exp`.
        if expires_at.is_some_and(|exp| now >= exp.as_secs().saturating_add(leeway)) {
            return Err(Error::new(ErrorKind::Expired, "the token has expired"));
        }
        if payload.not_before.is_some_and(|nbf| nbf.as_secs() > now.saturating_add(leeway)) {
            return Err(Error::new(ErrorKind::NotYetValid, "the token is not valid yet (`nbf`)"));
        }
        if payload.issued_at.is_some_and(|iat| iat.as_secs() > now.saturating_add(leeway)) {
            return Err(Error::new(
                ErrorKind::IssuedInFuture,
                "the token was issued in the future (`iat`)",
            ));
        }
        if let Some(max_age) = self.max_age {
            let issued_at = payload.issued_at.ok_or_else(|| Error::missing_claim("iat"))?;
            if now > issued_at.as_secs().saturating_add(max_age).saturating_add(leeway) {
                return Err(Error::new(
                    ErrorKind::TooOld,
                    "the token is older than this resource accepts",
                ));
            }
        }
        let policy = Arc::clone(&issuer.policy);
        Ok(payload.into_claims(expires_at, audience, policy, issuer.tenant.clone()))
    }
}

/// AWS Cognito access tokens: `token_use` is `access` and `client_id` is an allowed app client.
fn check_cognito(payload: &VerifiedPayload, clients: &[Box<str>]) -> Result<(), Error> {
    if payload.custom.get("token_use").and_then(Value::as_str) != Some("access") {
        return Err(Error::new(
            ErrorKind::InvalidTokenType,
            "the token is not an access token (`token_use`)",
        ));
    }
    match payload.strings.get(StringClaim::ClientId) {
        None => Err(Error::missing_claim("client_id")),
        Some(client) if clients.iter().any(|allowed| &**allowed == client) => Ok(()),
        Some(_) => Err(Error::new(
            ErrorKind::InvalidAudience,
            "the token's app client (`client_id`) may not call this resource",
        )),
    }
}

fn check_audience(audience: Option<Audience>, ours: &[Box<str>]) -> Result<Audience, Error> {
    let audience = audience.ok_or_else(|| Error::missing_claim("aud"))?;
    if ours.iter().any(|ours| audience.contains(ours)) {
        Ok(audience)
    } else {
        Err(Error::new(
            ErrorKind::InvalidAudience,
            "the token was not issued for this resource (`aud`)",
        ))
    }
}
