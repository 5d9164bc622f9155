//! Single-flight: one call for any number of requests that need the same thing (a key set, an
//! introspection answer, an exchanged token), bounded, and owned by no single request.
//!
//! [`Flights::join_or_start`] joins the call under way for a key, or starts one. A start is
//! admitted before anything is spawned: when as many calls as allowed are under way, the
//! request is refused at once ([`Refused::Saturated`], which callers answer with a fast `503`)
//! instead of queueing behind them. Each call runs in a task of its own, bounded by a timeout,
//! so a client that goes away stops only its own wait. A call removes itself from the table
//! when it ends (however it ends), so the table holds only calls under way and nothing ever
//! scans it. Dropping the [`Flights`] (its owner, the verifier) aborts every call under way.
//!
//! This is the one copy of the pattern: key fetches, introspection and token exchange all use
//! it, and its tests below cover the flood, cancellation and timeout cases once.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::AbortHandle;

/// Why a call could not be started or joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// As many calls as allowed are under way: refuse now, do not queue.
    Saturated,
    /// No Tokio runtime to run the call on.
    NoRuntime,
}

/// Why a joined call gave no outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failed {
    /// The call took longer than the timeout.
    TimedOut,
    /// The call was aborted: its owner is being dropped.
    Stopped,
}

/// What every waiter of one call learns.
type Outcome<T> = Option<Result<T, Failed>>;

/// The calls under way, by key, each with its id (so that only it removes itself) and its task.
struct Table<K, T> {
    calls: HashMap<K, (u64, watch::Receiver<Outcome<T>>, AbortHandle)>,
    next_id: u64,
}

struct Shared<K, T> {
    table: Mutex<Table<K, T>>,
    admission: Arc<Semaphore>,
    timeout: Duration,
    started: AtomicU64,
    joined: AtomicU64,
    saturated: AtomicU64,
    timed_out: AtomicU64,
}

impl<K, T> Shared<K, T> {
    fn table(&self) -> MutexGuard<'_, Table<K, T>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Calls under way, one per key; at most `capacity` at once. See the [module docs](self).
pub(crate) struct Flights<K, T> {
    shared: Arc<Shared<K, T>>,
}

/// What a [`Flights`] has done, for stats and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FlightStats {
    /// Calls started.
    pub(crate) started: u64,
    /// Requests that joined a call under way.
    pub(crate) joined: u64,
    /// Starts refused because the limit was reached.
    pub(crate) saturated: u64,
    /// Calls that ran out of time.
    pub(crate) timed_out: u64,
    /// Calls under way now.
    pub(crate) under_way: usize,
}

/// A joined call: wait on it with [`outcome`](Self::outcome). Dropping it stops this wait only.
pub(crate) struct Flight<T> {
    receiver: watch::Receiver<Outcome<T>>,
}

impl<T: Clone> Flight<T> {
    /// The call's outcome, once it ends.
    pub(crate) async fn outcome(mut self) -> Result<T, Failed> {
        match self.receiver.wait_for(Option::is_some).await {
            Ok(seen) => seen.clone().unwrap_or(Err(Failed::Stopped)),
            // The sender went away without an outcome: the task was aborted.
            Err(_) => Err(Failed::Stopped),
        }
    }
}

/// Removes its call from the table when the task ends, completed or aborted.
struct Departure<K: Eq + Hash, T> {
    shared: Weak<Shared<K, T>>,
    key: Option<K>,
    id: u64,
}

impl<K: Eq + Hash, T> Drop for Departure<K, T> {
    fn drop(&mut self) {
        let (Some(shared), Some(key)) = (self.shared.upgrade(), self.key.take()) else { return };
        let mut table = shared.table();
        if table.calls.get(&key).is_some_and(|(id, ..)| *id == self.id) {
            table.calls.remove(&key);
        }
    }
}

impl<K, T> Flights<K, T>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    /// At most `capacity` calls under way at once (at least one), each bounded by `timeout`.
    pub(crate) fn new(capacity: usize, timeout: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                table: Mutex::new(Table { calls: HashMap::new(), next_id: 0 }),
                admission: Arc::new(Semaphore::new(capacity.max(1))),
                timeout,
                started: AtomicU64::new(0),
                joined: AtomicU64::new(0),
                saturated: AtomicU64::new(0),
                timed_out: AtomicU64::new(0),
            }),
        }
    }

    /// Joins the call under way for `key`, or starts `work()` in a task of its own when there
    /// is room. `work` is only called (and its captures only used) when a call starts.
    ///
    /// # Errors
    ///
    /// [`Refused::Saturated`] when `capacity` calls are under way (nothing was spawned), and
    /// [`Refused::NoRuntime`] outside a Tokio runtime.
    pub(crate) fn join_or_start<W, F>(&self, key: &K, work: W) -> Result<Flight<T>, Refused>
    where
        W: FnOnce() -> F,
        F: Future<Output = T> + Send + 'static,
    {
        let shared = &self.shared;
        let mut table = shared.table();
        if let Some((_, receiver, _)) = table.calls.get(key) {
            shared.joined.fetch_add(1, Ordering::Relaxed);
            return Ok(Flight { receiver: receiver.clone() });
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Refused::NoRuntime)?;
        // Admission before anything is spawned or allocated for the call.
        let Ok(permit) = Arc::clone(&shared.admission).try_acquire_owned() else {
            shared.saturated.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::Saturated);
        };
        shared.started.fetch_add(1, Ordering::Relaxed);
        let id = table.next_id;
        table.next_id = table.next_id.wrapping_add(1);
        let (sender, receiver) = watch::channel(None);
        let departure = Departure { shared: Arc::downgrade(shared), key: Some(key.clone()), id };
        let (timeout, counters) = (shared.timeout, Arc::downgrade(shared));
        let work = work();
        let task = runtime.spawn(async move {
            // Declared first, dropped last: the table forgets the call only after waiters
            // have its outcome.
            let _departure = departure;
            let permit = permit;
            let outcome = match tokio::time::timeout(timeout, work).await {
                Ok(value) => Ok(value),
                Err(_) => {
                    if let Some(shared) = counters.upgrade() {
                        shared.timed_out.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(Failed::TimedOut)
                }
            };
            // The slot is free before anyone learns the outcome: a waiter that goes on to
            // start another call finds room for it.
            drop(permit);
            let _ = sender.send(Some(outcome));
        });
        table.calls.insert(key.clone(), (id, receiver.clone(), task.abort_handle()));
        Ok(Flight { receiver })
    }

    pub(crate) fn stats(&self) -> FlightStats {
        let shared = &self.shared;
        FlightStats {
            started: shared.started.load(Ordering::Relaxed),
            joined: shared.joined.load(Ordering::Relaxed),
            saturated: shared.saturated.load(Ordering::Relaxed),
            timed_out: shared.timed_out.load(Ordering::Relaxed),
            under_way: shared.table().calls.len(),
        }
    }
}

impl<K, T> Flights<K, T> {
    /// Aborts every call under way; their waiters learn [`Failed::Stopped`].
    pub(crate) fn abort_all(&self) {
        let calls: Vec<_> = self.shared.table().calls.drain().collect();
        for (_, (_, _, task)) in calls {
            task.abort();
        }
    }
}

impl<K, T> Drop for Flights<K, T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<K, T> fmt::Debug for Flights<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flights")
            .field("capacity", &self.shared.admission.available_permits())
            .field("timeout", &self.shared.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::Notify;

    type Calls = Flights<u32, u32>;

    /// Work that counts its runs and finishes when `release` is notified.
    fn held(
        runs: &Arc<AtomicUsize>,
        release: &Arc<Notify>,
        value: u32,
    ) -> impl Future<Output = u32> + Send + 'static {
        let (runs, release) = (Arc::clone(runs), Arc::clone(release));
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            release.notified().await;
            value
        }
    }

    /// A flaky test found it: the slot was freed only after the outcome was sent, so a caller
    /// that learned it and went on to a new call could find no room (on a multi-threaded
    /// runtime, now and then).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_finished_call_has_freed_its_place_when_its_outcome_arrives() {
        let calls = Calls::new(1, Duration::from_secs(5));
        for n in 0..500u32 {
            let first = calls.join_or_start(&n, move || async move { n }).unwrap();
            assert_eq!(first.outcome().await, Ok(n));
            let next = calls.join_or_start(&(n + 1_000_000), || async { 0 });
            assert!(next.is_ok(), "round {n}: no room right after an outcome");
            assert_eq!(next.unwrap().outcome().await, Ok(0));
        }
    }

    #[tokio::test]
    async fn waiters_of_one_key_share_one_call_which_then_leaves_the_table() {
        let calls = Calls::new(4, Duration::from_secs(5));
        let (runs, release) = (Arc::new(AtomicUsize::new(0)), Arc::new(Notify::new()));
        let first = calls.join_or_start(&1, || held(&runs, &release, 7)).unwrap();
        let waiters: Vec<_> = (0..10)
            .map(|_| calls.join_or_start(&1, || held(&runs, &release, 99)).unwrap())
            .collect();
        assert_eq!(calls.stats().under_way, 1);
        tokio::task::yield_now().await;
        release.notify_waiters();
        assert_eq!(first.outcome().await, Ok(7));
        for waiter in waiters {
            assert_eq!(waiter.outcome().await, Ok(7));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let stats = calls.stats();
        assert_eq!((stats.started, stats.joined, stats.under_way), (1, 10, 0));
    }

    #[tokio::test]
    async fn a_flood_of_new_keys_is_refused_at_admission_without_spawning() {
        let calls = Calls::new(2, Duration::from_secs(5));
        let (runs, release) = (Arc::new(AtomicUsize::new(0)), Arc::new(Notify::new()));
        let a = calls.join_or_start(&1, || held(&runs, &release, 1)).unwrap();
        let b = calls.join_or_start(&2, || held(&runs, &release, 2)).unwrap();
        let mut built = 0;
        for key in 3..1_000 {
            let refused = calls.join_or_start(&key, || {
                built += 1;
                held(&runs, &release, 0)
            });
            assert_eq!(refused.err(), Some(Refused::Saturated));
        }
        assert_eq!(built, 0, "no work was even built for a refused call");
        // Joining a call under way still works while saturated.
        let joined = calls.join_or_start(&1, || held(&runs, &release, 0)).unwrap();
        tokio::task::yield_now().await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        release.notify_waiters();
        assert_eq!(
            (a.outcome().await, b.outcome().await, joined.outcome().await),
            (Ok(1), Ok(2), Ok(1))
        );
        // Room again once the calls ended.
        let c = calls.join_or_start(&3, || async { 3 }).unwrap();
        assert_eq!(c.outcome().await, Ok(3));
        assert_eq!(calls.stats().saturated, 997);
    }

    #[tokio::test]
    async fn a_waiter_that_goes_away_does_not_cancel_the_call() {
        let calls = Calls::new(1, Duration::from_secs(5));
        let (runs, release) = (Arc::new(AtomicUsize::new(0)), Arc::new(Notify::new()));
        let gone = calls.join_or_start(&1, || held(&runs, &release, 5)).unwrap();
        let stays = calls.join_or_start(&1, || held(&runs, &release, 0)).unwrap();
        let wait = tokio::spawn(gone.outcome());
        tokio::task::yield_now().await;
        wait.abort();
        let _ = wait.await;
        release.notify_waiters();
        assert_eq!(stays.outcome().await, Ok(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_past_its_timeout_fails_frees_its_place_and_leaves() {
        let calls = Calls::new(1, Duration::from_millis(100));
        let never = calls.join_or_start(&1, std::future::pending::<u32>).unwrap();
        assert_eq!(calls.join_or_start(&2, || async { 2 }).err(), Some(Refused::Saturated));
        assert_eq!(never.outcome().await, Err(Failed::TimedOut));
        tokio::task::yield_now().await;
        assert_eq!(calls.stats().under_way, 0);
        assert_eq!(calls.stats().timed_out, 1);
        assert_eq!(calls.join_or_start(&2, || async { 2 }).unwrap().outcome().await, Ok(2));
    }

    #[tokio::test]
    async fn dropping_the_owner_aborts_calls_and_waiters_learn_it() {
        let calls = Calls::new(1, Duration::from_secs(5));
        let waiter = calls.join_or_start(&1, std::future::pending::<u32>).unwrap();
        drop(calls);
        assert_eq!(waiter.outcome().await, Err(Failed::Stopped));
    }

    #[test]
    fn outside_a_runtime_nothing_starts() {
        let calls = Calls::new(1, Duration::from_secs(1));
        assert_eq!(calls.join_or_start(&1, || async { 1 }).err(), Some(Refused::NoRuntime));
    }
}
