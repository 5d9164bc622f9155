//! Revocations: tokens the verifier stops honouring before they expire, because their subject
//! logged out, their session ended, their client was disabled, or they were revoked one by one.
//!
//! A [`Revocation`] names tokens by subject (`iss` + `sub`, those issued until a moment), by
//! session (`sid`), by token (`jti`) or by client (`client_id`). It is kept as long as a token it
//! names could still be valid (the verifier's revocation window), then forgotten. The set is
//! bounded; when it is full, the verifier refuses by time instead of dropping a revocation:
//! every token of the revocation's issuer issued before the overflow is refused until the
//! window has passed.
//!
//! ```
//! use scopegate_core::{ErrorKind, Revocation};
//!
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let verifier = issuer.verifier();
//! let token = issuer.token().subject("alice").sign();
//! assert!(verifier.verify_now(&token).into_ready().unwrap().is_ok());
//! verifier.revoke(Revocation::subject(issuer.issuer(), "alice"));
//! let error = verifier.verify_now(&token).into_ready().unwrap().unwrap_err();
//! assert_eq!(error.kind(), ErrorKind::TokenRevoked);
//! assert!(verifier.cached(&token).is_none());
//! ```

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use serde_json::Value;

use super::Verifier;
use crate::claims::{Claims, NumericDate};

/// Maps hashed with foldhash (seeded per process), a third of SipHash's cost for short keys:
/// every request that is not revoked looks its token up in them.
type HashMap<K, V> = std::collections::HashMap<K, V, quick_cache::DefaultHashBuilder>;
use crate::error::{Error, ErrorKind};
use crate::telemetry::{self, RevocationEvent};

/// How long a revocation is kept by default: the longest an access token is commonly valid.
pub const DEFAULT_REVOCATION_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How many revocations are kept by default.
pub const DEFAULT_MAX_REVOCATIONS: usize = 100_000;

/// Tokens to stop honouring. See the [module docs](self). Its `Debug` names the issuer and the
/// kind, never the subject, session, `jti` or client.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct Revocation {
    pub(crate) issuer: Box<str>,
    pub(crate) target: Target,
    pub(crate) issued_until: IssuedUntil,
}

/// Which tokens of the target a revocation names, by their `iat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IssuedUntil {
    /// Every token (a session or a `jti` is never reused).
    Always,
    /// Those issued at or before the moment the verifier takes the revocation (by its clock).
    Now,
    /// Those issued at or before this moment.
    At(NumericDate),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Subject,
    /// The subject's tokens that name no session (`sid`): with a session revoked, the tokens
    /// of the same login that do not say which session they belong to.
    SessionlessSubject,
    Session,
    Token,
    Client,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) kind: Kind,
    pub(crate) value: Box<str>,
}

impl Revocation {
    /// Every token of `subject` at `issuer` issued until now (a user who logged out of every
    /// session, or whose account was disabled): tokens issued after it still pass.
    pub fn subject(issuer: &str, subject: &str) -> Self {
        Self::new(issuer, Kind::Subject, subject, IssuedUntil::Now)
    }

    /// The tokens of `subject` at `issuer` that carry no `sid`, issued until now: beside a
    /// session's revocation, the tokens of that login that do not say their session.
    pub fn sessionless_subject(issuer: &str, subject: &str) -> Self {
        Self::new(issuer, Kind::SessionlessSubject, subject, IssuedUntil::Now)
    }

    /// Every token of the session `sid` at `issuer` (OpenID Connect's `sid` claim).
    pub fn session(issuer: &str, sid: &str) -> Self {
        Self::new(issuer, Kind::Session, sid, IssuedUntil::Always)
    }

    /// The token whose `jti` is `jwt_id` at `issuer`.
    pub fn token(issuer: &str, jwt_id: &str) -> Self {
        Self::new(issuer, Kind::Token, jwt_id, IssuedUntil::Always)
    }

    /// Every token issued to the client `client_id` at `issuer` until now (a client whose
    /// credentials leaked): tokens whose `client_id`, or else `azp`, names it.
    pub fn client(issuer: &str, client_id: &str) -> Self {
        Self::new(issuer, Kind::Client, client_id, IssuedUntil::Now)
    }

    /// Names only the tokens issued (`iat`) at or before `moment` (for a subject or a client;
    /// a credential change at a known time, say).
    pub fn issued_until(mut self, moment: NumericDate) -> Self {
        self.issued_until = IssuedUntil::At(moment);
        self
    }

    /// The issuer whose tokens it names.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn new(issuer: &str, kind: Kind, value: &str, issued_until: IssuedUntil) -> Self {
        Self { issuer: issuer.into(), target: Target { kind, value: value.into() }, issued_until }
    }
}

impl std::fmt::Debug for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocation")
            .field("issuer", &self.issuer)
            .field("kind", &self.target.kind)
            .field("issued_until", &self.issued_until)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// `claims`, unless a revocation names their token.
    pub(super) fn unrevoked(&self, claims: Claims) -> Result<Claims, Error> {
        let inner = &*self.inner;
        // Without revocations (the common case), the clock is not even read.
        if !inner.revocations.is_empty() && inner.revocations.names(&claims, inner.clock.now_secs())
        {
            Err(Revocations::error())
        } else {
            Ok(claims)
        }
    }

    /// Stops honouring the tokens `revocation` names, however they arrive (cached, verified
    /// again, introspected, with a DPoP proof, to be exchanged), until the revocation window
    /// has passed (see the [revocation module](crate::verifier::revocation)).
    pub fn revoke(&self, revocation: Revocation) {
        self.inner.revocations.revoke(revocation, self.inner.clock.now_secs());
    }

    /// What the revocations have done.
    pub fn revocation_stats(&self) -> RevocationStats {
        self.inner.revocations.stats()
    }
}

/// One kept revocation: until when it is kept, and which tokens it names.
#[derive(Clone, Copy)]
struct Kept {
    until: u64,
    issued_until: Option<u64>,
}

impl Kept {
    fn names(self, issued_at: Option<NumericDate>, now: u64) -> bool {
        now < self.until
            && self
                .issued_until
                .is_none_or(|limit| issued_at.is_none_or(|iat| iat.as_secs() <= limit))
    }
}

/// One issuer's revocations, by kind.
#[derive(Default)]
struct OfIssuer {
    subjects: HashMap<Box<str>, Kept>,
    sessionless: HashMap<Box<str>, Kept>,
    sessions: HashMap<Box<str>, Kept>,
    tokens: HashMap<Box<str>, Kept>,
    clients: HashMap<Box<str>, Kept>,
    /// After an overflow of this issuer's revocations: its tokens issued at or before `.0`
    /// are refused until `.1`.
    overflow: Option<(u64, u64)>,
}

impl OfIssuer {
    fn map(&mut self, kind: Kind) -> &mut HashMap<Box<str>, Kept> {
        match kind {
            Kind::Subject => &mut self.subjects,
            Kind::SessionlessSubject => &mut self.sessionless,
            Kind::Session => &mut self.sessions,
            Kind::Token => &mut self.tokens,
            Kind::Client => &mut self.clients,
        }
    }

    fn len(&self) -> usize {
        self.subjects.len()
            + self.sessionless.len()
            + self.sessions.len()
            + self.tokens.len()
            + self.clients.len()
    }

    fn names(&self, claims: &Claims, now: u64) -> bool {
        let issued_at = claims.issued_at();
        let kept = |map: &HashMap<Box<str>, Kept>, value: Option<&str>| {
            !map.is_empty()
                && value
                    .and_then(|value| map.get(value))
                    .is_some_and(|kept| kept.names(issued_at, now))
        };
        let sid = claims.custom().get("sid").and_then(Value::as_str);
        kept(&self.subjects, claims.subject())
            || (sid.is_none() && kept(&self.sessionless, claims.subject()))
            || kept(&self.sessions, sid)
            || kept(&self.tokens, claims.jwt_id())
            || kept(&self.clients, claims.client_id().or(claims.authorized_party()))
            || self.overflowed(issued_at, now)
    }

    /// After this issuer's revocations overflowed: its tokens issued until then.
    fn overflowed(&self, issued_at: Option<NumericDate>, now: u64) -> bool {
        self.overflow.is_some_and(|(at, until)| {
            now < until && issued_at.is_none_or(|iat| iat.as_secs() <= at)
        })
    }

    fn forget_expired(&mut self, now: u64) {
        let kinds =
            [Kind::Subject, Kind::SessionlessSubject, Kind::Session, Kind::Token, Kind::Client];
        for kind in kinds {
            self.map(kind).retain(|_, kept| now < kept.until);
        }
        if self.overflow.is_some_and(|(_, until)| now >= until) {
            self.overflow = None;
        }
    }
}

/// What the revocations have done, for stats and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationStats {
    /// Revocations kept now.
    pub kept: usize,
    /// Revocations received (by any way).
    pub received: u64,
    /// Tokens refused because a revocation names them.
    pub refused: u64,
    /// Times the set was full and the verifier refused by time instead.
    pub overflows: u64,
}

/// The revocations a verifier keeps.
pub(crate) struct Revocations {
    issuers: RwLock<HashMap<Box<str>, OfIssuer>>,
    /// How many are kept: the hot path reads only this while there are none.
    count: AtomicUsize,
    window: u64,
    capacity: usize,
    received: AtomicU64,
    refused: AtomicU64,
    overflows: AtomicU64,
}

impl Revocations {
    pub(crate) fn new(window: Duration, capacity: usize) -> Self {
        Self {
            issuers: RwLock::new(HashMap::default()),
            count: AtomicUsize::new(0),
            window: window.as_secs().max(1),
            capacity: capacity.max(1),
            received: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            overflows: AtomicU64::new(0),
        }
    }

    /// Keeps `revocation` for the window from `now`.
    pub(crate) fn revoke(&self, revocation: Revocation, now: u64) {
        self.received.fetch_add(1, Ordering::Relaxed);
        let mut issuers = self.issuers.write().unwrap_or_else(PoisonError::into_inner);
        let mut count: usize = issuers.values().map(OfIssuer::len).sum();
        if count >= self.capacity {
            issuers.values_mut().for_each(|of| of.forget_expired(now));
            issuers.retain(|_, of| of.len() > 0 || of.overflow.is_some());
            count = issuers.values().map(OfIssuer::len).sum();
        }
        if count >= self.capacity {
            // Full of live revocations: refuse this issuer's tokens by time rather than drop
            // one (the other issuers' tokens are not its to refuse).
            self.overflows.fetch_add(1, Ordering::Relaxed);
            telemetry::revocation(RevocationEvent::Overflow);
            let of = issuers.entry(revocation.issuer).or_default();
            of.overflow = Some((now, now.saturating_add(self.window)));
            self.count.store(count.max(1), Ordering::Release);
            return;
        }
        let kept = Kept {
            until: now.saturating_add(self.window),
            issued_until: match revocation.issued_until {
                IssuedUntil::Always => None,
                IssuedUntil::Now => Some(now),
                IssuedUntil::At(moment) => Some(moment.as_secs()),
            },
        };
        let of = issuers.entry(revocation.issuer).or_default();
        of.map(revocation.target.kind).insert(revocation.target.value, kept);
        telemetry::revocation(RevocationEvent::Applied);
        let count: usize = issuers.values().map(OfIssuer::len).sum();
        self.count.store(count, Ordering::Release);
    }

    /// Whether none is kept: the hot path reads only this.
    pub(crate) fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// Whether a kept revocation names the token of `claims` at `now`.
    pub(crate) fn names(&self, claims: &Claims, now: u64) -> bool {
        if self.is_empty() {
            return false;
        }
        let named = self
            .issuers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(claims.issuer())
            .is_some_and(|of| of.names(claims, now));
        if named {
            self.refused.fetch_add(1, Ordering::Relaxed);
            telemetry::revocation(RevocationEvent::Refused);
        }
        named
    }

    /// The refusal of a revoked token.
    pub(crate) fn error() -> Error {
        Error::new(ErrorKind::TokenRevoked, "the token was revoked")
    }

    pub(crate) fn stats(&self) -> RevocationStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let issuers = self.issuers.read().unwrap_or_else(PoisonError::into_inner);
        RevocationStats {
            kept: issuers.values().map(OfIssuer::len).sum(),
            received: load(&self.received),
            refused: load(&self.refused),
            overflows: load(&self.overflows),
        }
    }
}
