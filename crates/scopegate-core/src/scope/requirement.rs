//! What a route needs: all of some scopes, or any one of them.

use std::sync::Arc;

use super::{Scope, ScopePolicy, ScopeSet};
use crate::error::{Error, InsufficientScope};

/// The scopes a resource requires: all of them, or any one of them.
///
/// ```
/// use scopegate_core::{ScopePolicy, ScopeRequirement, ScopeSet};
///
/// let granted = ScopeSet::parse("orders.read").unwrap();
/// let policy = ScopePolicy::exact();
///
/// let both = ScopeRequirement::all_of(["orders.read", "orders.write"]).unwrap();
/// let denied = both.check(&granted, &policy).unwrap_err();
/// assert_eq!(denied.scope_parameter(), "orders.read orders.write");
///
/// let either = ScopeRequirement::any_of(["orders.read", "orders.write"]).unwrap();
/// assert!(either.check(&granted, &policy).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeRequirement {
    scopes: Arc<[Scope]>,
    any: bool,
}

impl ScopeRequirement {
    /// Requires every scope in `scopes`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when the list is empty or a scope is invalid.
    pub fn all_of<I, S>(scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::build(scopes, false)
    }

    /// Requires at least one scope in `scopes`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when the list is empty or a scope is invalid.
    pub fn any_of<I, S>(scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::build(scopes, true)
    }

    fn build<I, S>(scopes: I, any: bool) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list: Vec<Scope> = Vec::new();
        for scope in scopes {
            let scope = Scope::new(scope.as_ref())?;
            if !list.contains(&scope) {
                list.push(scope);
            }
        }
        if list.is_empty() {
            return Err(Error::config("a scope requirement needs at least one scope"));
        }
        Ok(Self { scopes: list.into(), any })
    }

    /// The required scopes, in the order given, without duplicates.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// Whether one scope suffices (any-of) rather than all of them.
    pub fn is_any_of(&self) -> bool {
        self.any
    }

    /// Whether `granted` satisfies this requirement under `policy`.
    pub fn is_satisfied_by(&self, granted: &ScopeSet, policy: &ScopePolicy) -> bool {
        if self.any {
            policy.grants_any(granted, &self.scopes)
        } else {
            policy.grants_all(granted, &self.scopes)
        }
    }

    /// Checks `granted` against this requirement under `policy`.
    ///
    /// # Errors
    ///
    /// [`InsufficientScope`] naming the required scopes when the check fails.
    pub fn check(&self, granted: &ScopeSet, policy: &ScopePolicy) -> Result<(), InsufficientScope> {
        if self.is_satisfied_by(granted, policy) {
            Ok(())
        } else {
            Err(InsufficientScope::new(self.scopes.iter().map(Scope::as_str), self.any))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn empty_and_invalid_requirements_are_refused() {
        let empty: [&str; 0] = [];
        assert_eq!(
            ScopeRequirement::all_of(empty).unwrap_err().kind(),
            ErrorKind::InvalidConfiguration
        );
        assert!(ScopeRequirement::any_of(["a b"]).is_err());
    }

    #[test]
    fn all_of_and_any_of_say_which_they_are() {
        assert!(!ScopeRequirement::all_of(["a", "b"]).unwrap().is_any_of());
        assert!(ScopeRequirement::any_of(["a", "b"]).unwrap().is_any_of());
    }

    #[test]
    fn duplicates_collapse_in_order() {
        let requirement = ScopeRequirement::all_of(["b", "a", "b"]).unwrap();
        let names: Vec<_> = requirement.scopes().iter().map(Scope::as_str).collect();
        assert_eq!(names, ["b", "a"]);
    }

    #[test]
    fn all_of_needs_every_scope() {
        let requirement = ScopeRequirement::all_of(["a", "b"]).unwrap();
        let policy = ScopePolicy::exact();
        assert!(requirement.check(&ScopeSet::parse("b a c").unwrap(), &policy).is_ok());
        let rejection = requirement.check(&ScopeSet::parse("a").unwrap(), &policy).unwrap_err();
        assert_eq!(rejection.scope_parameter(), "a b");
        assert!(!rejection.is_any_of());
        let error = Error::from(rejection.clone());
        assert_eq!(error.kind(), ErrorKind::InsufficientScope);
        assert_eq!(error.insufficient_scope(), Some(&rejection));
        assert_eq!(error.to_string(), "the token lacks a scope this resource requires");
    }

    #[test]
    fn any_of_needs_one() {
        let requirement = ScopeRequirement::any_of(["a", "b"]).unwrap();
        let policy = ScopePolicy::exact();
        assert!(requirement.check(&ScopeSet::parse("b").unwrap(), &policy).is_ok());
        let rejection = requirement.check(&ScopeSet::parse("c").unwrap(), &policy).unwrap_err();
        assert!(rejection.is_any_of());
        assert_eq!(rejection.required().len(), 2);
        assert_eq!(rejection.required().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn policy_applies_to_requirements() {
        let requirement = ScopeRequirement::all_of(["order:item"]).unwrap();
        let granted = ScopeSet::parse("order").unwrap();
        assert!(!requirement.is_satisfied_by(&granted, &ScopePolicy::exact()));
        assert!(requirement.is_satisfied_by(&granted, &ScopePolicy::hierarchical(':')));
    }
}
