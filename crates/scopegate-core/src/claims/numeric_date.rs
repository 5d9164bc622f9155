//! JWT NumericDate: seconds since the Unix epoch (RFC 7519 section 2).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::Error;

/// A point in time as a JWT carries it: whole seconds since 1970-01-01T00:00:00Z.
///
/// Parsing accepts integers and non-integers (the fraction is dropped) from 0 up to the end
/// of year 9999; strings, booleans, negative and larger values are errors.
///
/// ```
/// use scopegate_core::NumericDate;
///
/// let date = NumericDate::from_secs(1_750_000_000);
/// assert_eq!(date.as_secs(), 1_750_000_000);
/// assert!(NumericDate::from_secs(1) < date);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumericDate(u64);

/// 9999-12-31T23:59:59Z: later values are treated as garbage, not as "never expires".
pub(crate) const MAX_SECS: u64 = 253_402_300_799;

impl NumericDate {
    /// The date `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The current time, truncated to whole seconds.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// This date as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0)
    }

    /// Reads the claim `name` from its JSON value.
    pub(crate) fn from_claim(name: &str, value: &Value) -> Result<Self, Error> {
        const EXPECTED: &str = "a NumericDate: a non-negative number of seconds before year 10000";
        let secs = match value {
            Value::Number(number) => {
                if let Some(secs) = number.as_u64() {
                    Some(secs)
                } else if let Some(secs) = number.as_f64().filter(|s| s.is_finite() && *s >= 0.0) {
                    // `MAX_SECS` fits an f64 exactly; anything at or below it truncates safely.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    (secs <= MAX_SECS as f64).then(|| secs.trunc() as u64)
                } else {
                    None
                }
            }
            _ => None,
        };
        match secs {
            Some(secs) if secs <= MAX_SECS => Ok(Self(secs)),
            _ => Err(Error::invalid_claim(name, EXPECTED)),
        }
    }
}

impl From<SystemTime> for NumericDate {
    /// Times before the epoch become the epoch.
    fn from(time: SystemTime) -> Self {
        Self(time.duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs()))
    }
}

impl fmt::Display for NumericDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for NumericDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn accepts_integers_and_fractions() {
        assert_eq!(
            NumericDate::from_claim("exp", &json!(1_700_000_000)).unwrap().as_secs(),
            1_700_000_000
        );
        assert_eq!(
            NumericDate::from_claim("exp", &json!(1_700_000_000.75)).unwrap().as_secs(),
            1_700_000_000
        );
        assert_eq!(NumericDate::from_claim("exp", &json!(0)).unwrap().as_secs(), 0);
        assert_eq!(NumericDate::from_claim("exp", &json!(MAX_SECS)).unwrap().as_secs(), MAX_SECS);
        assert_eq!(NumericDate::from_claim("exp", &json!(1e10)).unwrap().as_secs(), 10_000_000_000);
    }

    #[test]
    fn rejects_everything_else() {
        for value in [
            json!("1700000000"),
            json!(true),
            json!(null),
            json!(-1),
            json!(-0.5),
            json!(MAX_SECS + 1),
            json!(u64::MAX),
            json!(1e300),
            json!([1]),
            json!({}),
        ] {
            let error = NumericDate::from_claim("exp", &value).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidClaim, "{value}");
            assert!(error.message().starts_with("the `exp` claim must be a NumericDate"));
        }
    }
}
