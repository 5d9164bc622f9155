//! [`ManualClock`]: a clock that moves only when a test says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scopegate_core::Clock;

/// A [`Clock`] that starts at the current time and moves only with [`advance`](Self::advance)
/// or [`set`](Self::set). Clones share the time, so a test keeps one clone and gives the other
/// to the verifier.
///
/// ```
/// use std::time::Duration;
/// use scopegate_core::ErrorKind;
/// use scopegate_testkit::{ManualClock, TestIssuer};
///
/// let issuer = TestIssuer::new();
/// let clock = ManualClock::now();
/// let verifier = issuer.verifier_builder().leeway(Duration::ZERO).clock(clock.clone()).build_static()?;
/// let token = issuer.token().expires_in(Duration::from_secs(60)).sign();
/// assert!(verifier.verify_now(&token).into_ready().unwrap().is_ok());
/// clock.advance(Duration::from_secs(61));
/// let error = verifier.verify_now(&token).into_ready().unwrap().unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::Expired);
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock set to the current system time.
    pub fn now() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        Self { millis: Arc::new(AtomicU64::new(millis)) }
    }

    /// A clock set to `secs` seconds after the Unix epoch.
    pub fn at_secs(secs: u64) -> Self {
        Self { millis: Arc::new(AtomicU64::new(secs.saturating_mul(1000))) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(by, Ordering::SeqCst);
    }

    /// Sets the clock to `time`.
    pub fn set(&self, time: SystemTime) {
        let millis = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        self.millis.store(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}
