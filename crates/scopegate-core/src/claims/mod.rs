//! The verified contents of an access token.
//!
//! [`Claims`] holds the registered claims (RFC 7519, RFC 9068), the granted [`ScopeSet`], the
//! [`RoleSet`] read through a [`ClaimMapping`], the [`ScopePolicy`] of the verifier that
//! produced it, and everything else as custom claims: a JSON map by default, or your own type.
//! It is cheap to clone (one `Arc`).
//!
//! ```
//! use scopegate_core::ScopeRequirement;
//! use serde::Deserialize;
//!
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let verifier = issuer.verifier();
//! # let token = issuer.token().subject("42").scopes(["orders.read"]).claim("tenant", "acme").sign();
//! let claims = verifier.verify_now(&token).into_ready().unwrap()?;
//! assert_eq!(claims.subject(), Some("42"));
//! assert!(claims.has_scope("orders.read"));
//! assert!(claims.require_scopes(&ScopeRequirement::all_of(["orders.read"])?).is_ok());
//!
//! #[derive(Deserialize)]
//! struct Tenant {
//!     tenant: String,
//! }
//! let typed = claims.try_into_custom::<Tenant>()?;
//! assert_eq!(typed.custom().tenant, "acme");
//! # Ok::<(), scopegate_core::Error>(())
//! ```

mod audience;
mod authentication;
mod confirmation;
pub(crate) mod flat_payload;
mod mapping;
mod numeric_date;
mod payload;
mod rule;
mod strings;

pub use audience::Audience;
pub use authentication::AuthenticationRequirement;
pub use confirmation::Confirmation;
pub use mapping::ClaimMapping;
pub use numeric_date::NumericDate;
pub use rule::{ClaimRule, ClaimSelector};

pub(crate) use mapping::VerifiedPayload;
pub(crate) use payload::UnverifiedPayload;
pub(crate) use strings::{ClaimStrings, StringClaim};

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::InsufficientScope;
use crate::error::{Error, ErrorKind};
use crate::role::{RoleRequirement, RoleSet};
use crate::scope::{ScopePolicy, ScopeRequirement, ScopeSet};

/// The custom claims of a token when no type is given: every claim other than `iss`, `sub`,
/// `aud`, `exp`, `nbf`, `iat`, `jti`, `client_id`, `azp` and `scope`.
pub type CustomClaims = serde_json::Map<String, Value>;

/// The verified claims of an access token. Cheap to clone.
///
/// `T` holds the custom claims; see [`Claims::try_into_custom`].
pub struct Claims<T = CustomClaims> {
    inner: Arc<ClaimsInner<T>>,
}

struct ClaimsInner<T> {
    issuer: Arc<str>,
    /// `sub`, `jti`, `client_id`, `azp` and `acr` (when a string).
    strings: ClaimStrings,
    audience: Audience,
    expires_at: Option<NumericDate>,
    not_before: Option<NumericDate>,
    issued_at: Option<NumericDate>,
    scopes: ScopeSet,
    roles: RoleSet,
    /// A configured role path held something other than strings: role checks fail.
    roles_malformed: bool,
    confirmation: Option<Confirmation>,
    /// `auth_time`, when it is a NumericDate.
    authenticated_at: Option<NumericDate>,
    policy: Arc<ScopePolicy>,
    /// The tenant whose issuer signed the token, when tenants are resolved at run time.
    tenant: Option<TenantMark>,
    custom: T,
}

/// The tenant whose issuer signed a token, and whether that tenant is still live: cleared when
/// the verifier evicts it, so that tokens cached under it stop being hits without a lookup.
#[derive(Clone, Debug)]
pub(crate) struct TenantMark {
    pub(crate) name: Arc<str>,
    pub(crate) live: Arc<std::sync::atomic::AtomicBool>,
}

impl TenantMark {
    pub(crate) fn is_live(&self) -> bool {
        self.live.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl<T> Clone for Claims<T> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<T> Claims<T> {
    /// `iss`: the issuer that signed the token, exactly as configured.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The tenant whose issuer signed the token, when the verifier resolves tenants at run time
    /// ([`Tenants`](crate::Tenants)); `None` for the issuers it was configured with.
    pub fn tenant(&self) -> Option<&str> {
        self.inner.tenant.as_ref().map(|mark| &*mark.name)
    }

    /// The tenant's mark, to tell whether it is still live.
    pub(crate) fn tenant_mark(&self) -> Option<&TenantMark> {
        self.inner.tenant.as_ref()
    }

    /// `sub`: the subject (user or client) the token is about.
    pub fn subject(&self) -> Option<&str> {
        self.inner.strings.get(StringClaim::Subject)
    }

    /// `aud`: the audiences the token was issued for; one of them is ours.
    pub fn audience(&self) -> &Audience {
        &self.inner.audience
    }

    /// `exp`: when the token expires. Always present for a JWT; an introspection answer may
    /// leave it out (RFC 7662), and is then trusted for the introspection cache time only.
    pub fn expires_at(&self) -> Option<NumericDate> {
        self.inner.expires_at
    }

    /// `nbf`: when the token becomes valid.
    pub fn not_before(&self) -> Option<NumericDate> {
        self.inner.not_before
    }

    /// `iat`: when the token was issued.
    pub fn issued_at(&self) -> Option<NumericDate> {
        self.inner.issued_at
    }

    /// `jti`: the token's unique identifier.
    pub fn jwt_id(&self) -> Option<&str> {
        self.inner.strings.get(StringClaim::JwtId)
    }

    /// `client_id`: the OAuth client the token was issued to (RFC 9068).
    pub fn client_id(&self) -> Option<&str> {
        self.inner.strings.get(StringClaim::ClientId)
    }

    /// `azp`: the authorized party (OpenID Connect).
    pub fn authorized_party(&self) -> Option<&str> {
        self.inner.strings.get(StringClaim::AuthorizedParty)
    }

    /// The scopes the token grants, as written (no policy applied).
    pub fn scopes(&self) -> &ScopeSet {
        &self.inner.scopes
    }

    /// The roles read from the configured claim paths.
    pub fn roles(&self) -> &RoleSet {
        &self.inner.roles
    }

    /// `cnf`: the key the token is bound to (RFC 7800), if it is sender-constrained. Such a
    /// token is only accepted with a proof of that key (DPoP), never as a bearer token.
    pub fn confirmation(&self) -> Option<&Confirmation> {
        self.inner.confirmation.as_ref()
    }

    /// The scope policy of the verifier that produced these claims.
    pub fn scope_policy(&self) -> &ScopePolicy {
        &self.inner.policy
    }

    /// The custom claims.
    pub fn custom(&self) -> &T {
        &self.inner.custom
    }

    /// Whether the token grants `scope` under the verifier's [`ScopePolicy`].
    pub fn has_scope(&self, scope: &str) -> bool {
        self.inner.policy.grants(&self.inner.scopes, scope)
    }

    /// Checks a scope requirement under the verifier's [`ScopePolicy`].
    ///
    /// # Errors
    ///
    /// [`InsufficientScope`] naming the required scopes.
    pub fn require_scopes(&self, requirement: &ScopeRequirement) -> Result<(), InsufficientScope> {
        requirement.check(&self.inner.scopes, &self.inner.policy)
    }

    /// Whether the token carries `role` (exact comparison) in one of its issuer's configured
    /// role paths.
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.roles.contains(role)
    }

    /// Checks that the token carries at least one of `roles` in its issuer's configured role
    /// paths.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsufficientRole`] when it carries none. The message names no role.
    pub fn require_any_role(&self, roles: &[&str]) -> Result<(), Error> {
        if self.inner.roles_malformed {
            return Err(crate::role::malformed_roles());
        }
        if roles.iter().any(|role| self.has_role(role)) {
            Ok(())
        } else {
            Err(crate::role::missing_role())
        }
    }
}

impl Claims<CustomClaims> {
    /// Checks a role requirement: the role from the configured role paths, or from the one
    /// path the requirement names.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsufficientRole`] when the role is missing. The message does not name it.
    pub fn require_role(&self, requirement: &RoleRequirement) -> Result<(), Error> {
        let role = requirement.role();
        let granted = match requirement.source() {
            None if self.inner.roles_malformed => return Err(crate::role::malformed_roles()),
            None => self.has_role(role),
            // A source that is absent, or holds anything but a string or an array of strings,
            // never grants the role.
            Some(path) => match path.lookup(self.custom()) {
                Ok(Some(Value::String(granted))) => granted == role,
                Ok(Some(Value::Array(granted))) => granted.iter().any(|granted| granted == role),
                Ok(_) | Err(_) => false,
            },
        };
        if granted { Ok(()) } else { Err(crate::role::missing_role()) }
    }

    /// Deserializes the custom claims into `U`.
    ///
    /// A token that verified but lacks what `U` needs is a valid token that does not grant
    /// this resource: the error is [`ErrorKind::InsufficientClaims`] (`403`), not an invalid
    /// token. The path of the member that did not fit (`tenant`, `org.id`) is logged at debug
    /// level and named in the message; its value never is.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsufficientClaims`] when the custom claims do not fit `U`.
    pub fn try_into_custom<U: DeserializeOwned>(&self) -> Result<Claims<U>, Error> {
        let inner = &*self.inner;
        let custom = custom_claims::<U>(&inner.custom)?;
        Ok(Claims {
            inner: Arc::new(ClaimsInner {
                issuer: inner.issuer.clone(),
                strings: inner.strings.clone(),
                audience: inner.audience.clone(),
                expires_at: inner.expires_at,
                not_before: inner.not_before,
                issued_at: inner.issued_at,
                scopes: inner.scopes.clone(),
                roles: inner.roles.clone(),
                roles_malformed: inner.roles_malformed,
                confirmation: inner.confirmation.clone(),
                authenticated_at: inner.authenticated_at,
                policy: inner.policy.clone(),
                tenant: inner.tenant.clone(),
                custom,
            }),
        })
    }
}

/// `U` from the custom claims, or an error that names where they did not fit: the path of
/// member names (from `U`'s fields and the token's claim names), never a value.
fn custom_claims<U: DeserializeOwned>(custom: &CustomClaims) -> Result<U, Error> {
    let value = Value::Object(custom.clone());
    serde_path_to_error::deserialize::<_, U>(value).map_err(|error| {
        let path = error.path().to_string();
        let missing = missing_field(&error.inner().to_string());
        let message = match (&missing, path.as_str()) {
            (Some(field), ".") => format!("the token has no `{field}` claim, which this resource needs"),
            (Some(field), path) => {
                format!("the token's `{path}` claim has no `{field}` member, which this resource needs")
            }
            (None, ".") => "the token's custom claims do not have the shape this resource needs".to_owned(),
            (None, path) => {
                format!("the token's `{path}` claim does not have the type this resource needs")
            }
        };
        tracing::debug!(path = %path, missing = missing.as_deref(), "custom claims do not fit the handler's type");
        Error::new(ErrorKind::InsufficientClaims, message)
    })
}

/// The field name in serde's "missing field `name`" message. The name comes from the type
/// being deserialized, not from the token.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    let end = rest.find('`')?;
    rest.get(..end).map(str::to_owned)
}

/// Shows the issuer (one of the verifier's own, as configured) and what the token carries,
/// never a claim's value: subjects, client ids, audiences, scopes and custom claims can be
/// personal or revealing, and a `{claims:?}` in a log line must not copy them.
impl<T> fmt::Debug for Claims<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let redacted = |value: Option<&str>| value.map(|_| "[redacted]");
        f.debug_struct("Claims")
            .field("iss", &inner.issuer)
            .field("sub", &redacted(inner.strings.get(StringClaim::Subject)))
            .field("client_id", &redacted(inner.strings.get(StringClaim::ClientId)))
            .field("scopes", &inner.scopes.len())
            .field("roles", &inner.roles.len())
            .field("sender_constrained", &inner.confirmation.is_some())
            .finish_non_exhaustive()
    }
}
