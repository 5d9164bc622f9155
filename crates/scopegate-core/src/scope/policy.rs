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
    write_suffix: Option<Arc<str>>,
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

    /// Curity's read/write convention: scopes are read-only unless they end with `suffix`
    /// (`.write`). A write scope grants its own read scope and, under a hierarchy, the read
    /// and write scopes of its descendants; a read scope grants reads only. With
    /// [`hierarchical(':')`](Self::hierarchical) and `.write`: `inventory.write` grants
    /// `inventory`, `inventory:price` and `inventory:price.write`; `inventory` grants
    /// `inventory:price` but not `inventory:price.write`.
    ///
    /// ```
    /// use scopegate_core::{ScopePolicy, ScopeSet};
    ///
    /// let policy = ScopePolicy::hierarchical(':').with_write_suffix(".write");
    /// let admin = ScopeSet::parse("inventory.write")?;
    /// assert!(policy.grants(&admin, "inventory:price.write"));
    /// let reader = ScopeSet::parse("inventory")?;
    /// assert!(policy.grants(&reader, "inventory:price"));
    /// assert!(!policy.grants(&reader, "inventory:price.write"));
    /// # Ok::<(), scopegate_core::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// When `suffix` is empty or not scope characters: a programming error.
    #[must_use]
    #[allow(clippy::panic, reason = "a bad suffix is a programming error, documented above")]
    pub fn with_write_suffix(self, suffix: &str) -> Self {
        if suffix.is_empty() || !suffix.bytes().all(is_scope_char) {
            panic!("a write suffix must be one or more scope characters, got {suffix:?}");
        }
        Self { write_suffix: Some(Arc::from(suffix)), ..self }
    }

    /// The write suffix, if any.
    pub fn write_suffix(&self) -> Option<&str> {
        self.write_suffix.as_deref()
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
        if let Some(suffix) = &self.write_suffix {
            let (base, write) = match required.strip_suffix(&**suffix) {
                Some(base) if !base.is_empty() => (base, true),
                _ => (required, false),
            };
            return self.self_and_ancestors(base).any(|scope| {
                (!write && granted.contains(scope)) || granted.contains(&format!("{scope}{suffix}"))
            });
        }
        self.self_and_ancestors(required).skip(1).any(|ancestor| granted.contains(ancestor))
    }

    /// `scope`, then its ancestors under the hierarchy, nearest first.
    fn self_and_ancestors<'a>(&self, scope: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let separator = self.separator;
        let mut end = Some(scope.len());
        std::iter::from_fn(move || {
            let current = scope.get(..end?)?;
            end = separator.and_then(|separator| {
                current.bytes().rposition(|byte| byte == separator).filter(|&at| at > 0)
            });
            Some(current)
        })
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

    /// Curity's scope guide, both tables, row by row (seed `002`).
    #[test]
    fn curity_tables_row_by_row() {
        let hierarchy = ScopePolicy::hierarchical(':');
        let order = set("order");
        for (required, granted) in [
            ("order", true),
            ("order:item", true),
            ("order:price", true),
            ("order:shipping:status", true),
            ("order:shipping:address", true),
        ] {
            assert_eq!(hierarchy.grants(&order, required), granted, "{required}");
        }
        let item = set("order:item");
        assert!(!hierarchy.grants(&item, "order"));
        assert!(!hierarchy.grants(&item, "order:price"));
        let status = set("order:shipping:status");
        assert!(!hierarchy.grants(&status, "order:shipping:address"));

        let policy = ScopePolicy::hierarchical(':').with_write_suffix(".write");
        let rows = [
            ("order", "order", true),
            ("order", "order:items", true),
            ("order", "order.write", false),
            ("order:items", "order", false),
            ("inventory.write", "inventory", true),
            ("inventory.write", "inventory.write", true),
            ("inventory.write", "inventory:price", true),
            ("inventory.write", "inventory:price.write", true),
            ("inventory", "inventory:price", true),
            ("inventory", "inventory:price.write", false),
            ("inventory:price.write", "inventory:price", true),
            ("inventory:price.write", "inventory.write", false),
            ("inventory:price.write", "inventory", false),
            ("inventory:sales", "inventory:sales", true),
            ("inventory:sales", "inventory:price", false),
            ("customer:benefits", "customer:benefits", true),
            ("customer:benefits", "customer:benefits.write", false),
        ];
        for (granted, required, expected) in rows {
            assert_eq!(policy.grants(&set(granted), required), expected, "{granted} -> {required}");
        }
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
