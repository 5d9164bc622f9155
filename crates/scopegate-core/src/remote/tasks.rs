//! The background work of a remote key set, owned by the verifier: demand fetches that no
//! request can cancel, and the refresher. Both stop when the last verifier clone is dropped.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::keys::{Cause, RemoteKeys};
use crate::error::{Error, ErrorKind};

/// What waiters learn of a fetch: done, or why not (the message of the error).
type Outcome = Option<Result<(), String>>;

/// Tasks spawned for one key set, aborted together.
#[derive(Default)]
pub(crate) struct Tasks {
    handles: Mutex<Vec<AbortHandle>>,
    /// The fetch under way, if any: requests that need keys wait on it.
    flight: Mutex<Option<watch::Receiver<Outcome>>>,
}

impl Tasks {
    pub(crate) fn register(&self, handle: AbortHandle) {
        let mut handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        handles.retain(|handle| !handle.is_finished());
        handles.push(handle);
    }

    pub(crate) fn abort_all(&self) {
        for handle in self.handles.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            handle.abort();
        }
    }

    /// How many tasks are alive (for tests and stats).
    pub(crate) fn alive(&self) -> usize {
        let handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        handles.iter().filter(|handle| !handle.is_finished()).count()
    }
}

/// The owner of a remote key set: held by the verifier's issuer entry. Dropping it (with the
/// last verifier clone) aborts the refresher and any fetch under way.
pub(crate) struct RemoteSource(Arc<RemoteKeys>);

impl RemoteSource {
    pub(crate) fn new(keys: RemoteKeys) -> Self {
        Self(Arc::new(keys))
    }

    pub(crate) fn keys(&self) -> &Arc<RemoteKeys> {
        &self.0
    }

    /// Keeps the key set fresh until the verifier is dropped. Needs a Tokio runtime; without
    /// one, keys are refreshed on demand only.
    pub(crate) fn spawn_refresher(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::debug!(issuer = %self.0.issuer(), "no Tokio runtime: key set refreshed on demand only");
            return;
        };
        let weak = Arc::downgrade(&self.0);
        let task = runtime.spawn(async move {
            loop {
                let Some(due) = weak.upgrade().map(|keys| keys.next_refresh()) else { return };
                tokio::time::sleep_until(due.into()).await;
                let Some(keys) = weak.upgrade() else { return };
                let (_, generation) = keys.snapshot();
                // Failures are logged and rescheduled inside `refresh`.
                let _ = keys.refresh(generation, Cause::Scheduled).await;
            }
        });
        self.0.tasks().register(task.abort_handle());
    }
}

impl Drop for RemoteSource {
    fn drop(&mut self) {
        self.0.tasks().abort_all();
    }
}

/// Fetches the key set for a request that missed a key in generation `observed`, or joins
/// the fetch already under way. The fetch runs in its own task: a request whose client goes
/// away stops waiting, and the fetch goes on for the others (and for the cool-down's sake).
/// Without a Tokio runtime the fetch runs inside the returned future instead.
pub(crate) fn demand(
    keys: &Arc<RemoteKeys>,
    observed: u64,
) -> impl Future<Output = Result<(), Error>> + Send + 'static {
    let waiting = join_or_start(keys, observed);
    let keys = Arc::clone(keys);
    async move {
        let Some(mut receiver) = waiting else {
            return keys.refresh(observed, Cause::Demand).await;
        };
        let outcome = receiver.wait_for(Option::is_some).await.map(|seen| seen.clone());
        match outcome {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(message))) => Err(Error::new(ErrorKind::KeySourceUnavailable, message)),
            // The fetch was aborted: the verifier is being dropped.
            Ok(None) | Err(_) => Err(Error::new(
                ErrorKind::KeySourceUnavailable,
                format!("the keys of {} are unavailable: the fetch was stopped", keys.issuer()),
            )),
        }
    }
}

/// The receiver of the fetch to wait on: the one under way, or a new one. `None` without a
/// runtime to spawn on.
fn join_or_start(keys: &Arc<RemoteKeys>, observed: u64) -> Option<watch::Receiver<Outcome>> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let mut flight = keys.tasks().flight.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(receiver) = flight.as_ref()
        && receiver.borrow().is_none()
        && receiver.has_changed().is_ok()
    {
        return Some(receiver.clone());
    }
    let (sender, receiver) = watch::channel(None);
    let fetching = Arc::clone(keys);
    let task = runtime.spawn(async move {
        let outcome = fetching.refresh(observed, Cause::Demand).await;
        let _ = sender.send(Some(outcome.map_err(|error| error.to_string())));
    });
    keys.tasks().register(task.abort_handle());
    *flight = Some(receiver.clone());
    Some(receiver)
}
