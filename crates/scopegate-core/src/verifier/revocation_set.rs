//! The revocations a verifier keeps: per issuer, per kind, each until its time; bounded, and
//! refusing by time when full rather than dropping one.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use serde_json::Value;

use super::revocation::{IssuedUntil, Kind, Revocation, Target};
use crate::claims::{Claims, NumericDate};
use crate::error::{Error, ErrorKind};
use crate::telemetry::{self, RevocationEvent};

/// Maps hashed with foldhash (seeded per process), a third of SipHash's cost for short keys:
/// every request that is not revoked looks its token up in them.
type HashMap<K, V> = std::collections::HashMap<K, V, quick_cache::DefaultHashBuilder>;

/// A revocation as a replica took it, with its times resolved: what is kept, and what is
/// shared with the other replicas, so that every replica keeps the same thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// Tokens of `target` at `issuer`, those issued (`iat`) at or before `issued_until` when
    /// set, refused until `until` (seconds since the epoch, exclusive); taken at `taken`.
    Target { issuer: Box<str>, target: Target, issued_until: Option<u64>, taken: u64, until: u64 },
    /// After `issuer`'s revocations overflowed: its tokens issued at or before `at` are
    /// refused until `until`.
    Overflow { issuer: Box<str>, at: u64, until: u64 },
}

impl Entry {
    /// Until when it is kept.
    pub(crate) fn until(&self) -> u64 {
        match self {
            Self::Target { until, .. } | Self::Overflow { until, .. } => *until,
        }
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

    /// Both revocations of the same target in one: the later time, the wider set of tokens (a
    /// replica may receive them in either order).
    fn merge(self, other: Self) -> Self {
        let issued_until = self.issued_until.zip(other.issued_until).map(|(a, b)| a.max(b));
        Self { until: self.until.max(other.until), issued_until }
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
    /// Revocations received on this replica (by [`Verifier::revoke`](super::Verifier::revoke),
    /// a logout token or a security event).
    pub received: u64,
    /// Tokens refused because a revocation names them.
    pub refused: u64,
    /// Times the set was full and the verifier refused by time instead.
    pub overflows: u64,
    /// Revocations read from the shared store (other replicas', or this one's coming back),
    /// and applied.
    pub shared_applied: u64,
    /// Values read from the shared store that were not applied: forged, sealed with another
    /// secret, malformed, or too large.
    pub shared_rejected: u64,
    /// Times the shared store failed (down, slow, or the subscription lost), counted by
    /// whoever drives it, and revocations this replica could not hand to it.
    pub shared_failures: u64,
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
    pub(crate) shared_applied: AtomicU64,
    pub(crate) shared_rejected: AtomicU64,
    pub(crate) shared_failures: AtomicU64,
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
            shared_applied: AtomicU64::new(0),
            shared_rejected: AtomicU64::new(0),
            shared_failures: AtomicU64::new(0),
        }
    }

    /// How many revocations are kept at most.
    #[cfg_attr(
        not(feature = "remote"),
        allow(dead_code, reason = "shared revocations need `remote`")
    )]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// How long a revocation is kept, in seconds.
    #[cfg_attr(
        not(feature = "remote"),
        allow(dead_code, reason = "shared revocations need `remote`")
    )]
    pub(crate) fn window(&self) -> u64 {
        self.window
    }

    /// Keeps `revocation`, taken at `taken`, for the window from then; returns what was kept
    /// (the revocation with its times resolved, or this issuer's overflow when the set was
    /// full).
    pub(crate) fn revoke(&self, revocation: Revocation, taken: u64, now: u64) -> Entry {
        self.received.fetch_add(1, Ordering::Relaxed);
        let entry = Entry::Target {
            issuer: revocation.issuer,
            target: revocation.target,
            issued_until: match revocation.issued_until {
                IssuedUntil::Always => None,
                IssuedUntil::Now => Some(taken),
                IssuedUntil::At(moment) => Some(moment.as_secs()),
            },
            taken,
            until: taken.saturating_add(self.window),
        };
        self.keep(entry, now)
    }

    /// Keeps `entry` (resolved here or by another replica) until its time; returns what was
    /// kept. An entry already past its time is kept as it is: not at all.
    pub(crate) fn keep(&self, entry: Entry, now: u64) -> Entry {
        if entry.until() <= now {
            return entry;
        }
        let mut issuers = self.issuers.write().unwrap_or_else(PoisonError::into_inner);
        let kept = match entry {
            Entry::Overflow { issuer, at, until } => self.overflow(&mut issuers, issuer, at, until),
            Entry::Target { issuer, target, issued_until, taken, until } => {
                let kept = Kept { until, issued_until };
                let known = issuers
                    .get_mut(&issuer)
                    .and_then(|of| of.map(target.kind).get_mut(&target.value));
                if let Some(known) = known {
                    *known = known.merge(kept);
                    let kept = *known;
                    let issued_until = kept.issued_until;
                    Entry::Target { issuer, target, issued_until, taken, until: kept.until }
                } else if self.room(&mut issuers, now) {
                    let of = issuers.entry(issuer.clone()).or_default();
                    of.map(target.kind).insert(target.value.clone(), kept);
                    telemetry::revocation(RevocationEvent::Applied);
                    Entry::Target { issuer, target, issued_until, taken, until }
                } else {
                    // Full of live revocations: refuse this issuer's tokens by time rather
                    // than drop one (the other issuers' tokens are not its to refuse). The
                    // overflow follows from the entry alone, so that the same entry delivered
                    // again changes nothing.
                    let at = issued_until.unwrap_or(taken);
                    self.overflow(&mut issuers, issuer, at, until)
                }
            }
        };
        let count: usize =
            issuers.values().map(|of| of.len() + usize::from(of.overflow.is_some())).sum();
        self.count.store(count, Ordering::Release);
        kept
    }

    /// Whether one more revocation fits, after forgetting the expired ones when full.
    fn room(&self, issuers: &mut HashMap<Box<str>, OfIssuer>, now: u64) -> bool {
        let count = |issuers: &HashMap<Box<str>, OfIssuer>| -> usize {
            issuers.values().map(OfIssuer::len).sum()
        };
        if count(issuers) < self.capacity {
            return true;
        }
        issuers.values_mut().for_each(|of| of.forget_expired(now));
        issuers.retain(|_, of| of.len() > 0 || of.overflow.is_some());
        count(issuers) < self.capacity
    }

    fn overflow(
        &self,
        issuers: &mut HashMap<Box<str>, OfIssuer>,
        issuer: Box<str>,
        at: u64,
        until: u64,
    ) -> Entry {
        let of = issuers.entry(issuer.clone()).or_default();
        let (at, until) = match of.overflow {
            Some((kept_at, kept_until)) => (kept_at.max(at), kept_until.max(until)),
            None => (at, until),
        };
        // Counted when it widens what is refused, not when the same overflow comes back.
        if of.overflow != Some((at, until)) {
            self.overflows.fetch_add(1, Ordering::Relaxed);
            telemetry::revocation(RevocationEvent::Overflow);
        }
        of.overflow = Some((at, until));
        Entry::Overflow { issuer, at, until }
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
            shared_applied: load(&self.shared_applied),
            shared_rejected: load(&self.shared_rejected),
            shared_failures: load(&self.shared_failures),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_that_does_not_fit_overflows_the_same_way_however_often_it_comes() {
        let revocations = Revocations::new(Duration::from_secs(600), 1);
        let issuer: Box<str> = "https://id.example.com".into();
        let entry = |value: &str, issued_until| Entry::Target {
            issuer: issuer.clone(),
            target: Target { kind: Kind::Subject, value: value.into() },
            issued_until,
            taken: 50,
            until: 650,
        };
        revocations.keep(entry("alice", Some(50)), 60);
        let overflow = Entry::Overflow { issuer: issuer.clone(), at: 50, until: 650 };
        // Delivered again and again (a resync), later each time: the overflow stays where the
        // entry puts it, and is counted once.
        for now in [60, 90, 600] {
            assert_eq!(revocations.keep(entry("bob", Some(50)), now), overflow);
        }
        assert_eq!(revocations.stats().overflows, 1);
        let session = |until| Entry::Target {
            issuer: issuer.clone(),
            target: Target { kind: Kind::Session, value: "s1".into() },
            issued_until: None,
            taken: 70,
            until,
        };
        // A session names tokens of any time: the overflow covers those issued until taken.
        let wider = Entry::Overflow { issuer: issuer.clone(), at: 70, until: 700 };
        assert_eq!(revocations.keep(session(700), 100), wider);
        assert_eq!(revocations.stats().overflows, 2);
        // Past its time: kept as it is, that is not at all.
        assert_eq!(revocations.keep(session(700), 700), session(700));
        assert_eq!(revocations.stats().overflows, 2);
    }

    #[test]
    fn two_revocations_of_one_target_merge_to_the_wider_in_either_order() {
        let until_10 = Kept { until: 100, issued_until: Some(10) };
        let until_20 = Kept { until: 50, issued_until: Some(20) };
        let always = Kept { until: 70, issued_until: None };
        for (a, b) in [(until_10, until_20), (until_20, until_10)] {
            let merged = a.merge(b);
            assert_eq!((merged.until, merged.issued_until), (100, Some(20)));
            // A token issued at 15 is named until 100, whichever came first.
            assert!(merged.names(Some(NumericDate::from_secs(15)), 99));
            assert!(!merged.names(Some(NumericDate::from_secs(21)), 60));
        }
        for (a, b) in [(until_10, always), (always, until_10)] {
            let merged = a.merge(b);
            assert_eq!((merged.until, merged.issued_until), (100, None));
        }
    }
}
