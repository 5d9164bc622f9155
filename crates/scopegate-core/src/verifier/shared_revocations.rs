//! Revocations shared by the replicas of an API through a store they all reach
//! ([`SharedRevocations`]; `scopegate-redis` has one on Redis), never trusted as stored: each
//! record is sealed ([`SealingKey`]) and a record whose seal does not open is dropped and
//! counted.
//!
//! A revocation taken by one replica (from [`Verifier::revoke`](super::Verifier::revoke), a
//! logout token or a security event) is applied there at once, then handed to the store, which
//! keeps it until its time and announces it to the others. Each record carries the revocation
//! with its times resolved by the replica that took it: every replica refuses the same tokens
//! until the same moment, and a replica that starts later reads the records still in time.
//!
//! The logout tokens and security events accepted are also remembered in the store (by a hash
//! of issuer and `jti`), so that one posted again to another replica is refused as a replay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::VerifierInner;
use super::revocation::{Kind, MAX_REVOCATION_VALUE_BYTES, Target};
use super::revocation_set::{Entry, Revocations};
use crate::crypto::sha256;
use crate::remote::SharedCacheFuture;
use crate::seal::{SEAL_BYTES, SealingKey, tag_of};

/// What the seal's tag says a record is for.
const PURPOSE: &[u8] = b"scopegate revocation v1";
/// What the MAC of an event token's key is for.
const EVENT_PURPOSE: &[u8] = b"scopegate event token v1";
/// How often a refused record is logged at most, in seconds.
const WARN_EVERY: u64 = 60;
/// The largest record read or written, seal included.
pub const MAX_REVOCATION_RECORD_BYTES: usize = 2 * MAX_REVOCATION_VALUE_BYTES + SEAL_BYTES + 256;
/// How many revocations may wait to be handed to the store; beyond, they are applied here only
/// (and counted as failures).
const OUTGOING: usize = 4096;
/// How long building a verifier waits for the store's current set.
const FIRST_LOAD: Duration = Duration::from_secs(2);

/// A store the replicas of one API share revocations through. It is driven by one task per
/// verifier, [`run`](Self::run), which must:
///
/// 1. deliver every record the store keeps now ([`RevocationLink::deliver`]), then call
///    [`RevocationLink::loaded`];
/// 2. store each record [`RevocationLink::outgoing`] yields until its
///    [time](SharedRevocation::until), and announce it to the other replicas, which deliver it;
/// 3. when the store fails, report it ([`RevocationLink::failed`]), keep the records it could
///    not store, and start again from 1 once the store answers;
/// 4. return when `outgoing` yields `None`: the verifier is gone.
///
/// Records are opaque bytes, at most [`MAX_REVOCATION_RECORD_BYTES`], sealed by the verifier.
pub trait SharedRevocations: Send + Sync + 'static {
    /// The name of what these replicas share (the Redis namespace, say): records are sealed
    /// for it and open under no other name.
    fn scope(&self) -> &str;

    /// Runs the link until the verifier is gone; see the trait's docs.
    fn run(&self, link: RevocationLink) -> SharedCacheFuture<'_, ()>;

    /// Remembers `key` (a hash of an event token's issuer and `jti`) for `ttl`: `Ok(true)` the
    /// first time any replica asks, `Ok(false)` for a replay, `Err` with a short reason when
    /// the store fails (the event is then accepted on this replica's own memory, and counted).
    fn first_time(
        &self,
        key: [u8; 32],
        ttl: Duration,
    ) -> SharedCacheFuture<'_, Result<bool, &'static str>>;
}

/// A record to store and announce: sealed, opaque, at most [`MAX_REVOCATION_RECORD_BYTES`].
#[derive(Clone)]
pub struct SharedRevocation {
    record: Vec<u8>,
    until: u64,
}

impl SharedRevocation {
    /// The sealed record.
    pub fn record(&self) -> &[u8] {
        &self.record
    }

    /// Until when it must be kept, in seconds since the epoch (exclusive): after that, no
    /// replica applies it.
    pub fn until(&self) -> u64 {
        self.until
    }
}

impl std::fmt::Debug for SharedRevocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRevocation")
            .field("bytes", &self.record.len())
            .field("until", &self.until)
            .finish()
    }
}

/// What a [`SharedRevocations`] store's task holds: the records this replica takes, and the
/// way to apply the others'.
pub struct RevocationLink {
    verifier: Weak<VerifierInner>,
    outgoing: mpsc::Receiver<SharedRevocation>,
    loaded: Option<oneshot::Sender<()>>,
}

impl RevocationLink {
    /// The next record this replica took, to store and announce; `None` once the verifier is
    /// gone (the task then returns).
    pub async fn outgoing(&mut self) -> Option<SharedRevocation> {
        self.outgoing.recv().await
    }

    /// Applies a record read from the store (kept there, or announced). A record that is not
    /// sealed by these replicas' secret for this scope, too large, malformed, or past its time
    /// is not applied (counted in
    /// [`RevocationStats::shared_rejected`](super::RevocationStats), expired ones aside).
    /// Returns `false` once the verifier is gone.
    pub fn deliver(&self, record: &[u8]) -> bool {
        let Some(inner) = self.verifier.upgrade() else { return false };
        let Some(shared) = &inner.shared_revocations else { return false };
        let now = inner.clock.now_secs();
        let revocations = &inner.revocations;
        if shared.applied_before(record) {
            // Read again (a resync, this replica's own announcement): applied already.
            return true;
        }
        match shared.open(record, now, revocations.window()) {
            Ok(Some(entry)) => {
                shared.remember_applied(record, entry.until(), now, revocations.capacity());
                revocations.keep(entry, now);
                revocations.shared_applied.fetch_add(1, Ordering::Relaxed);
            }
            Ok(None) => {}
            Err(()) => {
                revocations.shared_rejected.fetch_add(1, Ordering::Relaxed);
                shared.warn_rejected(now);
            }
        }
        true
    }

    /// Says the store's current set was delivered: a verifier being built waits for this (at
    /// most two seconds).
    pub fn loaded(&mut self) {
        if let Some(loaded) = self.loaded.take() {
            let _ = loaded.send(());
        }
    }

    /// Reports that the store failed (`reason`: a short, fixed text), counted in
    /// [`RevocationStats::shared_failures`](super::RevocationStats).
    pub fn failed(&self, reason: &'static str) {
        if let Some(inner) = self.verifier.upgrade() {
            inner.revocations.shared_failures.fetch_add(1, Ordering::Relaxed);
        }
        tracing::warn!(reason, "the shared revocation store failed; revocations apply locally");
    }

    /// The verifier's clock, in seconds since the epoch: records until before it need not be
    /// read.
    pub fn now(&self) -> Option<u64> {
        self.verifier.upgrade().map(|inner| inner.clock.now_secs())
    }

    /// How many revocations the verifier keeps at most: more records than this need not be
    /// read.
    pub fn capacity(&self) -> usize {
        self.verifier.upgrade().map_or(0, |inner| inner.revocations.capacity())
    }
}

impl std::fmt::Debug for RevocationLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationLink").finish_non_exhaustive()
    }
}

/// A verifier's side of the sharing.
pub(crate) struct Sharing {
    pub(crate) store: Arc<dyn SharedRevocations>,
    key: SealingKey,
    binding: [u8; 32],
    outgoing: mpsc::Sender<SharedRevocation>,
    /// The other end of `outgoing`, until the task takes it.
    receiver: Mutex<Option<mpsc::Receiver<SharedRevocation>>>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
    /// The seal tags of the records applied, until their time: a record read again is not
    /// opened again.
    applied: Mutex<HashMap<[u8; 32], u64>>,
    /// The clock's second of the last warning about a refused record, plus one.
    warned_at: AtomicU64,
}

impl Sharing {
    pub(crate) fn new(store: Arc<dyn SharedRevocations>, key: SealingKey) -> Self {
        let mut binding = b"scopegate revocations\0".to_vec();
        binding.extend_from_slice(store.scope().as_bytes());
        let (outgoing, receiver) = mpsc::channel(OUTGOING);
        Self {
            store,
            key,
            binding: sha256(&binding),
            outgoing,
            receiver: Mutex::new(Some(receiver)),
            task: Mutex::new(None),
            applied: Mutex::new(HashMap::new()),
            warned_at: AtomicU64::new(0),
        }
    }

    /// Whether `record` was applied before (its seal tag is known; a forged record that copies
    /// a known tag is skipped too, which applies nothing either).
    fn applied_before(&self, record: &[u8]) -> bool {
        let Some(tag) = tag_of(record) else { return false };
        self.applied.lock().unwrap_or_else(PoisonError::into_inner).contains_key(&tag)
    }

    /// Remembers that `record` was applied, until `until`; at most twice `capacity` tags.
    fn remember_applied(&self, record: &[u8], until: u64, now: u64, capacity: usize) {
        let Some(tag) = tag_of(record) else { return };
        let mut applied = self.applied.lock().unwrap_or_else(PoisonError::into_inner);
        if applied.len() >= capacity.saturating_mul(2) {
            applied.retain(|_, kept| now < *kept);
            if applied.len() >= capacity.saturating_mul(2) {
                // Forgetting only costs opening a record again when it is read again.
                applied.clear();
            }
        }
        applied.insert(tag, until);
    }

    /// Logs a refused record, at most once a minute: someone who can write to the store must
    /// not be able to flood the logs.
    fn warn_rejected(&self, now: u64) {
        let last = self.warned_at.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_add(1) >= last.saturating_add(WARN_EVERY);
        if due
            && self
                .warned_at
                .compare_exchange(last, now + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                "a shared revocation record was refused: its seal does not open (forged, another                  API's, or sealed with another secret); counted in RevocationStats::shared_rejected"
            );
        }
    }

    /// The key under which the store remembers the event token `jti` of `issuer`: a MAC under
    /// the sealing secret, so that someone who writes to the store cannot mark an event token
    /// as seen before it arrives.
    pub(crate) fn event_key(&self, issuer: &str, jti: &str) -> [u8; 32] {
        let mut data = Vec::with_capacity(issuer.len() + jti.len() + 1);
        data.extend_from_slice(issuer.as_bytes());
        data.push(0);
        data.extend_from_slice(jti.as_bytes());
        self.key.mac(EVENT_PURPOSE, &self.binding, &data)
    }

    /// Hands `entry` to the store's task; when that is not possible (the queue is full, or the
    /// value too long to share), it stays applied here only, and is counted.
    pub(crate) fn send(&self, entry: &Entry, revocations: &Revocations) {
        let record = encode(entry)
            .map(|record| SharedRevocation {
                record: self.key.seal(PURPOSE, &self.binding, entry.until(), &record),
                until: entry.until(),
            })
            // Escaped, a value within the cap can still make a record no replica reads.
            .filter(|shared| shared.record.len() <= MAX_REVOCATION_RECORD_BYTES);
        let sent = record.is_some_and(|record| self.outgoing.try_send(record).is_ok());
        if !sent {
            revocations.shared_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("a revocation could not be shared; it applies on this replica only");
        }
    }

    /// The entry a record holds: `Ok(None)` when it is past its time, `Err` when it is not
    /// ours (forged, another scope or secret, malformed, too large).
    pub(crate) fn open(&self, record: &[u8], now: u64, window: u64) -> Result<Option<Entry>, ()> {
        if record.len() > MAX_REVOCATION_RECORD_BYTES {
            return Err(());
        }
        match self.key.open_timed(PURPOSE, &self.binding, record, now) {
            Ok((value, until)) => {
                let entry = decode(value, until).ok_or(())?;
                // A replica with a longer window than ours does not make us keep it longer
                // than our window from when it was taken, however often it is read.
                let entry = clamp(entry, window);
                // Taken longer ago than our window: past its time here.
                Ok((entry.until() > now).then_some(entry))
            }
            Err(crate::seal::Unsealed::Expired) => Ok(None),
            Err(crate::seal::Unsealed::Forged) => Err(()),
        }
    }

    /// Starts the store's task for the verifier `inner` (once), and waits (at most two
    /// seconds) for the store's current set.
    pub(crate) async fn start(inner: &Arc<VerifierInner>) {
        let Some(sharing) = &inner.shared_revocations else { return };
        let Some(receiver) = sharing.receiver.lock().unwrap_or_else(PoisonError::into_inner).take()
        else {
            return;
        };
        let (loaded, first_load) = oneshot::channel();
        let link = RevocationLink {
            verifier: Arc::downgrade(inner),
            outgoing: receiver,
            loaded: Some(loaded),
        };
        let store = Arc::clone(&sharing.store);
        let task = tokio::spawn(async move { store.run(link).await });
        *sharing.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task.abort_handle());
        if !matches!(tokio::time::timeout(FIRST_LOAD, first_load).await, Ok(Ok(()))) {
            tracing::warn!(
                "the shared revocations could not be read at start; they will be applied when \
                 the store answers"
            );
        }
    }
}

/// A store that shares nothing, under the scope it names: for the tests and the fuzz target,
/// which exercise the sealing only.
#[cfg(any(fuzzing, test))]
pub(crate) struct Nowhere(pub(crate) &'static str);

#[cfg(any(fuzzing, test))]
impl SharedRevocations for Nowhere {
    fn scope(&self) -> &str {
        self.0
    }

    fn run(&self, _link: RevocationLink) -> SharedCacheFuture<'_, ()> {
        Box::pin(async {})
    }

    fn first_time(
        &self,
        _key: [u8; 32],
        _ttl: Duration,
    ) -> SharedCacheFuture<'_, Result<bool, &'static str>> {
        Box::pin(async { Ok(true) })
    }
}

#[cfg(any(fuzzing, test))]
impl Sharing {
    /// `value` sealed as this replica seals a record kept until `until`: for the fuzz target.
    pub(crate) fn seal_value(&self, value: &[u8], until: u64) -> Vec<u8> {
        self.key.seal(PURPOSE, &self.binding, until, value)
    }
}

impl Drop for Sharing {
    fn drop(&mut self) {
        let task = self.task.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(task) = task.take() {
            task.abort();
        }
    }
}

/// `entry`, kept no longer than `window` from when it was taken.
fn clamp(entry: Entry, window: u64) -> Entry {
    match entry {
        Entry::Target { issuer, target, issued_until, taken, until } => {
            let until = until.min(taken.saturating_add(window));
            Entry::Target { issuer, target, issued_until, taken, until }
        }
        Entry::Overflow { issuer, at, until } => {
            Entry::Overflow { issuer, at, until: until.min(at.saturating_add(window)) }
        }
    }
}

/// A record's value (the seal holds its time).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    iss: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    /// For a target: its tokens issued until then; for an overflow: the overflow's moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<u64>,
    /// For a target: when the replica took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    taken: Option<u64>,
}

const KINDS: [(Kind, &str); 5] = [
    (Kind::Subject, "sub"),
    (Kind::SessionlessSubject, "sub-without-sid"),
    (Kind::Session, "sid"),
    (Kind::Token, "jti"),
    (Kind::Client, "client"),
];

/// The record of `entry`, or `None` when a value is too long to share.
pub(crate) fn encode(entry: &Entry) -> Option<Vec<u8>> {
    let record = match entry {
        Entry::Target { issuer, target, issued_until, taken, .. } => Record {
            iss: issuer.to_string(),
            kind: KINDS.iter().find(|(kind, _)| *kind == target.kind)?.1.to_owned(),
            value: Some(target.value.to_string()),
            at: *issued_until,
            taken: Some(*taken),
        },
        Entry::Overflow { issuer, at, .. } => Record {
            iss: issuer.to_string(),
            kind: "overflow".to_owned(),
            value: None,
            at: Some(*at),
            taken: None,
        },
    };
    let fits = |text: &str| !text.is_empty() && text.len() <= MAX_REVOCATION_VALUE_BYTES;
    if !fits(&record.iss) || !record.value.as_deref().is_none_or(fits) {
        return None;
    }
    serde_json::to_vec(&record).ok()
}

/// The entry a record's value holds, kept until `until` (the seal's time).
fn decode(value: &[u8], until: u64) -> Option<Entry> {
    let record: Record = serde_json::from_slice(value).ok()?;
    let fits = |text: &str| !text.is_empty() && text.len() <= MAX_REVOCATION_VALUE_BYTES;
    if !fits(&record.iss) {
        return None;
    }
    let issuer = record.iss.into();
    if record.kind == "overflow" {
        return match (record.value, record.taken) {
            (None, None) => Some(Entry::Overflow { issuer, at: record.at?, until }),
            _ => None,
        };
    }
    let kind = KINDS.iter().find(|(_, name)| *name == record.kind)?.0;
    let value = record.value.filter(|value| fits(value))?;
    let target = Target { kind, value: value.into() };
    Some(Entry::Target { issuer, target, issued_until: record.at, taken: record.taken?, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sharing(scope: &'static str, secret: u8) -> Sharing {
        Sharing::new(Arc::new(Nowhere(scope)), SealingKey::new(vec![secret; 32]).unwrap())
    }

    /// The record `sharing` hands its store for `entry`, if any.
    fn sealed(sharing: &Sharing, entry: &Entry, revocations: &Revocations) -> Option<Vec<u8>> {
        sharing.send(entry, revocations);
        let mut receiver = sharing.receiver.lock().unwrap();
        receiver.as_mut().unwrap().try_recv().ok().map(|shared| shared.record)
    }

    fn target(kind: Kind, value: &str, issued_until: Option<u64>, until: u64) -> Entry {
        let target = Target { kind, value: value.into() };
        let issuer = "https://id.example.com".into();
        Entry::Target { issuer, target, issued_until, taken: 40, until }
    }

    #[test]
    fn records_open_only_in_time_in_scope_and_within_our_window() {
        let revocations = Revocations::new(Duration::from_secs(600), 10);
        let ours = sharing("orders", 1);
        let overflow =
            Entry::Overflow { issuer: "https://id.example.com".into(), at: 40, until: 500 };
        for entry in [
            target(Kind::Subject, "alice", Some(40), 500),
            target(Kind::SessionlessSubject, "alice", Some(40), 500),
            target(Kind::Session, "s1", None, 500),
            target(Kind::Token, "t-1", None, 500),
            target(Kind::Client, "app", Some(40), 500),
            overflow,
        ] {
            let record = sealed(&ours, &entry, &revocations).unwrap();
            assert_eq!(ours.open(&record, 50, 1000), Ok(Some(entry.clone())));
            // Kept no longer than our own window from when it was taken, however late it is
            // read.
            for now in [50, 120, 139] {
                assert_eq!(ours.open(&record, now, 100).unwrap().unwrap().until(), 140);
            }
            assert_eq!(ours.open(&record, 140, 100), Ok(None), "past our window from when taken");
            assert_eq!(ours.open(&record, 500, 1000), Ok(None), "past its time");
            assert_eq!(sharing("billing", 1).open(&record, 50, 1000), Err(()), "another scope");
            assert_eq!(sharing("orders", 2).open(&record, 50, 1000), Err(()), "another secret");
        }
        let mut oversized =
            sealed(&ours, &target(Kind::Token, "t", None, 500), &revocations).unwrap();
        oversized.resize(MAX_REVOCATION_RECORD_BYTES + 1, b' ');
        assert_eq!(ours.open(&oversized, 50, 1000), Err(()));
        // A value too long to share is not handed over, and is counted.
        let long = "x".repeat(MAX_REVOCATION_VALUE_BYTES + 1);
        assert_eq!(sealed(&ours, &target(Kind::Subject, &long, None, 500), &revocations), None);
        assert_eq!(revocations.shared_failures.load(Ordering::Relaxed), 1);
        // Within the cap, but six bytes each once escaped: not handed over either.
        let escaped = "\u{1}".repeat(MAX_REVOCATION_VALUE_BYTES);
        assert_eq!(sealed(&ours, &target(Kind::Subject, &escaped, None, 500), &revocations), None);
        assert_eq!(sealed(&ours, &target(Kind::Subject, "", None, 500), &revocations), None);
        assert_eq!(revocations.shared_failures.load(Ordering::Relaxed), 3);
        let longest = "x".repeat(MAX_REVOCATION_VALUE_BYTES);
        let record = sealed(&ours, &target(Kind::Subject, &longest, None, 500), &revocations);
        assert!(record.is_some_and(|record| record.len() <= MAX_REVOCATION_RECORD_BYTES));
    }

    #[test]
    fn malformed_values_are_refused() {
        // Each is refused for one reason: compare with the accepted record at the end.
        let long = "x".repeat(MAX_REVOCATION_VALUE_BYTES + 1);
        for value in [
            "",
            "[]",
            r#"{"iss":"i","kind":"sub","taken":1}"#,
            r#"{"iss":"i","kind":"sub","value":"a"}"#,
            r#"{"iss":"i","kind":"subject","value":"a","taken":1}"#,
            r#"{"iss":"","kind":"sub","value":"a","taken":1}"#,
            r#"{"iss":"i","kind":"sub","value":"","taken":1}"#,
            r#"{"iss":"i","kind":"overflow","value":"a","at":1}"#,
            r#"{"iss":"i","kind":"overflow","at":1,"taken":1}"#,
            r#"{"iss":"i","kind":"overflow"}"#,
            r#"{"iss":"i","kind":"sub","value":"a","taken":1,"extra":1}"#,
            r#"{"iss":"i","kind":"sub","value":"a","taken":1,"at":-1}"#,
            &format!(r#"{{"iss":"i","kind":"sub","value":"{long}","taken":1}}"#),
        ] {
            assert_eq!(decode(value.as_bytes(), 9), None, "{value}");
        }
        let accepted = br#"{"iss":"https://id.example.com","kind":"sid","value":"s1","taken":40}"#;
        assert_eq!(decode(accepted, 9), Some(target(Kind::Session, "s1", None, 9)));
    }
}
