//! [`TenantResolver`]: the application's own answer to "whose issuer is this?" (a database of
//! tenants, a configuration service), for tenants no [`IssuerPattern`](super::IssuerPattern)
//! describes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::Error;
use crate::verifier::TrustedIssuer;

/// A tenant: the application's name for it and how its issuer is trusted (audience, scope
/// policy, claim mapping, keys or discovery), as for any [`TrustedIssuer`].
#[derive(Clone, Debug)]
pub struct Tenant {
    pub(crate) id: String,
    pub(crate) issuer: TrustedIssuer,
}

impl Tenant {
    /// The tenant `id` (what requests name it by: a host label, a path segment, a header),
    /// whose tokens come from `issuer`.
    pub fn new(id: impl Into<String>, issuer: TrustedIssuer) -> Self {
        Self { id: id.into(), issuer }
    }

    /// The tenant's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Finds the tenant whose tokens carry `iss` = `issuer`. Called once per issuer not seen
/// recently (answers are cached, positive and negative, by the verifier), never twice at once
/// for one issuer, and only as often as the verifier's admission of new tenants allows: the
/// `issuer` comes from a token not yet verified, so treat it as untrusted input (look it up,
/// never fetch it).
///
/// ```
/// use std::collections::HashMap;
/// use scopegate_core::{Error, Tenant, TenantResolver, TrustedIssuer};
///
/// struct TenantTable(HashMap<String, (String, String)>);
///
/// impl TenantResolver for TenantTable {
///     async fn resolve(&self, issuer: &str) -> Result<Option<Tenant>, Error> {
///         Ok(self.0.get(issuer).map(|(id, audience)| {
///             Tenant::new(id, TrustedIssuer::new(issuer).audience(audience))
///         }))
///     }
/// }
/// # let _ = TenantTable(HashMap::new());
/// ```
pub trait TenantResolver: Send + Sync + 'static {
    /// The tenant whose issuer is `issuer`, or `None` when no tenant has that issuer. The
    /// tenant's [`TrustedIssuer`] must name `issuer` itself.
    ///
    /// # Errors
    ///
    /// When the tenants cannot be looked up now: the request gets `503`.
    fn resolve(&self, issuer: &str) -> impl Future<Output = Result<Option<Tenant>, Error>> + Send;
}

/// What a resolver answers, boxed.
pub(crate) type Resolving<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Tenant>, Error>> + Send + 'a>>;

/// [`TenantResolver`] made object-safe, for the verifier to hold.
pub(crate) trait ErasedResolver: Send + Sync + 'static {
    fn resolve_boxed<'a>(&'a self, issuer: &'a str) -> Resolving<'a>;
}

impl<R: TenantResolver> ErasedResolver for R {
    fn resolve_boxed<'a>(&'a self, issuer: &'a str) -> Resolving<'a> {
        Box::pin(self.resolve(issuer))
    }
}

impl fmt::Debug for dyn ErasedResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TenantResolver")
    }
}
