//! Properties of scope parsing and matching, over generated scopes and strings.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use scopegate_core::{Scope, ScopePolicy, ScopeSet, is_scope_char, is_valid_scope};

/// A valid scope token: printable ASCII without space, `"` and `\`.
fn scope() -> impl Strategy<Value = String> {
    "[!#-\\[\\]-~]{1,12}"
}

/// Scope-ish words: mostly valid, built from a small alphabet so that they collide.
fn word() -> impl Strategy<Value = String> {
    "[ab:.-]{1,6}"
}

proptest! {
    #[test]
    fn parsing_keeps_exactly_the_tokens(tokens in prop::collection::vec(scope(), 0..12), gaps in 1usize..4) {
        let text = tokens.join(&" ".repeat(gaps));
        let set = ScopeSet::parse(&format!(" {text} ")).unwrap();
        let mut expected = tokens.clone();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), expected.iter().map(String::as_str).collect::<Vec<_>>());
        for token in &tokens {
            prop_assert!(set.contains(token));
        }
        prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
    }

    #[test]
    fn any_character_outside_the_alphabet_is_refused(prefix in scope(), bad in any::<char>(), suffix in scope()) {
        prop_assume!(bad != ' ' && !(bad.is_ascii() && is_scope_char(bad as u8)));
        let token = format!("{prefix}{bad}{suffix}");
        prop_assert!(!is_valid_scope(&token));
        prop_assert!(Scope::new(token.clone()).is_err());
        let claim = format!("openid {token}");
        prop_assert!(ScopeSet::parse(&claim).is_err());
    }

    #[test]
    fn exact_matching_is_membership(granted in prop::collection::vec(word(), 0..8), required in word()) {
        let set = ScopeSet::parse(&granted.join(" ")).unwrap();
        prop_assert_eq!(ScopePolicy::exact().grants(&set, &required), granted.contains(&required));
    }

    #[test]
    fn hierarchy_adds_only_descendants(granted in prop::collection::vec(word(), 0..8), required in word()) {
        let set = ScopeSet::parse(&granted.join(" ")).unwrap();
        let tree = ScopePolicy::hierarchical(':');
        let has_ancestor = granted.iter().any(|g| required.starts_with(&format!("{g}:")));
        prop_assert_eq!(tree.grants(&set, &required), granted.contains(&required) || has_ancestor);
        for g in &granted {
            let child = format!("{g}:child");
            prop_assert!(tree.grants(&set, &child));
        }
    }

    #[test]
    fn prefix_scopes_need_a_concrete_value(granted in prop::collection::vec(word(), 0..8), prefix in word()) {
        let set = ScopeSet::parse(&granted.join(" ")).unwrap();
        let policy = ScopePolicy::exact().with_prefix_scope(Scope::new(prefix.clone()).unwrap());
        let values: Vec<&str> = set.suffixes(&prefix).collect();
        let expected = granted.iter().any(|g| g.len() > prefix.len() && g.starts_with(&prefix));
        prop_assert_eq!(policy.grants(&set, &prefix), expected);
        prop_assert_eq!(!values.is_empty(), expected);
        let all_granted = values.iter().all(|v| granted.contains(&format!("{prefix}{v}")));
        prop_assert!(all_granted);
    }
}
