//! Security Event Tokens (RFC 8417) pushed to this API (RFC 8935): the Shared Signals events
//! that end sessions and accounts (CAEP `session-revoked` and `credential-change`, RISC
//! `account-disabled`, `account-purged` and `sessions-revoked`), verified like logout tokens
//! (signed by a configured issuer's keys, `typ` `secevent+jwt`, `aud` this API, recent,
//! single-use) and turned into revocations.
//!
//! The subject is read from `sub_id` (Shared Signals 1.0) or the event's `subject`, in the
//! formats of RFC 9493 that name tokens: `iss_sub` (whose `iss` must be the SET's own issuer:
//! an issuer revokes only its own subjects), `opaque` (a subject of the SET's issuer), and
//! `complex` with a `session` (for `session-revoked`: that session only) or a `user`. Other
//! formats (`email`, `phone_number`) cannot be matched to a token and are refused. A
//! `credential-change` whose `change_type` is `create` revokes nothing.
//!
//! ```
//! use serde_json::json;
//! use scopegate_core::Revocation;
//! use scopegate_core::security_event::ACCOUNT_DISABLED;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), scopegate_core::Error> {
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let verifier = issuer.verifier();
//! let sent_at = scopegate_core::NumericDate::now();
//! let set = issuer.token().typ("secevent+jwt").without_claim("scope").claim("jti", "set-1")
//!     .claim("iat", sent_at.as_secs())
//!     .claim("sub_id", json!({"format": "iss_sub", "iss": issuer.issuer(), "sub": "alice"}))
//!     .claim("events", json!({ ACCOUNT_DISABLED: {"reason": "hijacking"} })).sign();
//! let revoked = verifier.accept_security_event(&set).await?;
//! // Alice's tokens issued until the event, by the transmitter's clock.
//! assert_eq!(revoked, Some(Revocation::subject(issuer.issuer(), "alice").issued_until(sent_at)));
//! # Ok(())
//! # }
//! ```

use serde_json::{Map, Value};

use super::Verifier;
use super::revocation::{MAX_REVOCATION_VALUE_BYTES, Revocation};
use super::signed_event::EventRules;
use crate::claims::NumericDate;
use crate::error::{Error, ErrorKind};
use crate::jose::TypeRule;

/// CAEP: a session ended.
pub const SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
/// CAEP: a credential of the subject changed (password reset, key revoked).
pub const CREDENTIAL_CHANGE: &str =
    "https://schemas.openid.net/secevent/caep/event-type/credential-change";
/// RISC: the account was disabled.
pub const ACCOUNT_DISABLED: &str =
    "https://schemas.openid.net/secevent/risc/event-type/account-disabled";
/// RISC: the account was deleted.
pub const ACCOUNT_PURGED: &str =
    "https://schemas.openid.net/secevent/risc/event-type/account-purged";
/// RISC: every session of the account was ended.
pub const SESSIONS_REVOKED: &str =
    "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked";
/// The events acted on.
pub const SUPPORTED_EVENTS: [&str; 5] =
    [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED, ACCOUNT_PURGED, SESSIONS_REVOKED];
/// The oldest a pushed SET may be (`iat`), before the leeway: a transmitter retries for a while.
pub const MAX_SECURITY_EVENT_AGE: u64 = 3600;

const RULES: EventRules = EventRules {
    type_rule: TypeRule::SecurityEvent,
    max_age: MAX_SECURITY_EVENT_AGE,
    what: "security event",
};

/// The RFC 8935 section 2.4 error code (`err`) of a SET refused with `error`; `None` when the
/// SET was not refused for what it is but because its keys cannot be had now (answer `503`).
pub fn push_error_code(error: &Error) -> Option<&'static str> {
    match error.kind() {
        ErrorKind::KeySourceUnavailable | ErrorKind::ReplayStoreUnavailable => None,
        ErrorKind::UntrustedIssuer => Some("invalid_issuer"),
        ErrorKind::InvalidAudience => Some("invalid_audience"),
        ErrorKind::UnknownKey | ErrorKind::InvalidSignature | ErrorKind::DisallowedAlgorithm => {
            Some("invalid_key")
        }
        _ => Some("invalid_request"),
    }
}

impl Verifier {
    /// Verifies a pushed Security Event Token and revokes what its event names. Returns the
    /// revocation applied (`None` for an event that revokes nothing: a credential created).
    /// See the [module docs](crate::security_event).
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the rule the SET broke (see [`push_error_code`] for its RFC 8935
    /// code), or [`ErrorKind::KeySourceUnavailable`] when the issuer's keys cannot be had.
    pub async fn accept_security_event(&self, set: &str) -> Result<Option<Revocation>, Error> {
        // Every rule, the subject's included, before the signature: what the event revokes is
        // read once, there. (`iss` is the configured issuer the reader found by it.)
        let read = |claims: &Map<String, Value>| {
            let (kind, body) = event_of(claims)?;
            let subject = claims.get("sub_id").or_else(|| body.get("subject"));
            let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
            let revocation = revocation_of(issuer, kind, subject)?;
            let change = body.get("change_type").and_then(Value::as_str);
            let created = kind == CREDENTIAL_CHANGE && change == Some("create");
            Ok((!created).then_some(revocation))
        };
        let (event, revocation) = self.read_signed_event(set, &RULES, read).await?;
        // A subject's or client's tokens issued until the event, by the transmitter's clock
        // (which also wrote their `iat`): the same SET posted again names the same tokens.
        let revocation = revocation
            .map(|revocation| revocation.until_if_now(NumericDate::from_secs(event.issued_at)));
        if let Some(revocation) = &revocation {
            self.revoke_taken_at(revocation.clone(), event.issued_at);
        }
        self.first_time_everywhere(&event).await?;
        Ok(revocation)
    }
}

/// The one supported event of the SET, and its body.
fn event_of(claims: &Map<String, Value>) -> Result<(&str, &Map<String, Value>), Error> {
    let events = claims.get("events").and_then(Value::as_object);
    let mut events = events.into_iter().flatten();
    match (events.next(), events.next()) {
        (Some((kind, Value::Object(body))), None) if SUPPORTED_EVENTS.contains(&kind.as_str()) => {
            let subject = claims.get("sub_id").or_else(|| body.get("subject"));
            if subject.is_none() {
                return Err(Error::missing_claim("sub_id"));
            }
            Ok((kind, body))
        }
        _ => Err(Error::invalid_claim(
            "events",
            "one event this API acts on (CAEP session-revoked or credential-change, RISC \
             account-disabled, account-purged or sessions-revoked), with an object",
        )),
    }
}

/// The non-empty string member `name` of `object`.
fn text<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v str> {
    object.get(name).and_then(Value::as_str).filter(|text| !text.is_empty())
}

/// What the event revokes, from its subject identifier (RFC 9493).
fn revocation_of(issuer: &str, kind: &str, subject: Option<&Value>) -> Result<Revocation, Error> {
    let revocation = named_by(issuer, kind, subject)?;
    if revocation.target.value.len() > MAX_REVOCATION_VALUE_BYTES {
        return Err(Error::invalid_claim("sub_id", "identifiers of at most 1024 bytes"));
    }
    Ok(revocation)
}

/// What the event's subject identifier names, whatever its length.
fn named_by(issuer: &str, kind: &str, subject: Option<&Value>) -> Result<Revocation, Error> {
    let unsupported =
        || Error::invalid_claim("sub_id", "a subject of format iss_sub, opaque or complex");
    let subject = subject.and_then(Value::as_object).ok_or_else(unsupported)?;
    let user = |object: &Map<String, Value>| match text(object, "format") {
        Some("iss_sub") => match (text(object, "iss"), text(object, "sub")) {
            (Some(iss), Some(sub)) if iss == issuer => Ok(Revocation::subject(iss, sub)),
            (Some(_), Some(_)) => {
                Err(Error::invalid_claim("sub_id", "a subject of the security event's own issuer"))
            }
            _ => Err(unsupported()),
        },
        Some("opaque") => {
            text(object, "id").map(|id| Revocation::subject(issuer, id)).ok_or_else(unsupported)
        }
        _ => Err(unsupported()),
    };
    if text(subject, "format") != Some("complex") {
        return user(subject);
    }
    let session = subject.get("session").and_then(Value::as_object);
    let session_id = session.filter(|session| text(session, "format") == Some("opaque"));
    match (kind, session_id.and_then(|session| text(session, "id"))) {
        (SESSION_REVOKED, Some(sid)) => Ok(Revocation::session(issuer, sid)),
        _ => subject.get("user").and_then(Value::as_object).ok_or_else(unsupported).and_then(user),
    }
}
