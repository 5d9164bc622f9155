//! Where a token keeps its scopes and roles, and how the payload becomes [`Claims`].

use std::sync::Arc;

use serde_json::{Map, Value};

use super::payload::UnverifiedPayload;
use super::{Audience, ClaimStrings, Claims, ClaimsInner, Confirmation, CustomClaims, NumericDate};
use crate::error::Error;
use crate::json::Loose;
use crate::role::{ClaimPath, RoleSet};
use crate::scope::{ScopePolicy, ScopeSet, is_valid_scope};

/// Where the verifier reads scopes and roles from.
///
/// Defaults: scopes from the `scope` claim, a space-delimited string (RFC 8693 section 4.2,
/// RFC 9068 section 2.2.3) or a JSON array of scope strings (as Okta, Spring and many
/// providers write it); a scope token outside RFC 6749's syntax (a tab, NBSP, NUL, non-ASCII)
/// is never granted and never matches, while the others still count
/// ([`strict_scopes`](Self::strict_scopes) refuses such tokens with `401` instead). Roles
/// from `roles` and `role`. Identity providers that differ:
///
/// | provider | scopes | roles |
/// |---|---|---|
/// | Entra ID | `scp` (string) | `roles` |
/// | Okta | `scp` (array) | a custom `groups` claim |
/// | Keycloak | `scope` | `realm_access.roles`, `resource_access.<client>.roles` |
/// | Auth0 | `scope` | `permissions`, or a namespaced claim |
/// | Cognito | `scope` | `cognito:groups` |
///
/// ```
/// use scopegate_core::{ClaimMapping, ClaimPath};
///
/// let keycloak = ClaimMapping::new()
///     .role_paths([ClaimPath::parse("realm_access.roles").unwrap()]);
/// let okta = ClaimMapping::new().scope_claims(["scp"]);
/// assert!(okta.accepts_scope_arrays());
/// # let _ = keycloak;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimMapping {
    scope_claims: Vec<String>,
    scope_arrays: bool,
    strict_scopes: bool,
    role_paths: Vec<ClaimPath>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            scope_claims: vec!["scope".to_owned()],
            scope_arrays: true,
            strict_scopes: false,
            role_paths: vec![ClaimPath::top_level("roles"), ClaimPath::top_level("role")],
        }
    }
}

impl ClaimMapping {
    /// The defaults described above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads scopes from these top-level claims (their union), replacing the default `scope`.
    #[must_use]
    pub fn scope_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scope_claims = names.into_iter().map(Into::into).collect();
        self
    }

    /// Whether scope claims may be JSON arrays of scope strings. On by default; RFC 8693 and
    /// RFC 9068 define `scope` as a space-delimited string, which `false` insists on.
    #[must_use]
    pub fn accept_scope_arrays(mut self, accept: bool) -> Self {
        self.scope_arrays = accept;
        self
    }

    /// Strict scopes: strings only (no arrays), and a token with any scope outside RFC 6749's
    /// syntax is invalid (`401`). Off by default, where such a scope is simply not granted
    /// (one bad scope name at the identity provider must not lock every client out).
    #[must_use]
    pub fn strict_scopes(mut self, strict: bool) -> Self {
        self.strict_scopes = strict;
        if strict {
            self.scope_arrays = false;
        }
        self
    }

    /// Reads roles from these claim paths (their union), replacing the defaults.
    #[must_use]
    pub fn role_paths(mut self, paths: impl IntoIterator<Item = ClaimPath>) -> Self {
        self.role_paths = paths.into_iter().collect();
        self
    }

    /// The claims scopes are read from.
    pub fn scope_claim_names(&self) -> &[String] {
        &self.scope_claims
    }

    /// Whether scope claims may be arrays.
    pub fn accepts_scope_arrays(&self) -> bool {
        self.scope_arrays
    }

    /// The paths roles are read from.
    pub fn role_claim_paths(&self) -> &[ClaimPath] {
        &self.role_paths
    }

    /// The scopes of a payload: `scope` (the registered claim, kept apart from the custom
    /// claims) and any other configured claim.
    fn scopes(
        &self,
        scope: Option<&Loose<'_>>,
        custom: &Map<String, Value>,
    ) -> Result<ScopeSet, Error> {
        let mut tokens: Vec<&str> = Vec::new();
        for name in &self.scope_claims {
            let value = match (name.as_str(), scope) {
                ("scope", Some(Loose::Str(text))) => {
                    tokens.extend(text.split(' ').filter(|t| !t.is_empty()));
                    continue;
                }
                ("scope", Some(Loose::Value(value))) => Some(value),
                ("scope", None) => None,
                _ => custom.get(name),
            };
            match value {
                None => {}
                Some(Value::String(value)) => {
                    tokens.extend(value.split(' ').filter(|t| !t.is_empty()));
                }
                Some(Value::Array(items)) if self.scope_arrays => {
                    for item in items {
                        match item {
                            Value::String(token) => tokens.push(token),
                            _ => {
                                return Err(Error::invalid_claim(
                                    name,
                                    "an array of scope strings",
                                ));
                            }
                        }
                    }
                }
                Some(_) if self.scope_arrays => {
                    return Err(Error::invalid_claim(
                        name,
                        "a space-delimited string or an array of strings",
                    ));
                }
                Some(_) => return Err(Error::invalid_claim(name, "a space-delimited string")),
            }
        }
        if self.strict_scopes {
            return ScopeSet::from_tokens(tokens);
        }
        let before = tokens.len();
        tokens.retain(|token| is_valid_scope(token));
        if tokens.len() < before {
            // Logged once per token: verified tokens are cached. Never the values.
            tracing::debug!(
                dropped = before - tokens.len(),
                "scope tokens outside RFC 6749 syntax were not granted"
            );
        }
        ScopeSet::from_tokens(tokens)
    }
}

/// The registered claims of a verified payload, before they are checked against the clock
/// and the audience.
#[derive(Debug)]
pub(crate) struct VerifiedPayload {
    pub(crate) issuer: Arc<str>,
    pub(crate) audience: Option<Audience>,
    pub(crate) expires_at: Option<NumericDate>,
    pub(crate) not_before: Option<NumericDate>,
    pub(crate) issued_at: Option<NumericDate>,
    /// `sub`, `jti`, `client_id`, `azp` and `acr`.
    pub(crate) strings: ClaimStrings,
    pub(crate) confirmation: Option<Confirmation>,
    pub(crate) authenticated_at: Option<NumericDate>,
    pub(crate) scopes: ScopeSet,
    pub(crate) roles: RoleSet,
    pub(crate) roles_malformed: bool,
    pub(crate) custom: CustomClaims,
}

impl VerifiedPayload {
    /// Judges the registered claims of a payload whose signature holds: each must have its
    /// JSON type. `issuer` is the configured issuer the payload's `iss` matched. The custom
    /// claims stay as they are.
    pub(crate) fn new(
        payload: UnverifiedPayload<'_>,
        issuer: Arc<str>,
        mapping: &ClaimMapping,
    ) -> Result<Self, Error> {
        let scopes = mapping.scopes(payload.scope.as_ref(), &payload.custom)?;
        // A malformed role claim fails the routes that need a role, not the token.
        let (roles, roles_malformed) = match RoleSet::from_claims(
            &payload.custom,
            &mapping.role_paths,
        ) {
            Ok(roles) => (roles, false),
            Err(error) => {
                tracing::debug!(reason = %error, "the token's role claims are malformed; routes that need a role refuse it");
                (RoleSet::new(), true)
            }
        };
        let date = |value: Option<Loose<'_>>, name: &str| {
            value.map(|value| NumericDate::from_claim(name, &value.into_value())).transpose()
        };
        Ok(Self {
            issuer,
            audience: payload
                .audience
                .map(|value| Audience::from_claim(value.into_value()))
                .transpose()?,
            expires_at: date(payload.expires_at, "exp")?,
            not_before: date(payload.not_before, "nbf")?,
            issued_at: date(payload.issued_at, "iat")?,
            strings: ClaimStrings::new([
                string_claim(payload.subject.as_ref(), "sub")?,
                string_claim(payload.jwt_id.as_ref(), "jti")?,
                string_claim(payload.client_id.as_ref(), "client_id")?,
                string_claim(payload.authorized_party.as_ref(), "azp")?,
                // Read leniently: a step-up requirement fails when it is absent or mistyped,
                // a route without one does not care.
                payload.custom.get("acr").and_then(Value::as_str),
            ]),
            confirmation: if payload.confirmation {
                Some(Confirmation::from_claim(payload.custom.get("cnf"))?)
            } else {
                None
            },
            authenticated_at: payload
                .custom
                .get("auth_time")
                .and_then(|value| NumericDate::from_claim("auth_time", value).ok()),
            scopes,
            roles,
            roles_malformed,
            custom: payload.custom,
        })
    }

    /// The final, immutable claims.
    pub(crate) fn into_claims(
        self,
        expires_at: Option<NumericDate>,
        audience: Audience,
        policy: Arc<ScopePolicy>,
        tenant: Option<super::TenantMark>,
    ) -> Claims {
        Claims {
            inner: Arc::new(ClaimsInner {
                issuer: self.issuer,
                strings: self.strings,
                audience,
                expires_at,
                not_before: self.not_before,
                issued_at: self.issued_at,
                scopes: self.scopes,
                roles: self.roles,
                roles_malformed: self.roles_malformed,
                confirmation: self.confirmation,
                authenticated_at: self.authenticated_at,
                policy,
                tenant,
                custom: self.custom,
            }),
        }
    }
}

fn string_claim<'v>(value: Option<&'v Loose<'_>>, name: &str) -> Result<Option<&'v str>, Error> {
    match value {
        None => Ok(None),
        Some(Loose::Str(value)) => Ok(Some(value)),
        Some(Loose::Value(_)) => Err(Error::invalid_claim(name, "a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    fn payload(value: Value, mapping: &ClaimMapping) -> Result<VerifiedPayload, Error> {
        let text = value.to_string();
        let payload = UnverifiedPayload::parse(text.as_bytes())?;
        let issuer = Arc::from(&*payload.issuer);
        VerifiedPayload::new(payload, issuer, mapping)
    }

    #[test]
    fn iss_must_be_a_string() {
        for (value, kind) in [
            (json!({}), ErrorKind::MissingClaim),
            (json!({"iss": ["https://id.example.com"]}), ErrorKind::InvalidClaim),
            (json!({"iss": null}), ErrorKind::InvalidClaim),
            (json!({"iss": 1}), ErrorKind::InvalidClaim),
        ] {
            assert_eq!(payload(value, &ClaimMapping::new()).unwrap_err().kind(), kind);
        }
    }

    #[test]
    fn registered_claims_are_typed() {
        for name in ["sub", "jti", "client_id", "azp"] {
            let mut value = json!({"iss": "i"});
            value[name] = json!(42);
            let error = payload(value, &ClaimMapping::new()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidClaim);
            assert_eq!(error.message(), format!("the `{name}` claim must be a string"));
        }
    }

    #[test]
    fn custom_claims_are_what_remains() {
        let value = json!({"iss": "i", "sub": "42", "scope": "a", "exp": 10, "tenant": "t1", "roles": ["r"]});
        let parsed = payload(value, &ClaimMapping::new()).unwrap();
        let mut names: Vec<_> = parsed.custom.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["roles", "tenant"]);
        assert!(parsed.scopes.contains("a") && parsed.roles.contains("r"));
    }

    #[test]
    fn scope_arrays_unless_strict() {
        let value = json!({"iss": "i", "scope": ["openid", "orders.read"]});
        assert!(
            payload(value.clone(), &ClaimMapping::new()).unwrap().scopes.contains("orders.read")
        );
        let strict = ClaimMapping::new().strict_scopes(true);
        let error = payload(value, &strict).unwrap_err();
        assert_eq!(error.message(), "the `scope` claim must be a space-delimited string");
        let object = json!({"iss": "i", "scope": {"orders.read": true}});
        let error = payload(object, &ClaimMapping::new()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidClaim);
    }

    #[test]
    fn malformed_scope_tokens_are_not_granted_unless_strict() {
        for bad in ["orders.write\tadmin", "nb\u{a0}sp", "nul\u{0}", "caf\u{e9}"] {
            let value = json!({"iss": "i", "scope": format!("orders.read {bad}")});
            let scopes = payload(value.clone(), &ClaimMapping::new()).unwrap().scopes;
            assert_eq!(scopes.iter().collect::<Vec<_>>(), ["orders.read"], "{bad:?}");
            let strict = payload(value, &ClaimMapping::new().strict_scopes(true)).unwrap_err();
            assert_eq!(strict.kind(), ErrorKind::InvalidClaim, "{bad:?}");
        }
    }

    #[test]
    fn scp_only_when_configured() {
        let value = json!({"iss": "i", "scp": "orders.read"});
        assert!(payload(value.clone(), &ClaimMapping::new()).unwrap().scopes.is_empty());
        let mapping = ClaimMapping::new().scope_claims(["scope", "scp"]);
        assert!(payload(value, &mapping).unwrap().scopes.contains("orders.read"));
    }

    #[test]
    fn cnf_is_noticed() {
        let value = json!({"iss": "i", "cnf": {"jkt": "abc"}});
        let confirmation = payload(value, &ClaimMapping::new()).unwrap().confirmation.unwrap();
        assert_eq!(confirmation.key_thumbprint(), Some("abc"));
        let other = json!({"iss": "i", "cnf": {"x5t#S256": "abc"}});
        let confirmation = payload(other, &ClaimMapping::new()).unwrap().confirmation.unwrap();
        assert_eq!(confirmation.key_thumbprint(), None);
        for bad in [json!({"iss": "i", "cnf": "abc"}), json!({"iss": "i", "cnf": {"jkt": 1}})] {
            assert_eq!(
                payload(bad, &ClaimMapping::new()).unwrap_err().kind(),
                ErrorKind::InvalidClaim
            );
        }
    }
}
