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

use std::time::Duration;

use super::Verifier;
pub use super::revocation_set::RevocationStats;
use super::revocation_set::Revocations;
use crate::claims::{Claims, NumericDate};
use crate::error::Error;

/// How long a revocation is kept by default: the longest an access token is commonly valid.
pub const DEFAULT_REVOCATION_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How many revocations are kept by default.
pub const DEFAULT_MAX_REVOCATIONS: usize = 100_000;
/// The longest subject, session, `jti` or client id a logout token or security event may name,
/// and a revocation shared with other replicas may carry, in bytes.
pub const MAX_REVOCATION_VALUE_BYTES: usize = 1024;

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
    /// A token without `iat` cannot show that it was issued after: it is refused until the
    /// revocation is forgotten.
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

    /// With `moment` for "until now", when it names the tokens issued until now.
    #[cfg(feature = "remote")]
    pub(crate) fn until_if_now(mut self, moment: NumericDate) -> Self {
        if self.issued_until == IssuedUntil::Now {
            self.issued_until = IssuedUntil::At(moment);
        }
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
    ///
    /// With [shared revocations](crate::verifier::SharedRevocations), the revocation is also
    /// handed to the other replicas (see there for what is guaranteed when).
    pub fn revoke(&self, revocation: Revocation) {
        self.revoke_taken_at(revocation, self.inner.clock.now_secs());
    }

    /// [`revoke`](Self::revoke), kept for the window from `taken` (an event's `iat`, so that
    /// the same event posted again makes the same revocation, to the byte).
    pub(crate) fn revoke_taken_at(&self, revocation: Revocation, taken: u64) {
        let now = self.inner.clock.now_secs();
        let entry = self.inner.revocations.revoke(revocation, taken.min(now), now);
        #[cfg(feature = "remote")]
        if let Some(shared) = &self.inner.shared_revocations {
            shared.send(&entry, &self.inner.revocations);
        }
        #[cfg(not(feature = "remote"))]
        let _ = entry;
    }

    /// What the revocations have done.
    pub fn revocation_stats(&self) -> RevocationStats {
        self.inner.revocations.stats()
    }
}
