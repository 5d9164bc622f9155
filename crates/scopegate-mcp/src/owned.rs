//! Ids that belong to the token that made them: the `Mcp-Session-Id` a stateful server hands
//! out at `initialize`, and the task id a server hands out for a task-augmented call. The layer
//! remembers whose token each id was given to (issuer and subject, or issuer and client when
//! there is no subject) and lets no one else use it; an id it never saw given out belongs to
//! no one. The table is bounded: past its size the oldest id is forgotten (its owner then gets
//! the answer for an unknown id).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use scopegate_core::Claims;

/// How many sessions are remembered; past it, the oldest is forgotten (its client is told
/// `404` and initializes again).
pub(crate) const MAX_SESSIONS: usize = 100_000;

/// The longest id remembered; a longer one is never one this layer saw given out.
pub(crate) const MAX_ID_BYTES: usize = 256;

/// Who a token speaks for, as far as its ids go: issuer, and subject or else client.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    issuer: String,
    subject: Option<String>,
    client: Option<String>,
}

impl Owner {
    pub(crate) fn of(claims: &Claims) -> Self {
        let subject = claims.subject().map(str::to_owned);
        let client = if subject.is_none() { claims.client_id().map(str::to_owned) } else { None };
        Self { issuer: claims.issuer().to_owned(), subject, client }
    }
}

/// Ids given out, each with its owner and what else the layer keeps of it (`T`).
pub(crate) struct OwnedIds<T> {
    limit: usize,
    inner: Mutex<Table<T>>,
}

struct Table<T> {
    owners: HashMap<Vec<u8>, (Owner, T)>,
    order: VecDeque<Vec<u8>>,
}

impl<T: Clone> OwnedIds<T> {
    /// A table of at most `limit` ids.
    pub(crate) fn new(limit: usize) -> Self {
        let table = Table { owners: HashMap::new(), order: VecDeque::new() };
        Self { limit, inner: Mutex::new(table) }
    }

    /// Remembers that `id` was given to `owner`.
    pub(crate) fn give(&self, id: &[u8], owner: Owner, kept: T) {
        if id.len() > MAX_ID_BYTES {
            return;
        }
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if table.owners.insert(id.to_vec(), (owner, kept)).is_none() {
            table.order.push_back(id.to_vec());
        }
        while table.owners.len() > self.limit {
            let Some(oldest) = table.order.pop_front() else { break };
            table.owners.remove(&oldest);
        }
    }

    /// What is kept of `id` when `claims`' owner was given it; `None` for anyone else, and for
    /// an id never given out here.
    pub(crate) fn owned_by(&self, id: &[u8], claims: &Claims) -> Option<T> {
        let table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (owner, kept) = table.owners.get(id)?;
        (*owner == Owner::of(claims)).then(|| kept.clone())
    }

    /// Forgets `id` (its owner ended it).
    pub(crate) fn forget(&self, id: &[u8]) {
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if table.owners.remove(id).is_some() {
            table.order.retain(|kept| kept.as_slice() != id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(subject: &str) -> Claims {
        let issuer = scopegate_testkit::TestIssuer::new();
        let token = issuer.token().subject(subject).sign();
        issuer.verifier().verify_at(&token, scopegate_core::NumericDate::now()).unwrap()
    }

    #[test]
    fn an_id_is_its_owners_alone_and_the_oldest_is_forgotten_first() {
        let (alice, bob) = (claims("alice"), claims("bob"));
        let ids = OwnedIds::new(2);
        ids.give(b"a", Owner::of(&alice), 1);
        ids.give(b"b", Owner::of(&bob), 2);
        assert_eq!(ids.owned_by(b"a", &alice), Some(1));
        assert_eq!(ids.owned_by(b"a", &bob), None);
        assert_eq!(ids.owned_by(b"unknown", &alice), None);
        ids.give(b"c", Owner::of(&alice), 3);
        assert_eq!(ids.owned_by(b"a", &alice), None, "past the limit, the oldest goes");
        assert_eq!(ids.owned_by(b"b", &bob), Some(2));
        ids.forget(b"b");
        assert_eq!(ids.owned_by(b"b", &bob), None);
        ids.give(&[b'x'; MAX_ID_BYTES + 1], Owner::of(&alice), 4);
        assert_eq!(ids.owned_by(&[b'x'; MAX_ID_BYTES + 1], &alice), None);
    }
}
