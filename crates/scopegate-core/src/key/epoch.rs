//! The key epoch: a counter that moves on whenever a remote key set drops a key, so that what
//! the dropped key verified stops being served from the token cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The epoch a token was verified under, and the counter to compare it with.
#[derive(Clone, Debug)]
pub(crate) struct Epoch {
    counter: Arc<AtomicU64>,
    seen: u64,
}

impl Epoch {
    /// The epoch `counter` is at now.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn of(counter: &Arc<AtomicU64>) -> Self {
        Self { counter: Arc::clone(counter), seen: counter.load(Ordering::Acquire) }
    }

    /// Whether no key was dropped since.
    pub(crate) fn is_current(&self) -> bool {
        self.counter.load(Ordering::Acquire) == self.seen
    }
}
