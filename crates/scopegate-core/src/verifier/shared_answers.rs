//! Introspection answers shared with the other replicas of this API through a
//! [`SharedAnswerCache`], never trusted as stored: each value is sealed
//! ([`SealingKey`](crate::SealingKey)) under a key that names this API's issuer,
//! introspection endpoint and client id as well as the token, and a value whose seal does not
//! open is treated as absent (counted, logged at most once a minute) and the authorization
//! server is asked instead.
//!
//! What someone who can write to the store can still do: delete answers (more calls to the
//! authorization server) and replay a genuine answer for the same token and API until the
//! time it was sealed for (no longer than this replica's own cache would keep it). What they
//! cannot do: make a token active, add scopes, move one token's answer to another, or use
//! another API's answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::crypto::sha256;
use crate::remote::introspection::{
    Answer, Introspection, Introspector, SharedAnswerCache, SharedAnswers as Configured,
    read_answer,
};
use crate::seal::{SealingKey, Unsealed};

/// What the seal's tag says the value is for.
const PURPOSE: &[u8] = b"scopegate introspection answer v1";
/// How often a rejected value is logged at most, in seconds.
const WARN_EVERY: u64 = 60;

pub(crate) struct SharedAnswers {
    cache: Arc<dyn SharedAnswerCache>,
    key: SealingKey,
    /// The SHA-256 of what, besides the token, an answer depends on.
    scope: [u8; 32],
    bound: Duration,
    rejected: AtomicU64,
    /// The clock's second of the last warning, plus one (0: never warned).
    warned_at: AtomicU64,
}

impl SharedAnswers {
    pub(crate) fn new(
        configured: &Configured,
        introspector: &Introspector,
        timeout: Duration,
    ) -> Self {
        let config = &introspector.config;
        let mut scope = Vec::with_capacity(256);
        // Replicas that require signed answers (RFC 9701) never read what a replica that
        // accepts plain JSON stored: the format is part of the key's scope.
        let format: &[u8] = if config.signed_answers { b"signed" } else { b"plain" };
        for part in [
            &b"scopegate introspection key v1"[..],
            introspector.issuer().as_bytes(),
            config.endpoint.as_deref().unwrap_or_default().as_bytes(),
            config.client_id.as_bytes(),
            format,
        ] {
            scope.extend_from_slice(part);
            scope.push(0);
        }
        Self {
            cache: Arc::clone(&configured.cache),
            key: configured.key.clone(),
            scope: sha256(&scope),
            bound: (timeout / 4).min(Duration::from_millis(500)),
            rejected: AtomicU64::new(0),
            warned_at: AtomicU64::new(0),
        }
    }

    /// The longest a lookup or a write may take.
    pub(crate) fn bound(&self) -> Duration {
        self.bound
    }

    pub(crate) fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// The store key of `token`'s answer for this API.
    pub(crate) fn binding(&self, token: &str) -> [u8; 32] {
        let mut input = Vec::with_capacity(32 + token.len());
        input.extend_from_slice(&self.scope);
        input.extend_from_slice(token.as_bytes());
        sha256(&input)
    }

    /// A genuine, unexpired answer stored under `binding`, if the store has one in time.
    pub(crate) async fn get(&self, binding: &[u8; 32], now: u64) -> Option<Answer> {
        let stored = tokio::time::timeout(self.bound, self.cache.get(*binding)).await.ok()??;
        match self.key.open(PURPOSE, binding, &stored, now) {
            Ok(value) => match read_answer(value) {
                Ok(answer) => Some(answer),
                Err(_) => self.reject(now),
            },
            Err(Unsealed::Expired) => None,
            Err(Unsealed::Forged) => self.reject(now),
        }
    }

    /// Stores `answer`, sealed, for as long as this replica's own cache would keep it.
    pub(crate) async fn put(
        &self,
        binding: &[u8; 32],
        answer: &Answer,
        config: &Introspection,
        now: u64,
    ) {
        let ttl = shared_ttl(answer, config, now);
        if ttl.is_zero() {
            return;
        }
        let sealed = self.key.seal(
            PURPOSE,
            binding,
            now.saturating_add(ttl.as_secs()),
            &answer.to_json_bytes(),
        );
        let _ = tokio::time::timeout(self.bound, self.cache.put(*binding, sealed, ttl)).await;
    }

    fn reject(&self, now: u64) -> Option<Answer> {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let last = self.warned_at.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_add(1) >= last.saturating_add(WARN_EVERY);
        if due
            && self
                .warned_at
                .compare_exchange(last, now.saturating_add(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                rejected = self.rejected(),
                "a shared introspection answer was not sealed by this API's replicas; ignored (is \
                 something else writing to the shared store, or do the replicas' secrets differ?)"
            );
        }
        None
    }
}

/// How long the shared cache keeps `answer`: as the in-process caches would (active answers
/// never past `exp`), zero when not at all.
fn shared_ttl(answer: &Answer, config: &Introspection, now: u64) -> Duration {
    match answer {
        Answer::Inactive => config.inactive_cache_for,
        Answer::Active(members) => {
            let left = members
                .get("exp")
                .and_then(Value::as_u64)
                .map_or(u64::MAX, |exp| exp.saturating_sub(now));
            config.cache_for.min(Duration::from_secs(left))
        }
    }
}
