//! [`SharedAnswerCache`]: introspection answers shared by the replicas of an API (in Redis,
//! say), under each replica's in-process cache.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::seal::SealingKey;

/// What a [`SharedAnswerCache`] returns.
pub type SharedCacheFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A second-level cache of introspection answers that replicas share: a request finds the
/// answer in its own process first, then here, then asks the authorization server, so that N
/// replicas make one call per token instead of N.
///
/// Keys are a SHA-256 of the token together with the issuer, the introspection endpoint and the
/// client id of the API that asked (the token itself is never a key, and two APIs never share
/// an answer). Values are sealed by the verifier before they are stored
/// ([`SealingKey`]: an HMAC tag over the key, the time the value is good until, and the
/// answer), and a value whose seal does not open is treated as absent: whoever can write to the
/// store cannot vouch for tokens. Every replica also checks a shared answer under its own rules
/// and clock, as if it had made the call. Implementations store and return the bytes as given.
///
/// Implementations must be quick to give up: a store that is down or slow answers `None` (a
/// miss) and drops writes, within milliseconds, and counts both. The verifier also bounds each
/// call by a quarter of its fetch timeout (at most 500 ms).
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
///     .shared_cache(InProcess::default(), scopegate_core::SealingKey::new([7u8; 32])?);
/// # let _ = introspection;
/// # Ok::<(), scopegate_core::Error>(())
/// ```
pub trait SharedAnswerCache: Send + Sync + 'static {
    /// The answer stored under `key`, if any; `None` also when the store cannot answer.
    fn get(&self, key: [u8; 32]) -> SharedCacheFuture<'_, Option<Vec<u8>>>;

    /// Stores `answer` under `key` for `ttl`; failures are dropped (and counted).
    fn put(&self, key: [u8; 32], answer: Vec<u8>, ttl: Duration) -> SharedCacheFuture<'_, ()>;
}

/// A shared cache and the key that seals what is stored in it.
#[derive(Clone)]
pub(crate) struct SharedAnswers {
    pub(crate) cache: Arc<dyn SharedAnswerCache>,
    pub(crate) key: SealingKey,
}
