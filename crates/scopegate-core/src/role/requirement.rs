//! [`RoleRequirement`]: a role a resource requires, and where it must come from.

use std::fmt;
use std::sync::Arc;

use super::ClaimPath;

/// A role the resource requires: from any of the issuer's configured role paths, or from one
/// named claim path only.
///
/// Naming the source matters when an identity provider puts roles in several places that mean
/// different things: Keycloak's realm role `admin` is not the `admin` client role of
/// `inventory-api` (`resource_access.inventory-api.roles`). A requirement with a source looks
/// at that path alone, whatever the claim mapping collects. Checked by
/// [`Claims::require_role`](crate::Claims::require_role).
///
/// ```
/// use scopegate_core::{ClaimPath, RoleRequirement};
///
/// # let issuer = scopegate_testkit::TestIssuer::new();
/// # let verifier = issuer.verifier();
/// # let token = issuer.token()
/// #     .claim("realm_access", serde_json::json!({"roles": ["admin"]}))
/// #     .claim("resource_access", serde_json::json!({"inventory-api": {"roles": ["viewer"]}}))
/// #     .sign();
/// # let claims = verifier.verify_now(&token).into_ready().unwrap()?;
/// let client_admin = RoleRequirement::new("admin")
///     .from_path(ClaimPath::from_segments(["resource_access", "inventory-api", "roles"])?);
/// let realm_admin =
///     RoleRequirement::new("admin").from_path(ClaimPath::parse("realm_access.roles")?);
/// assert!(claims.require_role(&client_admin).is_err());
/// assert!(claims.require_role(&realm_admin).is_ok());
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RoleRequirement {
    role: Arc<str>,
    source: Option<ClaimPath>,
}

impl RoleRequirement {
    /// Requires `role` from any of the issuer's configured role paths
    /// ([`ClaimMapping::role_paths`](crate::ClaimMapping::role_paths)).
    pub fn new(role: impl Into<String>) -> Self {
        Self { role: Arc::from(role.into()), source: None }
    }

    /// Requires the role at `path` only: a string or an array of strings there.
    #[must_use]
    pub fn from_path(mut self, path: ClaimPath) -> Self {
        self.source = Some(path);
        self
    }

    /// The role.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The claim path the role must come from, if one was named.
    pub fn source(&self) -> Option<&ClaimPath> {
        self.source.as_ref()
    }
}

impl fmt::Debug for RoleRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RoleRequirement");
        debug.field("role", &self.role);
        if let Some(source) = &self.source {
            debug.field("source", &source.to_string());
        }
        debug.finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_role_from_the_configured_paths_or_from_one_named_path() {
        // Tokens minted by the test kit, verified by this crate's own verifier (the test kit's
        // is another build of this crate, whose types are not these).
        let issuer = scopegate_testkit::TestIssuer::new();
        let verifier = crate::Verifier::builder()
            .issuer(issuer.issuer())
            .audience(issuer.audience())
            .keys(crate::KeySet::from_jwks_json(&issuer.jwks_json()).unwrap())
            .build_static()
            .unwrap();
        let token = issuer
            .token()
            .claim("roles", ["viewer"])
            .claim("realm_access", json!({"roles": ["admin"]}))
            .sign();
        let claims = verifier.verify_now(&token).into_ready().unwrap().unwrap();
        let viewer = RoleRequirement::new("viewer");
        assert_eq!((viewer.role(), viewer.source()), ("viewer", None));
        assert!(claims.require_role(&viewer).is_ok());
        // `realm_access.roles` is not a configured path: only a requirement naming it looks.
        assert!(claims.require_role(&RoleRequirement::new("admin")).is_err());
        let realm = ClaimPath::parse("realm_access.roles").unwrap();
        let admin = RoleRequirement::new("admin").from_path(realm.clone());
        assert_eq!((admin.role(), admin.source()), ("admin", Some(&realm)));
        assert!(claims.require_role(&admin).is_ok());
        let viewer_there = RoleRequirement::new("viewer").from_path(realm);
        assert!(claims.require_role(&viewer_there).is_err());
        assert_eq!(format!("{viewer:?}"), r#"RoleRequirement { role: "viewer" }"#);
        assert_eq!(
            format!("{admin:?}"),
            r#"RoleRequirement { role: "admin", source: "realm_access.roles" }"#
        );
    }
}
