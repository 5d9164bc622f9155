//! How a required scope is matched against the granted ones.

use std::sync::Arc;

use super::{Scope, ScopeSet, is_scope_char};

/// How a granted [`ScopeSet`] satisfies a required scope.
///
/// - **Exact** (the default): the required scope must be granted byte for byte.
/// - **Hierarchical**: a granted scope also grants its descendants. With separator `:`,
///   `order` grants `order:item` and `order:shipping:status`, but not `orders:item`, and
///   `order:item` does not grant `order`. Turn this on only when the identity provider's scope
///   names are designed as a tree: with Auth0-style `read:posts`, a granted `read` would grant
///   every `read:*` scope.
/// - **Prefix scopes**: a declared prefix such as `transaction-` is satisfied by any granted
///   `transaction-<value>` with a non-empty value (Curity's prefix scopes). The values are read
///   with [`ScopeSet::suffixes`].
///
/// Policies are cheap to clone.
///
/// ```
/// use scopegate_core::{Scope, ScopePolicy, ScopeSet};
///
/// let granted = ScopeSet::parse("order transaction-42").unwrap();
///
/// let exact = ScopePolicy::exact();
/// assert!(!exact.grants(&granted, "order:item"));
///
/// let tree = ScopePolicy::hierarchical(':');
/// assert!(tree.grants(&granted, "order:item"));
/// assert!(tree.grants(&granted, "order:shipping:status"));
/// assert!(!tree.grants(&granted, "orders:item"));
///
/// let prefixed = ScopePolicy::exact().with_prefix_scope(Scope::new("transaction-").unwrap());
/// assert!(prefixed.grants(&granted, "transaction-"));
/// assert!(prefixed.grants(&granted, "transaction-42"));
/// assert!(!prefixed.grants(&granted, "transaction-43"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopePolicy {
    separator: Option<u8>,
    prefixes: Arc<[Scope]>,
}

impl ScopePolicy {
    /// Exact, bytewise matching. The default.
    pub fn exact() -> Self {
        Self::default()
    }

    /// Hierarchical matching with `separator` (`:` in the Curity naming scheme).
    ///
    /// # Panics
    ///
    /// When `separator` cannot appear in a scope token (not printable ASCII, or space, `"`, `\`):
    /// such a separator could never match and is a programming error.
    #[allow(clippy::panic, reason = "a bad separator is a programming error, documented above")]
    pub fn hierarchical(separator: char) -> Self {
        let byte = u8::try_from(separator).ok().filter(|byte| is_scope_char(*byte));
        match byte {
            Some(byte) => Self { separator: Some(byte), ..Self::default() },
            None => {
                panic!("a scope hierarchy separator must be a scope character, got {separator:?}")
            }
        }
    }

    /// Declares `prefix` (conventionally ending in `-`) as a prefix scope.
    #[must_use]
    pub fn with_prefix_scope(self, prefix: Scope) -> Self {
        let mut prefixes = self.prefixes.to_vec();
        if !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
        Self { prefixes: prefixes.into(), ..self }
    }

    /// The hierarchy separator, if this policy is hierarchical.
    pub fn separator(&self) -> Option<char> {
        self.separator.map(char::from)
    }

    /// The declared prefix scopes.
    pub fn prefix_scopes(&self) -> &[Scope] {
        &self.prefixes
    }

    /// Whether `granted` satisfies the single `required` scope under this policy.
    ///
    /// A declared prefix scope is satisfied only by a concrete `prefix<value>`, never by the
    /// bare prefix.
    ///
    /// Allocation-free: a hierarchical check looks up each ancestor of `required`.
    pub fn grants(&self, granted: &ScopeSet, required: &str) -> bool {
        if self.prefixes.iter().any(|prefix| prefix.as_str() == required) {
            return granted.suffixes(required).next().is_some();
        }
        if granted.contains(required) {
            return true;
        }
        if let Some(separator) = self.separator {
            let bytes = required.as_bytes();
            let mut end = bytes.len();
            while let Some(position) =
                bytes.get(..end).and_then(|b| b.iter().rposition(|&c| c == separator))
            {
                if required
                    .get(..position)
                    .is_some_and(|ancestor| !ancestor.is_empty() && granted.contains(ancestor))
                {
                    return true;
                }
                end = position;
            }
        }
        false
    }

    /// Whether every scope in `required` is granted.
    pub fn grants_all<S: AsRef<str>>(&self, granted: &ScopeSet, required: &[S]) -> bool {
        required.iter().all(|scope| self.grants(granted, scope.as_ref()))
    }

    /// Whether at least one scope in `required` is granted (`false` for an empty list).
    pub fn grants_any<S: AsRef<str>>(&self, granted: &ScopeSet, required: &[S]) -> bool {
        required.iter().any(|scope| self.grants(granted, scope.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(value: &str) -> ScopeSet {
        ScopeSet::parse(value).unwrap()
    }

    #[test]
    fn exact_is_bytewise() {
        let policy = ScopePolicy::exact();
        let granted = set("orders.read");
        assert!(policy.grants(&granted, "orders.read"));
        for required in ["orders.readonly", "orders", "Orders.read", "orders.rea"] {
            assert!(!policy.grants(&granted, required), "{required}");
        }
        assert!(!policy.grants(&set("orders"), "orders:item"));
    }

    #[test]
    fn hierarchy_grants_descendants_only() {
        let policy = ScopePolicy::hierarchical(':');
        let granted = set("order inventory:price");
        assert!(policy.grants(&granted, "order"));
        assert!(policy.grants(&granted, "order:item"));
        assert!(policy.grants(&granted, "order:shipping:status"));
        assert!(policy.grants(&granted, "inventory:price:history"));
        assert!(!policy.grants(&granted, "inventory"));
        assert!(!policy.grants(&granted, "inventory:stock"));
        assert!(!policy.grants(&granted, "orders:item"));
        assert!(!policy.grants(&granted, "order.item"));
        assert!(!policy.grants(&set(""), ":item"));
    }

    #[test]
    fn separator_is_configurable() {
        let policy = ScopePolicy::hierarchical('/');
        assert!(policy.grants(&set("api/orders"), "api/orders/items"));
        assert!(!policy.grants(&set("api/orders"), "api/orders:items"));
        assert_eq!(policy.separator(), Some('/'));
    }

    #[test]
    #[should_panic(expected = "scope hierarchy separator")]
    fn space_is_not_a_separator() {
        let _ = ScopePolicy::hierarchical(' ');
    }

    #[test]
    fn prefix_scopes_need_a_value() {
        let policy = ScopePolicy::exact().with_prefix_scope(Scope::new("transaction-").unwrap());
        assert!(policy.grants(&set("transaction-42"), "transaction-"));
        assert!(!policy.grants(&set("transaction-"), "transaction-"));
        assert!(!policy.grants(&set("transactions"), "transaction-"));
        // Undeclared prefixes stay exact.
        assert!(!policy.grants(&set("payment-1"), "payment-"));
    }

    #[test]
    fn all_of_and_any_of() {
        let policy = ScopePolicy::exact();
        let granted = set("a b");
        assert!(policy.grants_all(&granted, &["a", "b"]));
        assert!(!policy.grants_all(&granted, &["a", "c"]));
        assert!(policy.grants_any(&granted, &["c", "b"]));
        assert!(!policy.grants_any(&granted, &["c", "d"]));
        assert!(!policy.grants_any::<&str>(&granted, &[]));
        assert!(policy.grants_all::<&str>(&granted, &[]));
    }
}
