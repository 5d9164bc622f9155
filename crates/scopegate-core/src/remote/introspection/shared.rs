//! [`SharedAnswerCache`]: introspection answers shared by the replicas of an API (in Redis,
//! say), under each replica's in-process cache.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What a [`SharedAnswerCache`] returns.
pub type SharedCacheFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A second-level cache of introspection answers that replicas share: a request finds the
/// answer in its own process first, then here, then asks the authorization server, so that N
/// replicas make one call per token instead of N.
///
/// Keys are the SHA-256 of the token (the token itself is never a key). Values are the answer
/// as the authorization server gave it (a JSON object with `active`), and every replica checks
/// a shared answer under its own rules and clock, as if it had made the call. Whoever can write
/// to the shared store can therefore vouch for tokens: give it the protection the
/// authorization server's answers deserve (network isolation, credentials, ACLs).
///
/// Implementations must be quick to give up: a store that is down or slow answers `None` (a
/// miss) and drops writes, within milliseconds, and counts both. The verifier also bounds each
/// call by its fetch timeout.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use scopegate_core::remote::{SharedAnswerCache, SharedCacheFuture};
///
/// /// A shared cache for one process (tests); real ones live in Redis (`scopegate-redis`).
/// #[derive(Default)]
/// struct InProcess(Mutex<HashMap<[u8; 32], Vec<u8>>>);
///
/// impl SharedAnswerCache for InProcess {
///     fn get(&self, key: [u8; 32]) -> SharedCacheFuture<'_, Option<Vec<u8>>> {
///         let answer = self.0.lock().unwrap().get(&key).cloned();
///         Box::pin(async move { answer })
///     }
///     fn put(&self, key: [u8; 32], answer: Vec<u8>, _ttl: Duration) -> SharedCacheFuture<'_, ()> {
///         self.0.lock().unwrap().insert(key, answer);
///         Box::pin(async {})
///     }
/// }
/// let introspection = scopegate_core::remote::Introspection::new("api", "secret")
///     .shared_cache(InProcess::default());
/// # let _ = introspection;
/// ```
pub trait SharedAnswerCache: Send + Sync + 'static {
    /// The answer stored under `key`, if any; `None` also when the store cannot answer.
    fn get(&self, key: [u8; 32]) -> SharedCacheFuture<'_, Option<Vec<u8>>>;

    /// Stores `answer` under `key` for `ttl`; failures are dropped (and counted).
    fn put(&self, key: [u8; 32], answer: Vec<u8>, ttl: Duration) -> SharedCacheFuture<'_, ()>;
}
