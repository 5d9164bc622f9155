//! Ids that belong to the token that made them: the `Mcp-Session-Id` a stateful server hands
//! out at `initialize`, and the task id a server hands out for a task-augmented call. The layer
//! remembers whose token each id was given to (issuer and subject, or issuer and client when
//! there is no subject) and lets no one else use it; an id it never saw given out belongs to
//! no one.
//!
//! - The first owner keeps an id: a server that hands the same id to a second caller (an id
//!   the caller chose, an idempotency key) makes it no one's, never the second caller's.
//! - The table is bounded in all and per owner: past its owner's share, an owner's oldest id
//!   is forgotten, so that one caller making ids cannot push everyone else's out; past the
//!   whole bound, the oldest of all. A forgotten id gets the answer for an unknown one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use scopegate_core::Claims;

/// How many sessions are remembered, and how many per owner.
pub(crate) const MAX_SESSIONS: (usize, usize) = (100_000, 1_000);

/// The longest id remembered; a longer one is never one this layer saw given out.
pub(crate) const MAX_ID_BYTES: usize = 256;

/// Who a token speaks for, as far as its ids go: issuer, and subject or else client.
#[derive(Clone, PartialEq, Eq, Hash)]
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
    per_owner: usize,
    inner: Mutex<Table<T>>,
}

struct Table<T> {
    /// `None`: an id handed to two owners, no one's.
    owners: Owners<T>,
    /// Every id, oldest first (some already forgotten: skipped, and swept now and then).
    order: VecDeque<Vec<u8>>,
    /// Each owner's ids, oldest first.
    by_owner: HashMap<Owner, VecDeque<Vec<u8>>>,
}

impl<T: Clone> OwnedIds<T> {
    /// A table of at most `limit` ids, at most `per_owner` of them one owner's.
    pub(crate) fn new((limit, per_owner): (usize, usize)) -> Self {
        let table =
            Table { owners: HashMap::new(), order: VecDeque::new(), by_owner: HashMap::new() };
        Self { limit, per_owner, inner: Mutex::new(table) }
    }

    /// Remembers that `id` was given to `owner`; an id already given to another owner becomes
    /// no one's.
    pub(crate) fn give(&self, id: &[u8], owner: Owner, kept: T) {
        if id.len() > MAX_ID_BYTES {
            return;
        }
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Table { owners, order, by_owner } = &mut *table;
        let same = owners.get(id).map(|entry| entry.as_ref().map(|(first, _)| *first == owner));
        match same {
            // Handed to a second owner: no one's from now on (and out of the first's share,
            // so that only the bound on all ids ever forgets it).
            Some(Some(false)) => {
                tracing::warn!("the server handed one MCP id to two callers: it is now no one's");
                if let Some(Some((first, _))) = owners.insert(id.to_vec(), None)
                    && let Some(theirs) = by_owner.get_mut(&first)
                {
                    theirs.retain(|kept| kept.as_slice() != id);
                }
                return;
            }
            Some(None) => return,
            Some(Some(true)) => {
                owners.insert(id.to_vec(), Some((owner, kept)));
                return;
            }
            None => {}
        }
        owners.insert(id.to_vec(), Some((owner.clone(), kept)));
        order.push_back(id.to_vec());
        let mine = by_owner.entry(owner).or_default();
        mine.push_back(id.to_vec());
        if mine.len() > self.per_owner
            && let Some(oldest) = mine.pop_front()
        {
            owners.remove(&oldest);
        }
        while owners.len() > self.limit {
            let Some(oldest) = order.pop_front() else { break };
            forget(owners, by_owner, &oldest);
        }
        // Forgotten ids left in `order`: swept once they are as many as the live ones.
        if order.len() > 2 * self.limit.max(owners.len()) {
            order.retain(|id| owners.contains_key(id));
        }
    }

    /// What is kept of `id` when `claims`' owner was given it; `None` for anyone else, and for
    /// an id never given out here (or given to two owners).
    pub(crate) fn owned_by(&self, id: &[u8], claims: &Claims) -> Option<T> {
        let table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (owner, kept) = table.owners.get(id)?.as_ref()?;
        (*owner == Owner::of(claims)).then(|| kept.clone())
    }

    /// Forgets `id` (its owner ended it).
    pub(crate) fn forget(&self, id: &[u8]) {
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Table { owners, by_owner, .. } = &mut *table;
        forget(owners, by_owner, id);
    }
}

type Owners<T> = HashMap<Vec<u8>, Option<(Owner, T)>>;

/// Removes `id`, and from its owner's share.
fn forget<T>(owners: &mut Owners<T>, by_owner: &mut HashMap<Owner, VecDeque<Vec<u8>>>, id: &[u8]) {
    if let Some(Some((owner, _))) = owners.remove(id)
        && let Some(mine) = by_owner.get_mut(&owner)
    {
        mine.retain(|kept| kept.as_slice() != id);
        if mine.is_empty() {
            by_owner.remove(&owner);
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
        let ids = OwnedIds::new((2, 2));
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

    #[test]
    fn an_id_handed_to_a_second_owner_is_no_ones() {
        let (alice, mallory) = (claims("alice"), claims("mallory"));
        let ids = OwnedIds::new((10, 10));
        ids.give(b"t", Owner::of(&alice), 1);
        ids.give(b"t", Owner::of(&mallory), 2);
        assert_eq!((ids.owned_by(b"t", &alice), ids.owned_by(b"t", &mallory)), (None, None));
        ids.give(b"t", Owner::of(&mallory), 3);
        assert_eq!(ids.owned_by(b"t", &mallory), None, "and stays no one's");
        ids.give(b"u", Owner::of(&alice), 4);
        ids.give(b"u", Owner::of(&alice), 5);
        assert_eq!(ids.owned_by(b"u", &alice), Some(5), "the same owner again is fine");
    }

    #[test]
    fn bounds_are_exact() {
        let alice = claims("alice");
        let ids = OwnedIds::new((10, 3));
        ids.give(&[b'x'; MAX_ID_BYTES], Owner::of(&alice), 0);
        assert_eq!(ids.owned_by(&[b'x'; MAX_ID_BYTES], &alice), Some(0), "the longest id kept");
        ids.give(b"a", Owner::of(&alice), 1);
        ids.give(b"b", Owner::of(&alice), 2);
        // Three ids: the owner's whole share, all kept.
        assert_eq!(ids.owned_by(&[b'x'; MAX_ID_BYTES], &alice), Some(0));
        ids.give(b"c", Owner::of(&alice), 3);
        assert_eq!(
            ids.owned_by(&[b'x'; MAX_ID_BYTES], &alice),
            None,
            "the fourth pushes the first out"
        );
        assert_eq!((ids.owned_by(b"a", &alice), ids.owned_by(b"c", &alice)), (Some(1), Some(3)));
    }

    #[test]
    fn a_forgotten_or_contested_id_frees_its_place_in_its_owners_share() {
        let (alice, mallory) = (claims("alice"), claims("mallory"));
        let ids = OwnedIds::new((100, 2));
        ids.give(b"a", Owner::of(&alice), ());
        ids.give(b"b", Owner::of(&alice), ());
        ids.forget(b"a");
        ids.give(b"c", Owner::of(&alice), ());
        assert_eq!(ids.owned_by(b"b", &alice), Some(()), "a's place was free");
        ids.give(b"d", Owner::of(&alice), ());
        assert_eq!(ids.owned_by(b"b", &alice), None, "her oldest live id goes");
        // A contested id leaves the share too, and stays no one's while she makes more.
        ids.give(b"d", Owner::of(&mallory), ());
        for more in [b"e", b"f", b"g"] {
            ids.give(more, Owner::of(&alice), ());
        }
        ids.give(b"d", Owner::of(&mallory), ());
        assert_eq!((ids.owned_by(b"d", &alice), ids.owned_by(b"d", &mallory)), (None, None));
        assert_eq!((ids.owned_by(b"f", &alice), ids.owned_by(b"g", &alice)), (Some(()), Some(())));
    }

    #[test]
    fn one_owner_cannot_push_out_anothers_ids() {
        let (alice, mallory) = (claims("alice"), claims("mallory"));
        let ids = OwnedIds::new((100, 3));
        ids.give(b"alice-1", Owner::of(&alice), ());
        for n in 0..1_000 {
            ids.give(format!("m-{n}").as_bytes(), Owner::of(&mallory), ());
        }
        assert_eq!(ids.owned_by(b"alice-1", &alice), Some(()));
        assert_eq!(ids.owned_by(b"m-999", &mallory), Some(()));
        assert_eq!(ids.owned_by(b"m-996", &mallory), None, "past its share, its own oldest go");
        let table = ids.inner.lock().unwrap();
        assert!(table.order.len() <= 200, "forgotten ids are swept: {}", table.order.len());
    }
}
