//! Where a token keeps its scopes and roles, and how the payload becomes [`Claims`].

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Audience, Claims, ClaimsInner, CustomClaims, NumericDate};
use crate::error::Error;
use crate::role::{ClaimPath, RoleSet};
use crate::scope::{ScopePolicy, ScopeSet};

/// Where the verifier reads scopes and roles from.
///
/// Defaults: scopes from the `scope` claim as a space-delimited string (RFC 8693 section 4.2,
/// RFC 9068 section 2.2.3); roles from `roles` and `role`. Identity providers that differ:
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
/// let okta = ClaimMapping::new().scope_claims(["scp"]).accept_scope_arrays(true);
/// assert!(okta.accepts_scope_arrays());
/// # let _ = keycloak;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimMapping {
    scope_claims: Vec<String>,
    scope_arrays: bool,
    role_paths: Vec<ClaimPath>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            scope_claims: vec!["scope".to_owned()],
            scope_arrays: false,
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

    /// Also accepts scope claims that are JSON arrays of scope tokens. Off by default: RFC 8693
    /// and RFC 9068 define `scope` as a space-delimited string.
    #[must_use]
    pub fn accept_scope_arrays(mut self, accept: bool) -> Self {
        self.scope_arrays = accept;
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

    fn scopes(&self, claims: &Map<String, Value>) -> Result<ScopeSet, Error> {
        let mut tokens: Vec<&str> = Vec::new();
        for name in &self.scope_claims {
            match claims.get(name) {
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
        ScopeSet::from_tokens(tokens)
    }
}

/// Claims read before the signature is checked: only what picks the issuer's keys.
#[derive(Debug)]
pub(crate) struct UnverifiedPayload {
    pub(crate) issuer: String,
    pub(crate) rest: Map<String, Value>,
}

impl UnverifiedPayload {
    pub(crate) fn new(mut claims: Map<String, Value>) -> Result<Self, Error> {
        let issuer = match claims.remove("iss") {
            Some(Value::String(issuer)) => issuer,
            Some(_) => return Err(Error::invalid_claim("iss", "a string")),
            None => return Err(Error::missing_claim("iss")),
        };
        Ok(Self { issuer, rest: claims })
    }
}

/// The registered claims of a verified payload, before they are checked against the clock
/// and the audience.
#[derive(Debug)]
pub(crate) struct VerifiedPayload {
    pub(crate) issuer: String,
    pub(crate) audience: Option<Audience>,
    pub(crate) expires_at: Option<NumericDate>,
    pub(crate) not_before: Option<NumericDate>,
    pub(crate) issued_at: Option<NumericDate>,
    pub(crate) subject: Option<String>,
    pub(crate) jwt_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) authorized_party: Option<String>,
    pub(crate) confirmation: bool,
    pub(crate) scopes: ScopeSet,
    pub(crate) roles: RoleSet,
    pub(crate) custom: CustomClaims,
}

impl VerifiedPayload {
    /// Takes the registered claims out of the payload; what remains are the custom claims.
    pub(crate) fn new(payload: UnverifiedPayload, mapping: &ClaimMapping) -> Result<Self, Error> {
        let UnverifiedPayload { issuer, rest: mut claims } = payload;
        let scopes = mapping.scopes(&claims)?;
        let roles = RoleSet::from_claims(&claims, &mapping.role_paths)?;
        let date = |claims: &mut Map<String, Value>, name: &str| {
            claims.remove(name).map(|value| NumericDate::from_claim(name, &value)).transpose()
        };
        Ok(Self {
            issuer,
            audience: claims.remove("aud").map(Audience::from_claim).transpose()?,
            expires_at: date(&mut claims, "exp")?,
            not_before: date(&mut claims, "nbf")?,
            issued_at: date(&mut claims, "iat")?,
            subject: take_string(&mut claims, "sub")?,
            jwt_id: take_string(&mut claims, "jti")?,
            client_id: take_string(&mut claims, "client_id")?,
            authorized_party: take_string(&mut claims, "azp")?,
            confirmation: claims.contains_key("cnf"),
            scopes,
            roles,
            custom: {
                claims.remove("scope");
                claims
            },
        })
    }

    /// The final, immutable claims. `expires_at` has been checked to be present.
    pub(crate) fn into_claims(
        self,
        expires_at: NumericDate,
        audience: Audience,
        policy: ScopePolicy,
    ) -> Claims {
        Claims {
            inner: Arc::new(ClaimsInner {
                issuer: self.issuer,
                subject: self.subject,
                audience,
                expires_at,
                not_before: self.not_before,
                issued_at: self.issued_at,
                jwt_id: self.jwt_id,
                client_id: self.client_id,
                authorized_party: self.authorized_party,
                scopes: self.scopes,
                roles: self.roles,
                policy,
                custom: self.custom,
            }),
        }
    }
}

fn take_string(claims: &mut Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match claims.remove(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Error::invalid_claim(name, "a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    fn payload(value: Value, mapping: &ClaimMapping) -> Result<VerifiedPayload, Error> {
        let Value::Object(map) = value else { unreachable!() };
        VerifiedPayload::new(UnverifiedPayload::new(map)?, mapping)
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
    fn scope_arrays_only_when_configured() {
        let value = json!({"iss": "i", "scope": ["openid", "orders.read"]});
        let error = payload(value.clone(), &ClaimMapping::new()).unwrap_err();
        assert_eq!(error.message(), "the `scope` claim must be a space-delimited string");
        let mapping = ClaimMapping::new().accept_scope_arrays(true);
        assert!(payload(value, &mapping).unwrap().scopes.contains("orders.read"));
        let object = json!({"iss": "i", "scope": {"orders.read": true}});
        assert_eq!(payload(object, &mapping).unwrap_err().kind(), ErrorKind::InvalidClaim);
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
        assert!(payload(value, &ClaimMapping::new()).unwrap().confirmation);
    }
}
