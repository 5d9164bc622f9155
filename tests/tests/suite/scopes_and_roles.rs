//! Scopes and roles as verified tokens carry them: parsing, tricks that must not grant, policies
//! and claim paths.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate_core::{ClaimMapping, ClaimPath, ErrorKind, Scope, ScopePolicy, ScopeRequirement};
use scopegate_testkit::TestIssuer;
use scopegate_tests::verify;
use serde_json::json;

#[test]
fn scope_tricks_never_grant_orders_read() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let needs = ScopeRequirement::all_of(["orders.read"]).unwrap();
    // Valid scope syntax, but not the scope.
    for scope in [
        "orders.readonly",
        "Orders.read",
        "ORDERS.READ",
        "orders.rea",
        "orders",
        "orders.read.",
        "orders:read",
    ] {
        let claims = verify(&verifier, &issuer.token().claim("scope", scope).sign()).unwrap();
        assert!(claims.require_scopes(&needs).is_err(), "{scope:?}");
        assert!(!claims.has_scope("orders.read"), "{scope:?}");
    }
    // Not scope syntax at all: never granted, never matching; strict mode refuses the token.
    let strict = issuer
        .verifier_builder()
        .claim_mapping(ClaimMapping::new().strict_scopes(true))
        .build_static()
        .unwrap();
    for scope in [
        "orders.read\u{a0}orders.write",
        "orders.read\torders.write",
        "\u{43e}rders.read",
        "ｏrders.read",
        "orders.read\u{200b}",
        "orders.read\0",
        "\"orders.read\"",
        "orders\\.read",
    ] {
        let token = issuer.token().claim("scope", format!("openid {scope}")).sign();
        let claims = verify(&verifier, &token).unwrap();
        assert_eq!(claims.scopes().iter().collect::<Vec<_>>(), ["openid"], "{scope:?}");
        assert!(claims.require_scopes(&needs).is_err(), "{scope:?}");
        let error = verify(&strict, &token).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidClaim, "{scope:?}");
    }
}

#[test]
fn scope_claim_shapes() {
    let issuer = TestIssuer::new();
    let token = issuer.token().claim("scope", json!(["openid", "orders.read"])).sign();
    // Arrays (the TokenIDP and Okta shape) by default; RFC 8693 / 9068 strings only when told.
    assert!(verify(&issuer.verifier(), &token).unwrap().has_scope("orders.read"));
    let strings_only = issuer
        .verifier_builder()
        .claim_mapping(ClaimMapping::new().accept_scope_arrays(false))
        .build_static()
        .unwrap();
    assert_eq!(verify(&strings_only, &token).unwrap_err().kind(), ErrorKind::InvalidClaim);
    // `scp` (Entra ID, Okta) only where configured.
    let scp = issuer.token().without_claim("scope").claim("scp", "orders.read").sign();
    let default = issuer.verifier();
    assert!(!verify(&default, &scp).unwrap().has_scope("orders.read"));
    let entra = issuer
        .verifier_builder()
        .claim_mapping(ClaimMapping::new().scope_claims(["scp"]))
        .build_static()
        .unwrap();
    assert!(verify(&entra, &scp).unwrap().has_scope("orders.read"));
    for bad in [json!(1), json!({"orders.read": true}), json!(null)] {
        let error = verify(&default, &issuer.token().claim("scope", &bad).sign()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidClaim, "{bad}");
    }
}

#[test]
fn all_of_and_any_of() {
    let issuer = TestIssuer::new();
    let claims =
        verify(&issuer.verifier(), &issuer.token().scopes(["read:posts", "write:posts"]).sign())
            .unwrap();
    let both = ScopeRequirement::all_of(["read:posts", "write:posts"]).unwrap();
    let three = ScopeRequirement::all_of(["read:posts", "write:posts", "delete:posts"]).unwrap();
    let either = ScopeRequirement::any_of(["delete:posts", "write:posts"]).unwrap();
    let neither = ScopeRequirement::any_of(["delete:posts", "admin:users"]).unwrap();
    assert!(claims.require_scopes(&both).is_ok());
    assert_eq!(
        claims.require_scopes(&three).unwrap_err().scope_parameter(),
        "read:posts write:posts delete:posts"
    );
    assert!(claims.require_scopes(&either).is_ok());
    assert_eq!(
        claims.require_scopes(&neither).unwrap_err().scope_parameter(),
        "delete:posts admin:users"
    );
}

#[test]
fn hierarchical_policy_from_the_verifier() {
    let issuer = TestIssuer::new();
    let token = issuer.token().scopes(["order", "inventory:price.write"]).sign();
    let exact = verify(&issuer.verifier(), &token).unwrap();
    assert!(!exact.has_scope("order:item"));
    let tree = issuer
        .verifier_builder()
        .scope_policy(ScopePolicy::hierarchical(':'))
        .build_static()
        .unwrap();
    let claims = verify(&tree, &token).unwrap();
    assert!(claims.has_scope("order:item"));
    assert!(claims.has_scope("order:shipping:status"));
    assert!(!claims.has_scope("orders:item"));
    assert!(!claims.has_scope("inventory"));
    assert_eq!(claims.scope_policy(), &ScopePolicy::hierarchical(':'));
}

#[test]
fn prefix_scopes_expose_their_values() {
    let issuer = TestIssuer::new();
    let policy = ScopePolicy::exact().with_prefix_scope(Scope::new("transaction-").unwrap());
    let verifier = issuer.verifier_builder().scope_policy(policy).build_static().unwrap();
    let claims =
        verify(&verifier, &issuer.token().scopes(["openid", "transaction-42"]).sign()).unwrap();
    assert!(claims.has_scope("transaction-"));
    assert_eq!(claims.scopes().suffixes("transaction-").collect::<Vec<_>>(), ["42"]);
    let without = verify(&verifier, &issuer.token().scopes(["openid"]).sign()).unwrap();
    assert!(!without.has_scope("transaction-"));
}

#[test]
fn roles_from_configured_paths() {
    let issuer = TestIssuer::new();
    let token = issuer
        .token()
        .claim("role", json!(["operator"]))
        .claim("realm_access", json!({"roles": ["realm-admin"]}))
        .claim("cognito:groups", json!(["group-a"]))
        .claim("permissions", json!(["read:users"]))
        .claim("https://example.com/roles", json!(["namespaced"]))
        .sign();
    let default = verify(&issuer.verifier(), &token).unwrap();
    assert_eq!(default.roles().iter().collect::<Vec<_>>(), ["operator"]);
    assert!(default.require_any_role(&["operator"]).is_ok());
    assert_eq!(default.require_any_role(&["admin"]).unwrap_err().kind(), ErrorKind::InsufficientRole);
    let mapping = ClaimMapping::new().role_paths([
        ClaimPath::parse("realm_access.roles").unwrap(),
        ClaimPath::parse("cognito:groups").unwrap(),
        ClaimPath::parse("permissions").unwrap(),
        ClaimPath::from_segments(["https://example.com/roles"]).unwrap(),
    ]);
    let verifier = issuer.verifier_builder().claim_mapping(mapping).build_static().unwrap();
    let claims = verify(&verifier, &token).unwrap();
    assert_eq!(
        claims.roles().iter().collect::<Vec<_>>(),
        ["group-a", "namespaced", "read:users", "realm-admin"]
    );
    // Roles never count as scopes, nor scopes as roles.
    assert!(!claims.has_scope("realm-admin"));
    let scoped = verify(&verifier, &issuer.token().scopes(["operator"]).sign()).unwrap();
    assert!(!scoped.has_role("operator"));
}

/// A malformed role claim fails role checks only: the token stays valid for scope-only routes.
#[test]
fn malformed_role_claims_grant_no_role() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    for roles in [json!(7), json!([1, 2]), json!({"admin": true}), json!(["admin", 1])] {
        let token = issuer.token().scopes(["orders.read"]).claim("roles", &roles).sign();
        let claims = verify(&verifier, &token).unwrap();
        assert!(claims.has_scope("orders.read"), "{roles}");
        let error = claims.require_any_role(&["admin"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InsufficientRole, "{roles}");
        assert_eq!(error.message(), "the token's role claims are malformed, so it grants no role");
        let error = claims.require_role(&scopegate::RoleRequirement::new("admin")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InsufficientRole, "{roles}");
    }
}
