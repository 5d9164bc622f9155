//! Roles: read from configurable claim paths and kept apart from scopes.
//!
//! Identity providers put roles in different places: `roles` (Entra ID), `role` (TokenIDP),
//! `realm_access.roles` and `resource_access.<client>.roles` (Keycloak), `cognito:groups`
//! (Cognito), a namespaced claim such as `https://example.com/roles` (Auth0). A [`ClaimPath`]
//! names one such place; the verifier collects the roles of every configured path into a
//! [`RoleSet`]. Each path must hold a string or an array of strings.
//!
//! ```
//! use scopegate_core::{ClaimPath, RoleSet};
//! use serde_json::json;
//!
//! let payload = json!({ "realm_access": { "roles": ["operator", "viewer"] }, "role": "admin" });
//! let payload = payload.as_object().unwrap();
//! let paths = [ClaimPath::parse("realm_access.roles").unwrap(), ClaimPath::parse("role").unwrap()];
//! let roles = RoleSet::from_claims(payload, &paths).unwrap();
//! assert_eq!(roles.iter().collect::<Vec<_>>(), ["admin", "operator", "viewer"]);
//! assert!(roles.contains("operator"));
//! ```

mod path;
mod requirement;

pub use path::ClaimPath;
pub use requirement::RoleRequirement;

use std::fmt;

use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::sorted_strs::SortedStrs;

/// The roles (or groups, or permissions) a token carries. Compared bytewise.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(SortedStrs);

impl RoleSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Collects the roles at every path in `paths`. A path that is absent contributes nothing;
    /// an object of objects contributes its keys (Zitadel's
    /// `urn:zitadel:iam:org:project:roles`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidClaim`] when a path holds anything but a string, an array of
    /// strings or an object of objects (`null` included).
    pub fn from_claims(claims: &Map<String, Value>, paths: &[ClaimPath]) -> Result<Self, Error> {
        let mut roles: Vec<&str> = Vec::new();
        for path in paths {
            match path.lookup(claims)? {
                None => {}
                Some(Value::String(role)) => roles.push(role),
                Some(Value::Array(items)) => {
                    for item in items {
                        match item {
                            Value::String(role) => roles.push(role),
                            _ => return Err(role_type_error(path)),
                        }
                    }
                }
                // Zitadel: `{"admin": {"<org id>": "<domain>"}, ...}`, the roles as keys. Only
                // that shape: `{"admin": false}` is no role set.
                Some(Value::Object(members)) if members.values().all(Value::is_object) => {
                    roles.extend(members.keys().map(String::as_str));
                }
                Some(_) => return Err(role_type_error(path)),
            }
        }
        Ok(Self(SortedStrs::from_members(roles)))
    }

    /// Whether the set holds exactly `role`.
    pub fn contains(&self, role: &str) -> bool {
        self.0.contains(role)
    }

    /// The number of distinct roles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the token carries no role.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The roles, in byte order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.iter()
    }
}

impl<'a> FromIterator<&'a str> for RoleSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(roles: I) -> Self {
        Self(SortedStrs::from_members(roles))
    }
}

/// The error of every failed role check: it names no role.
pub(crate) fn missing_role() -> Error {
    Error::new(ErrorKind::InsufficientRole, "the token lacks a role this resource requires")
}

/// The error of a role check on a token whose role claims are malformed.
pub(crate) fn malformed_roles() -> Error {
    Error::new(
        ErrorKind::InsufficientRole,
        "the token's role claims are malformed, so it grants no role",
    )
}

fn role_type_error(path: &ClaimPath) -> Error {
    Error::invalid_claim(&path.to_string(), "a string, an array of strings or an object of objects")
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Serializes as a JSON array of strings.
impl Serialize for RoleSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for role in self.iter() {
            seq.serialize_element(role)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    fn roles(payload: &Value, paths: &[&str]) -> Result<RoleSet, Error> {
        let paths: Vec<ClaimPath> = paths.iter().map(|p| ClaimPath::parse(p).unwrap()).collect();
        RoleSet::from_claims(payload.as_object().unwrap(), &paths)
    }

    #[test]
    fn reads_every_common_layout() {
        let payload = json!({
            "roles": ["a"],
            "role": "b",
            "realm_access": { "roles": ["c"] },
            "resource_access": { "orders-api": { "roles": ["d"] } },
            "cognito:groups": ["e"],
            "permissions": ["f"],
        });
        let paths = [
            "roles",
            "role",
            "realm_access.roles",
            "resource_access.orders-api.roles",
            "cognito:groups",
            "permissions",
        ];
        let set = roles(&payload, &paths).unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), ["a", "b", "c", "d", "e", "f"]);
    }

    #[test]
    fn namespaced_claims_use_segments() {
        let payload = json!({ "https://example.com/roles": ["admin"] });
        let path = ClaimPath::from_segments(["https://example.com/roles"]).unwrap();
        let set = RoleSet::from_claims(payload.as_object().unwrap(), &[path]).unwrap();
        assert!(set.contains("admin"));
    }

    #[test]
    fn absent_paths_give_no_roles() {
        let set = roles(&json!({ "realm_access": {} }), &["realm_access.roles", "roles"]).unwrap();
        assert!(set.is_empty());
    }

    #[test]
    fn wrong_types_are_errors() {
        for payload in [
            json!({ "roles": 1 }),
            json!({ "roles": null }),
            json!({ "roles": { "a": true } }),
            json!({ "roles": ["a", 2] }),
            json!({ "realm_access": "admin" }),
        ] {
            let error = roles(&payload, &["roles", "realm_access.roles"]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidClaim);
        }
    }

    #[test]
    fn roles_are_bytewise() {
        let set = roles(&json!({ "roles": ["Operator"] }), &["roles"]).unwrap();
        assert!(!set.contains("operator"));
    }

    #[test]
    fn empty_paths_are_refused() {
        assert!(ClaimPath::parse("").is_err());
        assert!(ClaimPath::parse("a..b").is_err());
        assert!(ClaimPath::from_segments::<[&str; 0], &str>([]).is_err());
    }
}
