//! The background work of a remote key set, owned by the verifier: demand fetches that no
//! request can cancel, and the refresher. Both stop when the last verifier clone is dropped.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::AbortHandle;

use super::keys::{Cause, RemoteKeys};
use crate::error::{Error, ErrorKind};
use crate::flight::{Failed, Flights, Refused};

/// What waiters learn of a fetch: done, or why not (the message of the error).
type Outcome = Result<(), String>;

/// Tasks spawned for one key set, aborted together.
pub(crate) struct Tasks {
    handles: Mutex<Vec<AbortHandle>>,
    /// The fetch under way, if any: requests that need keys wait on it. One at a time.
    fetch: Flights<(), Outcome>,
}

impl Tasks {
    /// A fetch may take `fetch_timeout` for discovery and as much for the JWKS, after waiting
    /// for a scheduled refresh that holds the fetch lock: four times it bounds the flight.
    pub(crate) fn new(fetch_timeout: Duration) -> Self {
        Self {
            handles: Mutex::new(Vec::new()),
            fetch: Flights::new(1, fetch_timeout.saturating_mul(4)),
        }
    }

    pub(crate) fn register(&self, handle: AbortHandle) {
        let mut handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        handles.retain(|handle| !handle.is_finished());
        handles.push(handle);
    }

    pub(crate) fn abort_all(&self) {
        for handle in self.handles.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            handle.abort();
        }
        self.fetch.abort_all();
    }

    /// How many tasks are alive (for tests and stats).
    pub(crate) fn alive(&self) -> usize {
        let handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        handles.iter().filter(|handle| !handle.is_finished()).count() + self.fetch.stats().under_way
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
) -> impl Future<Output = Result<(), Error>> + Send + 'static + use<> {
    let fetching = Arc::clone(keys);
    let started = keys.tasks().fetch.join_or_start(&(), move || async move {
        fetching.refresh(observed, Cause::Demand).await.map_err(|error| error.to_string())
    });
    let keys = Arc::clone(keys);
    async move {
        let unavailable = |message: String| Error::new(ErrorKind::KeySourceUnavailable, message);
        let flight = match started {
            Ok(flight) => flight,
            Err(Refused::NoRuntime) => return keys.refresh(observed, Cause::Demand).await,
            // One fetch at a time, and a fetch under way is joined: only a race with a fetch
            // that has just ended gets here. Its keys are in place; verify again.
            Err(Refused::Saturated) => return Ok(()),
        };
        match flight.outcome().await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(unavailable(message)),
            Err(Failed::TimedOut) => Err(unavailable(format!(
                "the keys of {} are unavailable: the fetch took too long",
                keys.issuer()
            ))),
            // The fetch was aborted: the verifier is being dropped.
            Err(Failed::Stopped) => Err(unavailable(format!(
                "the keys of {} are unavailable: the fetch was stopped",
                keys.issuer()
            ))),
        }
    }
}
