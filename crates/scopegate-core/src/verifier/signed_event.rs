//! What logout tokens and Security Event Tokens share: a JWT an identity provider signs and
//! posts to this API, verified with the keys of a configured issuer, fresh, meant for this API,
//! and single-use.
//!
//! Cheap before costly: the size cap, the shape, the header (`typ`, the issuer's `alg`
//! allowlist), `aud`, `iat`, `exp`, `jti` and the event's own rules are checked before the
//! signature; the keys are fetched only for a token that passed all of that; the `jti` is
//! remembered only once the signature holds.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};

use super::Verifier;
use super::signed_answer::AnswerKeys;
use crate::error::{Error, ErrorKind};
use crate::jose::{self, CompactToken, Header, TypeRule};
use crate::json;

/// The largest event token read, in bytes.
pub const MAX_EVENT_TOKEN_BYTES: usize = 16 * 1024;
/// How many event tokens' `jti`s are remembered; when full of live ones, new tokens are refused
/// rather than a replay let through.
const MAX_REMEMBERED: usize = 100_000;

/// What kind of event token is read, and its rules.
pub(crate) struct EventRules {
    pub(crate) type_rule: TypeRule,
    /// The oldest the token may be (`iat`), before the leeway.
    pub(crate) max_age: u64,
    /// What the token is called in messages.
    pub(crate) what: &'static str,
}

/// A verified event token: its issuer (one of the configured ones), its claims, and when it
/// was issued.
pub(crate) struct SignedEvent {
    pub(crate) issuer: Arc<str>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) issued_at: u64,
    /// Its `jti`, and until when it could be accepted again (so must be remembered).
    jti: Box<str>,
    remember_until: u64,
}

/// The `jti`s of the event tokens accepted, until they are too old to be accepted again.
#[derive(Default)]
pub(crate) struct SeenEvents(Mutex<HashMap<[u8; 32], u64>>);

impl SeenEvents {
    /// Remembers `key` until `until`; refuses it when it was seen already (a replay), or when
    /// the memory is full of live entries.
    /// `key` is the SHA-256 of the issuer and the `jti`: 32 bytes an entry, however long the
    /// `jti`.
    fn first_time(&self, key: [u8; 32], until: u64, now: u64) -> Result<(), Error> {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.get(&key).is_some_and(|&kept| now < kept) {
            return Err(Error::invalid_claim("jti", "a token not seen before"));
        }
        if seen.len() >= MAX_REMEMBERED {
            seen.retain(|_, kept| now < *kept);
            if seen.len() >= MAX_REMEMBERED {
                let message = "too many event tokens at once; try again shortly";
                return Err(Error::new(ErrorKind::ReplayStoreUnavailable, message));
            }
        }
        seen.insert(key, until);
        Ok(())
    }
}

impl Verifier {
    /// Verifies an event token under `rules`, with `check` for the event's own claim rules
    /// (run before the signature; what it reads is returned beside the event), and remembers
    /// its `jti`.
    pub(crate) async fn read_signed_event<T>(
        &self,
        token: &str,
        rules: &EventRules,
        check: impl FnOnce(&Map<String, Value>) -> Result<T, Error>,
    ) -> Result<(SignedEvent, T), Error> {
        let inner = &*self.inner;
        let now = inner.clock.now_secs();
        let leeway = inner.rules.leeway;
        if token.len() > MAX_EVENT_TOKEN_BYTES {
            let message = "the token is larger than this resource accepts";
            return Err(Error::new(ErrorKind::TokenTooLarge, message));
        }
        let parts = CompactToken::split(token.trim_ascii())?;
        let header =
            Header::parse(&jose::decode_segment(parts.header, "header")?, rules.type_rule)?;
        let claims = json::parse_object(&jose::decode_segment(parts.payload, "payload")?)
            .map_err(|_| Error::malformed("the token's payload is not a JSON object"))?;
        let issuer =
            claims.get("iss").and_then(Value::as_str).and_then(|iss| inner.issuers.get(iss));
        let Some(issuer) = issuer else {
            let message = format!("the {}'s issuer is not trusted", rules.what);
            return Err(Error::new(ErrorKind::UntrustedIssuer, message));
        };
        if !issuer.algorithms.contains(header.algorithm) {
            let message = format!("the {}'s `alg` is not allowed for its issuer", rules.what);
            return Err(Error::new(ErrorKind::DisallowedAlgorithm, message));
        }
        let audiences = match &issuer.event_audience {
            Some(audience) => std::slice::from_ref(audience),
            None => &issuer.audiences[..],
        };
        let (jti, issued_at, expires) = check_common(&claims, audiences, rules, now, leeway)?;
        let read = check(&claims)?;
        let signature = jose::decode_segment(parts.signature, "signature")?;
        let keys = AnswerKeys::of(&issuer.keys);
        keys.check(&header, parts.signing_input.as_bytes(), &signature).await?;
        // Remembered for as long as it could be accepted: past its `iat` window and its `exp`.
        let accepted_until = issued_at.max(now).saturating_add(rules.max_age);
        let until = accepted_until.max(expires.unwrap_or(0)).saturating_add(leeway + 1);
        let key = crate::crypto::sha256(format!("{}\u{0}{jti}", issuer.issuer).as_bytes());
        inner.seen_events.first_time(key, until, now)?;
        let event = SignedEvent {
            issuer: Arc::clone(&issuer.issuer),
            jti: jti.into(),
            remember_until: until,
            claims,
            issued_at,
        };
        Ok((event, read))
    }

    /// Refuses `event` when another replica accepted it before, through the shared store (when
    /// revocations are shared). Called once the event's revocations are applied here: a
    /// replay changes nothing (their moments come from the token, not from when it arrives),
    /// and a request dropped before this point leaves the `jti` free for the provider's retry
    /// elsewhere. When the store fails, this replica's own memory stands (counted).
    pub(crate) async fn first_time_everywhere(&self, event: &SignedEvent) -> Result<(), Error> {
        let inner = &*self.inner;
        let Some(sharing) = &inner.shared_revocations else { return Ok(()) };
        let now = inner.clock.now_secs();
        let ttl = std::time::Duration::from_secs(event.remember_until.saturating_sub(now).max(1));
        let key = sharing.event_key(&event.issuer, &event.jti);
        match sharing.store.first_time(key, ttl).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::invalid_claim("jti", "a token not seen before")),
            Err(reason) => {
                inner.revocations.shared_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(reason, "the shared store of event tokens failed");
                Ok(())
            }
        }
    }
}

/// `aud` one of the issuer's audiences, `iat` recent and not in the future, `exp` (when
/// present) not passed, `jti` present; returns the `jti`, `iat` and `exp`.
fn check_common<'c>(
    claims: &'c Map<String, Value>,
    audiences: &[Box<str>],
    rules: &EventRules,
    now: u64,
    leeway: u64,
) -> Result<(&'c str, u64, Option<u64>), Error> {
    let ours = |aud: &str| audiences.iter().any(|ours| &**ours == aud);
    let for_us = match claims.get("aud") {
        Some(Value::String(aud)) => ours(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(ours),
        _ => false,
    };
    if !for_us {
        let message = format!("the {}'s `aud` is not this API", rules.what);
        return Err(Error::new(ErrorKind::InvalidAudience, message));
    }
    let whole = |name: &str| Error::invalid_claim(name, "a whole number of seconds");
    let issued_at = claims.get("iat").and_then(Value::as_u64).ok_or_else(|| whole("iat"))?;
    if issued_at > now.saturating_add(leeway) {
        let message = format!("the {} was issued in the future (`iat`)", rules.what);
        return Err(Error::new(ErrorKind::IssuedInFuture, message));
    }
    if now > issued_at.saturating_add(rules.max_age).saturating_add(leeway) {
        let message = format!("the {} is not recent (`iat`)", rules.what);
        return Err(Error::new(ErrorKind::TooOld, message));
    }
    let expires = match claims.get("exp") {
        None => None,
        Some(exp) => Some(exp.as_u64().ok_or_else(|| whole("exp"))?),
    };
    if expires.is_some_and(|exp| now >= exp.saturating_add(leeway)) {
        let message = format!("the {} has expired", rules.what);
        return Err(Error::new(ErrorKind::Expired, message));
    }
    match claims.get("jti") {
        Some(Value::String(jti)) if !jti.is_empty() => Ok((jti.as_str(), issued_at, expires)),
        Some(_) => Err(Error::invalid_claim("jti", "a string")),
        None => Err(Error::missing_claim("jti")),
    }
}
