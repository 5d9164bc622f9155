//! [`InsufficientScope`]: a token lacks the scopes a resource requires.

use std::fmt;
use std::sync::Arc;

use super::{Error, ErrorKind};

/// A token lacks the scopes a resource requires (RFC 6750 `insufficient_scope`, HTTP 403).
/// Names every scope of the failed requirement, not only the missing ones: clients request
/// their union (MCP 2026-07-28).
///
/// Converts into [`Error`] with [`ErrorKind::InsufficientScope`], which keeps it.
///
/// ```
/// use scopegate_core::{Error, InsufficientScope};
///
/// let denied = InsufficientScope::new(["orders.read", "orders.write"], false);
/// assert_eq!(denied.scope_parameter(), "orders.read orders.write");
/// let error = Error::from(denied.clone());
/// assert_eq!(error.insufficient_scope(), Some(&denied));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientScope {
    required: Arc<[Box<str>]>,
    any: bool,
}

impl InsufficientScope {
    /// Builds the rejection for `required` scopes (`any`: one of them would have sufficed).
    /// The scopes should be valid scope tokens; a challenge drops characters that cannot be
    /// quoted.
    pub fn new<I, S>(required: I, any: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            required: required.into_iter().map(|scope| Box::from(scope.as_ref())).collect(),
            any,
        }
    }

    /// The scopes the resource requires, in the order the requirement gave them.
    pub fn required(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.required.iter().map(|scope| &**scope)
    }

    /// Whether one of [`required`](Self::required) would have sufficed.
    pub fn is_any_of(&self) -> bool {
        self.any
    }

    /// The value of the RFC 6750 `scope` challenge parameter: the required scopes joined by
    /// single spaces.
    pub fn scope_parameter(&self) -> String {
        self.required.join(" ")
    }
}

impl fmt::Display for InsufficientScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            f.write_str("the token has none of the scopes this resource accepts")
        } else {
            f.write_str("the token lacks a scope this resource requires")
        }
    }
}

impl std::error::Error for InsufficientScope {}

impl From<InsufficientScope> for Error {
    fn from(rejection: InsufficientScope) -> Self {
        Error::new(ErrorKind::InsufficientScope, rejection.to_string())
            .with_insufficient_scope(rejection)
    }
}
