//! OAuth 2.0 scopes: the token syntax, the granted set, and the policies that match them.
//!
//! A scope token is `1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 section 3.3): printable ASCII
//! without space, `"` or `\`. Scopes compare bytewise: no case folding, no Unicode
//! normalisation, no prefix matching, unless a [`ScopePolicy`] says otherwise.
//!
//! ```
//! use scopegate_core::{Scope, ScopePolicy, ScopeRequirement, ScopeSet};
//!
//! let granted = ScopeSet::parse("openid orders.read").unwrap();
//! assert!(granted.contains("orders.read"));
//! assert!(!granted.contains("Orders.read"));
//! assert!(Scope::new("orders read").is_err());
//!
//! let needs = ScopeRequirement::all_of(["orders.read"]).unwrap();
//! assert!(needs.is_satisfied_by(&granted, &ScopePolicy::exact()));
//! ```

mod policy;
mod requirement;
mod set;

pub use policy::ScopePolicy;
pub use requirement::ScopeRequirement;
pub use set::ScopeSet;

use std::borrow::Borrow;
use std::fmt;

use crate::error::Error;

/// Whether `byte` may appear in a scope token (RFC 6749 section 3.3, `NQCHAR` without space).
pub const fn is_scope_char(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// Whether `token` is a valid scope token: non-empty and made of [`is_scope_char`] bytes only.
pub const fn is_valid_scope(token: &str) -> bool {
    let bytes = token.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut index = 0;
    while index < bytes.len() {
        // `index < bytes.len()` holds, so this cannot go out of bounds.
        #[allow(clippy::indexing_slicing)]
        let byte = bytes[index];
        if !is_scope_char(byte) {
            return false;
        }
        index += 1;
    }
    true
}

pub(crate) const SCOPE_SYNTAX: &str =
    "a scope must be one or more printable ASCII characters other than space, `\"` and `\\`";

/// One validated scope token, such as `orders.read` or `read:posts`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(Box<str>);

impl Scope {
    /// Validates `token` against RFC 6749 section 3.3.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when the
    /// token is empty or contains a character outside `%x21 / %x23-5B / %x5D-7E`.
    pub fn new(token: impl Into<String>) -> Result<Self, Error> {
        let token = token.into();
        if is_valid_scope(&token) {
            Ok(Self(token.into_boxed_str()))
        } else {
            Err(Error::config(SCOPE_SYNTAX))
        }
    }

    /// The scope as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Scope {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Scope {
    type Err = Error;

    fn from_str(token: &str) -> Result<Self, Error> {
        Self::new(token)
    }
}

impl TryFrom<&str> for Scope {
    type Error = Error;

    fn try_from(token: &str) -> Result<Self, Error> {
        Self::new(token)
    }
}

impl TryFrom<String> for Scope {
    type Error = Error;

    fn try_from(token: String) -> Result<Self, Error> {
        Self::new(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_rfc_6749_alphabet() {
        for token in ["orders.read", "read:posts", "transaction-42", "!", "~", "a#[]{}|^`", "]"] {
            assert!(is_valid_scope(token), "{token}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        let rejected = [
            "",
            " ",
            "orders read",
            "orders\"read",
            "orders\\read",
            "orders\tread",
            "orders\u{a0}read",
            "orders\u{200b}read",
            "ordеrs.read", // Cyrillic `е`
            "ｏrders.read",
            "orders\0read",
            "orders\u{7f}",
        ];
        for token in rejected {
            assert!(!is_valid_scope(token), "{token:?}");
            assert!(Scope::new(token).is_err(), "{token:?}");
        }
    }

    #[test]
    fn every_byte_is_classified_per_the_abnf() {
        for byte in 0..=255u8 {
            let expected =
                byte == 0x21 || (0x23..=0x5b).contains(&byte) || (0x5d..=0x7e).contains(&byte);
            assert_eq!(is_scope_char(byte), expected, "{byte:#x}");
        }
    }
}
