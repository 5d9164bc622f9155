//! [`GrpcMethods`]: what each gRPC method needs, in one table keyed by
//! `/package.Service/Method`.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use scopegate_core::{Claims, Error, ErrorKind};

use crate::guard::{AccessRule, RequestHead};
use crate::rejection::Rejection;

/// Per-method rules for gRPC services, as one [`AccessRule`] for a
/// [`GuardLayer`](crate::GuardLayer): each method named gets its rule (scopes, roles, step-up,
/// claim rules, or a tuple of them), and every service named in the table is closed by
/// default: a method of it the table does not name is refused (`PERMISSION_DENIED`), so a new
/// RPC added to the `.proto` is not open until someone decides what it needs. Services the
/// table does not name (health checks, reflection) are not governed: with an optional
/// [`BearerAuthLayer`](crate::BearerAuthLayer) they stay open to anonymous callers, and a
/// guarded method called without a token gets `UNAUTHENTICATED` naming its scopes.
///
/// ```
/// use http::Request;
/// use scopegate_core::{RoleRequirement, ScopeRequirement};
/// use scopegate_tower::grpc::GrpcMethods;
/// use scopegate_tower::{BearerAuthLayer, GuardLayer};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let issuer = scopegate_testkit::TestIssuer::new();
/// let methods = GrpcMethods::new()
///     .method("/inventory.v1.Inventory/GetItem", ScopeRequirement::all_of(["inventory.read"])?)?
///     .method("/inventory.v1.Inventory/SetPrice", ScopeRequirement::all_of(["inventory.write"])?)?
///     .method(
///         "/inventory.v1.Inventory/DeleteItem",
///         (ScopeRequirement::all_of(["inventory.admin"])?, RoleRequirement::new("admin")),
///     )?;
/// let app = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(http::Response::new(())) });
/// let service = BearerAuthLayer::new(issuer.verifier()).optional().layer(GuardLayer::new(methods).layer(app));
///
/// let call = |path: &str, token: &str| {
///     let mut request = Request::post(path).header("content-type", "application/grpc");
///     if !token.is_empty() {
///         request = request.header("authorization", format!("Bearer {token}"));
///     }
///     request.body(()).unwrap()
/// };
/// let reader = issuer.token().scopes(["inventory.read"]).sign();
/// let grpc_status = |response: http::Response<_>| response.headers().get("grpc-status").map(|v| v.to_str().unwrap().to_owned());
/// assert_eq!(grpc_status(service.clone().oneshot(call("/inventory.v1.Inventory/GetItem", &reader)).await?), None);
/// assert_eq!(grpc_status(service.clone().oneshot(call("/inventory.v1.Inventory/SetPrice", &reader)).await?).as_deref(), Some("7"));
/// assert_eq!(grpc_status(service.clone().oneshot(call("/inventory.v1.Inventory/Restock", &reader)).await?).as_deref(), Some("7"));
/// assert_eq!(grpc_status(service.clone().oneshot(call("/inventory.v1.Inventory/GetItem", "")).await?).as_deref(), Some("16"));
/// // Health checks are not in the table: open.
/// assert_eq!(grpc_status(service.oneshot(call("/grpc.health.v1.Health/Check", "")).await?), None);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct GrpcMethods {
    services: BTreeSet<Box<str>>,
    methods: HashMap<Box<str>, Arc<dyn AccessRule>>,
}

impl GrpcMethods {
    /// An empty table: governs nothing until a method is named.
    pub fn new() -> Self {
        Self::default()
    }

    /// `path` (`/package.Service/Method`, as gRPC sends it) needs `rule`; its service is closed
    /// to every method not named.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] for a path that is not `/service/method` (each part
    /// non-empty, no other `/`), or one named twice.
    pub fn method(mut self, path: &str, rule: impl AccessRule) -> Result<Self, Error> {
        let Some((service, _)) = split(path) else {
            let message = format!("`{path}` is not a gRPC method path (`/package.Service/Method`)");
            return Err(Error::new(ErrorKind::InvalidConfiguration, message));
        };
        self.services.insert(service.into());
        if self.methods.insert(path.into(), Arc::new(rule)).is_some() {
            let message = format!("the gRPC method `{path}` is named twice");
            return Err(Error::new(ErrorKind::InvalidConfiguration, message));
        }
        Ok(self)
    }

    /// The rule of the request's method, if its service is in the table: `Ok(None)` for a
    /// method of a named service that the table does not name.
    fn rule_of(&self, request: &RequestHead<'_>) -> Option<Option<&Arc<dyn AccessRule>>> {
        let path = request.uri.path();
        let (service, _) = split(path)?;
        self.services.contains(service).then(|| self.methods.get(path))
    }
}

/// `/service/method` into its parts.
fn split(path: &str) -> Option<(&str, &str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let valid = |part: &str| !part.is_empty() && !part.contains('/');
    (valid(service) && valid(method)).then_some((service, method))
}

impl AccessRule for GrpcMethods {
    fn check(&self, claims: &Claims, request: &RequestHead<'_>) -> Result<(), Rejection> {
        match self.rule_of(request) {
            None => Ok(()),
            Some(Some(rule)) => rule.check(claims, request),
            Some(None) => Err(Rejection::Forbidden(Error::new(
                ErrorKind::UnlistedMethod,
                "this gRPC method is not open to any token: the service's rule table does not \
                 name it",
            ))),
        }
    }

    fn governs(&self, request: &RequestHead<'_>) -> bool {
        self.rule_of(request).is_some()
    }

    fn required_scope_for(&self, request: &RequestHead<'_>) -> Option<String> {
        self.rule_of(request).flatten().and_then(|rule| rule.required_scope())
    }
}

impl fmt::Debug for GrpcMethods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut methods: Vec<&str> = self.methods.keys().map(|path| &**path).collect();
        methods.sort_unstable();
        f.debug_struct("GrpcMethods").field("methods", &methods).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_when_the_table_is_built() {
        let rule = || scopegate_core::ScopeRequirement::all_of(["a"]).unwrap();
        for bad in [
            "inventory.v1.Inventory/GetItem",
            "/inventory.v1.Inventory",
            "//GetItem",
            "/a/b/c",
            "/a/",
        ] {
            let error = GrpcMethods::new().method(bad, rule()).unwrap_err();
            assert_eq!(
                error.message(),
                format!("`{bad}` is not a gRPC method path (`/package.Service/Method`)")
            );
        }
        let twice = GrpcMethods::new().method("/a.B/C", rule()).unwrap().method("/a.B/C", rule());
        assert_eq!(twice.unwrap_err().message(), "the gRPC method `/a.B/C` is named twice");
    }
}
