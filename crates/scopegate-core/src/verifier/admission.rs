//! A token bucket: how many new tenants may be taken on at once, and then each second.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

pub(crate) struct Admission {
    state: Mutex<Bucket>,
    burst: f64,
    per_second: f64,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl Admission {
    pub(crate) fn new(burst: u32, per_second: u32) -> Self {
        let burst = f64::from(burst);
        Self {
            state: Mutex::new(Bucket { tokens: burst, refilled: Instant::now() }),
            burst,
            per_second: f64::from(per_second),
        }
    }

    /// Takes one admission if there is one left now.
    pub(crate) fn try_admit(&self) -> bool {
        self.try_admit_at(Instant::now())
    }

    fn try_admit_at(&self, now: Instant) -> bool {
        let mut bucket = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = elapsed.mul_add(self.per_second, bucket.tokens).min(self.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let admission = Admission::new(3, 2);
        let start = Instant::now();
        let taken = (0..10).filter(|_| admission.try_admit_at(start)).count();
        assert_eq!(taken, 3);
        // Half a second at 2 a second: one more, then none.
        let later = start + Duration::from_millis(500);
        assert!(admission.try_admit_at(later));
        assert!(!admission.try_admit_at(later));
        // An idle minute refills the burst, never more.
        let idle = later + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| admission.try_admit_at(idle)).count(), 3);
    }

    #[test]
    fn none_admitted_with_a_zero_burst() {
        let admission = Admission::new(0, 100);
        assert!(!admission.try_admit_at(Instant::now() + Duration::from_secs(5)));
    }
}
