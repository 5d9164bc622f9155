//! Where a verifier reads the time: the system clock, or one a test controls.
//!
//! Token lifetimes (`exp`, `nbf`, `iat`, the maximum age), the token cache and the refetch
//! cool-down of remote keys all read the verifier's [`Clock`]. Tests that need "two seconds
//! later" advance a clock instead of sleeping; `scopegate_testkit::ManualClock` is one.
//!
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use scopegate_core::{Clock, SystemClock};
//!
//! struct Frozen(SystemTime);
//!
//! impl Clock for Frozen {
//!     fn now(&self) -> SystemTime {
//!         self.0
//!     }
//! }
//!
//! let frozen = Frozen(UNIX_EPOCH + Duration::from_secs(1_750_000_000));
//! assert_eq!(frozen.now_secs(), 1_750_000_000);
//! assert!(SystemClock.now_secs() > 1_750_000_000);
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time in whole seconds since the Unix epoch (0 before it).
    fn now_secs(&self) -> u64 {
        self.now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
    }

    /// The current time in milliseconds since the Unix epoch (0 before it).
    fn now_millis(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The system clock: [`SystemTime::now`]. The default.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
