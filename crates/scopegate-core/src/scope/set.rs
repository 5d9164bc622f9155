//! The set of scopes a token grants.

use std::fmt;

use serde::ser::{Serialize, SerializeSeq, Serializer};

use super::{Scope, is_valid_scope};
use crate::error::{Error, ErrorKind};
use crate::sorted_strs::SortedStrs;

/// The scopes granted by a token, parsed once and checked on every request.
///
/// Members are unique and iterate in byte order. [`contains`](Self::contains) is an exact,
/// bytewise, allocation-free lookup; policies such as hierarchical or prefix scopes are applied
/// by [`ScopePolicy`](crate::ScopePolicy), never here.
///
/// ```
/// use scopegate_core::ScopeSet;
///
/// let scopes = ScopeSet::parse("openid orders.read transaction-42").unwrap();
/// assert_eq!(scopes.len(), 3);
/// assert!(scopes.contains("orders.read"));
/// assert!(!scopes.contains("orders.rea"));
/// assert_eq!(scopes.suffixes("transaction-").collect::<Vec<_>>(), ["42"]);
/// assert_eq!(scopes.to_string(), "openid orders.read transaction-42");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(SortedStrs);

impl ScopeSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a space-delimited `scope` value (RFC 6749 section 3.3).
    ///
    /// The value is split on U+0020 only. Runs of spaces and leading or trailing spaces are
    /// tolerated; tabs, non-breaking spaces and other separators are not separators at all and
    /// make the value invalid.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidClaim`] when any token breaks the scope syntax.
    pub fn parse(value: &str) -> Result<Self, Error> {
        Self::from_tokens(value.split(' ').filter(|token| !token.is_empty()))
    }

    /// Builds the set from individual scope tokens, such as the members of a JSON array.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidClaim`] when any token breaks the scope syntax (including a token
    /// that contains a space: array members are single scopes).
    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Result<Self, Error> {
        let mut invalid = false;
        let set = SortedStrs::from_members(tokens.into_iter().inspect(|token| {
            invalid |= !is_valid_scope(token);
        }));
        if invalid {
            Err(Error::new(
                ErrorKind::InvalidClaim,
                "the token's scopes break the RFC 6749 scope syntax",
            ))
        } else {
            Ok(Self(set))
        }
    }

    /// Whether the set holds exactly `scope` (bytewise).
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// The number of distinct scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no scope was granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in byte order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.iter()
    }

    /// For a prefix scope such as `transaction-`, the non-empty remainders of the granted scopes
    /// that start with it (`transaction-42` yields `42`), in byte order.
    pub fn suffixes<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .with_prefix(prefix)
            .filter_map(move |scope| scope.get(prefix.len()..))
            .filter(|suffix| !suffix.is_empty())
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        let scopes: Vec<Scope> = scopes.into_iter().collect();
        Self(SortedStrs::from_members(scopes.iter().map(Scope::as_str)))
    }
}

impl<'a> FromIterator<&'a Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = &'a Scope>>(scopes: I) -> Self {
        Self(SortedStrs::from_members(scopes.into_iter().map(Scope::as_str)))
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The RFC 6749 form: scopes joined by single spaces.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, scope) in self.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope)?;
        }
        Ok(())
    }
}

/// Serializes as a JSON array of strings.
impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for scope in self.iter() {
            seq.serialize_element(scope)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_space_only() {
        let set = ScopeSet::parse("  a  b a ").unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), ["a", "b"]);
        for value in ["a\tb", "a\u{a0}b", "a\u{3000}b", "a\nb", "a\u{200b}b"] {
            let error = ScopeSet::parse(value).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidClaim, "{value:?}");
        }
    }

    #[test]
    fn empty_value_is_an_empty_set() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
        assert!(ScopeSet::parse("   ").unwrap().is_empty());
    }

    #[test]
    fn array_members_are_single_scopes() {
        let set = ScopeSet::from_tokens(["openid", "orders.read"]).unwrap();
        assert!(set.contains("orders.read"));
        assert!(ScopeSet::from_tokens(["orders.read orders.write"]).is_err());
        assert!(ScopeSet::from_tokens([""]).is_err());
    }

    #[test]
    fn lookalikes_do_not_match() {
        let set = ScopeSet::parse("orders.readonly Orders.read").unwrap();
        assert!(!set.contains("orders.read"));
        assert!(!set.contains("orders.rea"));
    }

    #[test]
    fn suffixes_skip_the_bare_prefix() {
        let set =
            ScopeSet::parse("transaction- transaction-7 transaction-42 transactions").unwrap();
        assert_eq!(set.suffixes("transaction-").collect::<Vec<_>>(), ["42", "7"]);
    }

    #[test]
    fn serializes_as_an_array() {
        let set = ScopeSet::parse("b a").unwrap();
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["a","b"]"#);
        assert_eq!(format!("{set:?}"), r#"{"a", "b"}"#);
    }
}
