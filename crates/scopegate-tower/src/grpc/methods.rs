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
    /// Refuse gRPC calls to services the table does not name, except these.
    closed: Option<BTreeSet<Box<str>>>,
}

/// What the table says of one request.
enum Verdict<'a> {
    /// Not the table's business: the guard lets it through.
    Ungoverned,
    /// The method's rule.
    Rule(&'a Arc<dyn AccessRule>),
    /// A method the table refuses to every token.
    Unlisted,
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

    /// Closes every other gRPC service too: a gRPC call to a service the table does not name
    /// is refused (`UNAUTHENTICATED` without a token, `PERMISSION_DENIED` with one), except the
    /// services in `open` (health checks, reflection), which pass even without a token. For a
    /// guard over a whole server, so that a service added later is not open by accident.
    /// Requests that are not gRPC calls (REST routes beside them) are not affected.
    #[must_use]
    pub fn closed_except<I, S>(mut self, open: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.closed = Some(open.into_iter().map(|service| service.as_ref().into()).collect());
        self
    }

    /// What the table says of `request`. Only the exact path of a named method has a rule:
    /// any other spelling of a named service's path (`//svc/M`, `/svc/M/`, `/svc//M`,
    /// `/svc/M/x`) is governed and refused, so that nothing between the guard and the service
    /// (a path-normalising layer, a prefix router) can turn it into a method the guard did not
    /// judge.
    fn verdict(&self, request: &RequestHead<'_>) -> Verdict<'_> {
        let path = request.uri.path();
        if let Some(rule) = self.methods.get(path) {
            return Verdict::Rule(rule);
        }
        let service = path.split('/').find(|segment| !segment.is_empty()).unwrap_or_default();
        if self.services.contains(service) {
            return Verdict::Unlisted;
        }
        match &self.closed {
            Some(open)
                if super::is_grpc(request.method, request.headers) && !open.contains(service) =>
            {
                Verdict::Unlisted
            }
            _ => Verdict::Ungoverned,
        }
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
        match self.verdict(request) {
            Verdict::Ungoverned => Ok(()),
            Verdict::Rule(rule) => rule.check(claims, request),
            Verdict::Unlisted => Err(Rejection::Forbidden(Error::new(
                ErrorKind::UnlistedMethod,
                "this gRPC method is not open to any token: the service's rule table does not \
                 name it",
            ))),
        }
    }

    fn governs(&self, request: &RequestHead<'_>) -> bool {
        !matches!(self.verdict(request), Verdict::Ungoverned)
    }

    fn required_scope_for(&self, request: &RequestHead<'_>) -> Option<String> {
        match self.verdict(request) {
            Verdict::Rule(rule) => rule.required_scope_for(request),
            Verdict::Ungoverned | Verdict::Unlisted => None,
        }
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
    use http::{Extensions, HeaderMap, Method, Uri};

    use super::*;

    /// What the table says of a gRPC `POST` to `path`: `None` when it does not govern it, else
    /// whether `claims` pass.
    fn judge(table: &GrpcMethods, path: &str, claims: &Claims) -> Option<bool> {
        let uri: Uri = path.parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, "application/grpc".parse().unwrap());
        let extensions = Extensions::new();
        let head = RequestHead::new(&Method::POST, &uri, &headers, &extensions);
        table.governs(&head).then(|| table.check(claims, &head).is_ok())
    }

    #[test]
    fn odd_spellings_of_a_named_service_are_refused_and_other_services_pass() {
        let issuer = scopegate_testkit::TestIssuer::new();
        let token = issuer.token().scopes(["inventory.read"]).sign();
        let claims = issuer.verifier().verify_now(&token).into_ready().unwrap().unwrap();
        let read = scopegate_core::ScopeRequirement::all_of(["inventory.read"]).unwrap();
        let table = GrpcMethods::new().method("/inventory.v1.Inventory/GetItem", read).unwrap();
        assert_eq!(judge(&table, "/inventory.v1.Inventory/GetItem", &claims), Some(true));
        for odd in [
            "//inventory.v1.Inventory/GetItem",
            "/inventory.v1.Inventory/GetItem/",
            "/inventory.v1.Inventory//GetItem",
            "/inventory.v1.Inventory/GetItem/x",
            "/inventory.v1.Inventory",
            "/inventory.v1.Inventory/",
            "/inventory.v1.Inventory/getitem",
            "/inventory.v1.Inventory/Get%49tem",
        ] {
            assert_eq!(judge(&table, odd, &claims), Some(false), "{odd}");
        }
        for other in ["/grpc.health.v1.Health/Check", "/", "/inventory.v1.inventory/GetItem"] {
            assert_eq!(judge(&table, other, &claims), None, "{other}");
        }
        // Closed: other gRPC services are refused too, except the open ones.
        let closed = table.closed_except(["grpc.health.v1.Health"]);
        assert_eq!(judge(&closed, "/grpc.health.v1.Health/Check", &claims), None);
        assert_eq!(judge(&closed, "/other.v1.Other/Call", &claims), Some(false));
        assert_eq!(judge(&closed, "/", &claims), Some(false));
    }

    /// A rule that governs nothing and would refuse everything.
    struct Elsewhere;

    impl AccessRule for Elsewhere {
        fn check(&self, _: &Claims, _: &RequestHead<'_>) -> Result<(), Rejection> {
            Err(Rejection::MissingToken)
        }

        fn governs(&self, _: &RequestHead<'_>) -> bool {
            false
        }

        fn required_scope(&self) -> Option<String> {
            Some("elsewhere".to_owned())
        }
    }

    #[test]
    fn a_pair_checks_and_names_only_what_governs_the_request() {
        let issuer = scopegate_testkit::TestIssuer::new();
        let token = issuer.token().scopes(["inventory.read"]).sign();
        let claims = issuer.verifier().verify_now(&token).into_ready().unwrap().unwrap();
        let read = scopegate_core::ScopeRequirement::all_of(["inventory.read"]).unwrap();
        let table = GrpcMethods::new().method("/inventory.v1.Inventory/GetItem", read).unwrap();
        let pair = (Elsewhere, table);
        let uri: Uri = "/inventory.v1.Inventory/GetItem".parse().unwrap();
        let (headers, extensions) = (HeaderMap::new(), Extensions::new());
        let head = RequestHead::new(&Method::POST, &uri, &headers, &extensions);
        assert!(pair.governs(&head));
        assert!(pair.check(&claims, &head).is_ok());
        assert_eq!(pair.required_scope_for(&head).as_deref(), Some("inventory.read"));
    }

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
