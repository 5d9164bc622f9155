//! Step-up authentication (RFC 9470): how strong (`acr`) and how recent (`auth_time`) the
//! user's login must be for a resource.

use std::time::Duration;

use super::{Claims, NumericDate};
use crate::error::{Error, InsufficientAuthentication};
use crate::scope::is_valid_scope;

/// What a resource requires of the user's authentication: one of a set of `acr` values, a
/// login at most so old (`auth_time`), or both. Failing it is `401` with
/// `error="insufficient_user_authentication"`, so that the client sends the user back to the
/// authorization server for a stronger or fresher login.
///
/// ```
/// use std::time::Duration;
/// use scopegate_core::AuthenticationRequirement;
///
/// # let issuer = scopegate_testkit::TestIssuer::new();
/// # let now = scopegate_core::NumericDate::now().as_secs();
/// # let token = issuer.token().claim("acr", "mfa").claim("auth_time", now - 600).sign();
/// # let claims = issuer.verifier().verify_now(&token).into_ready().unwrap()?;
/// let strong = AuthenticationRequirement::acr_any_of(["mfa", "phr"])?;
/// assert!(claims.require_authentication(&strong, now).is_ok());
/// let recent = AuthenticationRequirement::new().max_age(Duration::from_secs(300));
/// let denied = claims.require_authentication(&recent, now).unwrap_err();
/// assert_eq!(denied.max_age(), Some(300));
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct AuthenticationRequirement {
    acr_values: Vec<String>,
    max_age: Option<u64>,
}

impl AuthenticationRequirement {
    /// No requirement yet: add [`max_age`](Self::max_age) or start from
    /// [`acr_any_of`](Self::acr_any_of).
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `acr` to be one of `values`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for no
    /// values, or a value that could not be sent in the challenge's space-separated
    /// `acr_values` (empty, spaces, quotes, backslashes, non-ASCII).
    pub fn acr_any_of<I, S>(values: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let acr_values: Vec<String> = values.into_iter().map(Into::into).collect();
        if acr_values.is_empty() || !acr_values.iter().all(|value| is_valid_scope(value)) {
            return Err(Error::config(
                "acr values must be one or more non-empty printable ASCII strings without spaces, `\"` or `\\`",
            ));
        }
        Ok(Self { acr_values, max_age: None })
    }

    /// Requires the login (`auth_time`) to be at most `max_age` old; a token without
    /// `auth_time` fails.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age.as_secs());
        self
    }

    /// The accepted `acr` values (empty: any).
    pub fn acr_values(&self) -> &[String] {
        &self.acr_values
    }

    /// The maximum age of the login in seconds, if any.
    pub fn max_age_secs(&self) -> Option<u64> {
        self.max_age
    }

    fn refuse(&self, reason: &'static str) -> InsufficientAuthentication {
        InsufficientAuthentication::new(reason, &self.acr_values, self.max_age)
    }
}

impl<T> Claims<T> {
    /// `acr`: the authentication context class the login satisfied, when it is a string.
    pub fn authentication_context(&self) -> Option<&str> {
        self.inner.strings.get(super::strings::StringClaim::AuthenticationContext)
    }

    /// `auth_time`: when the user logged in, when it is a NumericDate.
    pub fn authenticated_at(&self) -> Option<NumericDate> {
        self.inner.authenticated_at
    }

    /// Checks `requirement` at `now` (seconds since the epoch; the verifier's clock in the
    /// layer). A login from the future (beyond one minute of clock skew) fails too.
    ///
    /// # Errors
    ///
    /// [`InsufficientAuthentication`], naming what the challenge must ask for.
    pub fn require_authentication(
        &self,
        requirement: &AuthenticationRequirement,
        now: u64,
    ) -> Result<(), InsufficientAuthentication> {
        if !requirement.acr_values.is_empty() {
            match self.authentication_context() {
                None => {
                    return Err(requirement
                        .refuse("the token does not say how the user authenticated (`acr`)"));
                }
                Some(acr) if !requirement.acr_values.iter().any(|value| value == acr) => {
                    return Err(requirement.refuse(
                        "the user's authentication is not strong enough for this resource (`acr`)",
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(max_age) = requirement.max_age {
            let Some(at) = self.authenticated_at() else {
                return Err(requirement
                    .refuse("the token does not say when the user authenticated (`auth_time`)"));
            };
            let at = at.as_secs();
            if at > now.saturating_add(60) {
                return Err(requirement
                    .refuse("the user's authentication time (`auth_time`) is in the future"));
            }
            if now.saturating_sub(at) > max_age {
                return Err(requirement.refuse(
                    "the user authenticated too long ago for this resource (`auth_time`)",
                ));
            }
        }
        Ok(())
    }
}
