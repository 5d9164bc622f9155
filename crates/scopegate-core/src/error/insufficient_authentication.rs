//! [`InsufficientAuthentication`]: the user's authentication is not strong or recent enough
//! for the resource (RFC 9470 step-up).

use std::fmt;
use std::sync::Arc;

use super::{Error, ErrorKind};

/// Why a token's authentication falls short of an
/// [`AuthenticationRequirement`](crate::claims::AuthenticationRequirement): answered with `401`
/// and `error="insufficient_user_authentication"`, naming the accepted `acr_values` and the
/// `max_age` so the client can ask the authorization server for a stronger or fresher login
/// (RFC 9470 section 3).
///
/// ```
/// use scopegate_core::InsufficientAuthentication;
///
/// let denied = InsufficientAuthentication::new("the login is too old", ["mfa"], Some(300));
/// assert_eq!(denied.acr_values_parameter(), "mfa");
/// assert_eq!(denied.max_age(), Some(300));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientAuthentication {
    reason: &'static str,
    acr_values: Arc<[Box<str>]>,
    max_age: Option<u64>,
}

impl InsufficientAuthentication {
    /// `reason` (shown to the client), the `acr` values that would do, and the maximum age of
    /// the login in seconds.
    pub fn new<I, S>(reason: &'static str, acr_values: I, max_age: Option<u64>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let acr_values = acr_values.into_iter().map(|value| Box::from(value.as_ref())).collect();
        Self { reason, acr_values, max_age }
    }

    /// What fell short, for `error_description`.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The accepted `acr` values, in the requirement's order.
    pub fn acr_values(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.acr_values.iter().map(|value| &**value)
    }

    /// The `acr_values` challenge parameter: the values joined by spaces (empty if none).
    pub fn acr_values_parameter(&self) -> String {
        self.acr_values.join(" ")
    }

    /// The `max_age` challenge parameter, in seconds, if the requirement has one.
    pub fn max_age(&self) -> Option<u64> {
        self.max_age
    }
}

impl fmt::Display for InsufficientAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl std::error::Error for InsufficientAuthentication {}

impl From<InsufficientAuthentication> for Error {
    fn from(denied: InsufficientAuthentication) -> Self {
        Self::new(ErrorKind::InsufficientUserAuthentication, denied.reason)
    }
}
