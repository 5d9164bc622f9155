//! Sessions belong to whoever started them. A stateful MCP server hands out an
//! `Mcp-Session-Id` when a client initializes; this layer remembers whose token did (issuer
//! and subject, or issuer and client when there is no subject) and answers `404` (the MCP
//! transport's "session not found", after which a client initializes again) to a request
//! that names the session with anyone else's token, or names a session it never saw begin.
//! Stateless servers hand out no session ids, and nothing is remembered.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use scopegate_core::Claims;

/// How many sessions are remembered; past it, the oldest is forgotten (its client is told
/// `404` and initializes again).
pub(crate) const MAX_SESSIONS: usize = 100_000;

/// The longest session id remembered; a longer one is never one this layer saw begin.
const MAX_SESSION_ID_BYTES: usize = 256;

/// Who a token speaks for, as far as sessions go: issuer, and subject or else client.
#[derive(Clone, PartialEq, Eq)]
struct Owner {
    issuer: String,
    subject: Option<String>,
    client: Option<String>,
}

impl Owner {
    fn of(claims: &Claims) -> Self {
        let subject = claims.subject().map(str::to_owned);
        let client = if subject.is_none() { claims.client_id().map(str::to_owned) } else { None };
        Self { issuer: claims.issuer().to_owned(), subject, client }
    }
}

/// The sessions this layer saw begin, by id.
#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    owners: HashMap<Vec<u8>, Owner>,
    order: VecDeque<Vec<u8>>,
}

impl Sessions {
    /// Remembers that `claims`' owner began session `id`.
    pub(crate) fn begin(&self, id: &[u8], claims: &Claims) {
        if id.len() > MAX_SESSION_ID_BYTES {
            return;
        }
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if table.owners.insert(id.to_vec(), Owner::of(claims)).is_none() {
            table.order.push_back(id.to_vec());
        }
        while table.owners.len() > MAX_SESSIONS {
            let Some(oldest) = table.order.pop_front() else { break };
            table.owners.remove(&oldest);
        }
    }

    /// Whether `claims`' owner may use session `id`: it began it, here.
    pub(crate) fn belongs_to(&self, id: &[u8], claims: &Claims) -> bool {
        let table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        table.owners.get(id).is_some_and(|owner| *owner == Owner::of(claims))
    }

    /// Forgets session `id` (its owner ended it).
    pub(crate) fn end(&self, id: &[u8]) {
        let mut table = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if table.owners.remove(id).is_some() {
            table.order.retain(|kept| kept.as_slice() != id);
        }
    }
}
