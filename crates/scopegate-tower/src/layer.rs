//! [`BearerAuthLayer`]: where the layer is configured.

use std::fmt;
use std::sync::Arc;

use scopegate_core::Verifier;
use scopegate_core::dpop::DpopMode;
use tower_layer::Layer;

use crate::context::{AuthContext, DpopOffer};
use crate::csrf::CookieCsrf;
use crate::responder::{DefaultResponder, Responder};
use crate::service::BearerAuth;

/// The realm of the no-token challenge unless [`BearerAuthLayer::realm`] sets another.
pub const DEFAULT_REALM: &str = "api";

/// Verifies the bearer token of every request and puts the verified
/// [`Claims`](scopegate_core::Claims) into its extensions. Cheap to clone.
///
/// Requests without a token get `401`, with a bad token `401 invalid_token`, with malformed
/// credentials `400 invalid_request`; see [`Responder`] for every answer.
///
/// ```
/// use scopegate_tower::BearerAuthLayer;
/// # let verifier = scopegate_testkit::TestIssuer::new().verifier();
///
/// let layer = BearerAuthLayer::new(verifier)
///     .realm("orders-api")
///     .token_cookie("access_token");
/// # let _ = layer;
/// ```
#[derive(Clone)]
#[must_use]
pub struct BearerAuthLayer {
    shared: Arc<Shared>,
}

/// Where the layer finds the URI a request was sent to, for DPoP's `htu`: a function from the
/// request's extensions (for a router that rewrites the URI, such as axum's `nest`).
pub type OriginalUri = fn(&http::Extensions) -> Option<&http::Uri>;

#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) verifier: Verifier,
    pub(crate) cookie: Option<Arc<str>>,
    pub(crate) csrf: CookieCsrf,
    pub(crate) original_uri: Option<OriginalUri>,
    pub(crate) optional: bool,
    pub(crate) realm: Arc<str>,
    pub(crate) resource_metadata: Option<Arc<str>>,
    pub(crate) responder: Arc<dyn Responder>,
    pub(crate) dpop: Option<DpopOffer>,
    pub(crate) context: AuthContext,
    /// Where requests name their tenant, if they do.
    pub(crate) tenant_from: Option<crate::TenantFrom>,
}

impl BearerAuthLayer {
    /// A layer that verifies tokens with `verifier`.
    ///
    /// When the verifier guards a [`ProtectedResource`](scopegate_core::ProtectedResource),
    /// every `401` and `403` (here, in guards and in extractors) carries
    /// `resource_metadata="<its metadata URL>"` (RFC 9728 section 5.1).
    ///
    /// When the verifier has DPoP on ([`VerifierBuilder::dpop`]), the layer also accepts
    /// `Authorization: DPoP <token>` with its `DPoP` proof header (RFC 9449), refuses a
    /// DPoP-bound token presented as Bearer, and, in
    /// [`DpopMode::Required`], refuses Bearer requests.
    ///
    /// [`VerifierBuilder::dpop`]: scopegate_core::VerifierBuilder::dpop
    pub fn new(verifier: Verifier) -> Self {
        let realm: Arc<str> = Arc::from(DEFAULT_REALM);
        let responder: Arc<dyn Responder> = Arc::new(DefaultResponder);
        let resource_metadata: Option<Arc<str>> =
            verifier.protected_resource().map(|resource| Arc::from(resource.metadata_url()));
        let dpop =
            verifier.dpop().filter(|dpop| dpop.mode() != DpopMode::Off).map(|dpop| DpopOffer {
                algs: Arc::from(dpop.algorithm_names()),
                required: dpop.mode() == DpopMode::Required,
            });
        let context = AuthContext::new(
            Arc::clone(&realm),
            resource_metadata.clone(),
            Arc::clone(&responder),
            dpop.clone(),
            verifier.clock(),
            None,
        );
        Self {
            shared: Arc::new(Shared {
                verifier,
                cookie: None,
                csrf: CookieCsrf::default(),
                original_uri: None,
                optional: false,
                realm,
                resource_metadata,
                responder,
                dpop,
                context,
                tenant_from: None,
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Shared)) -> Self {
        let mut shared = Arc::unwrap_or_clone(self.shared);
        change(&mut shared);
        shared.context = AuthContext::new(
            Arc::clone(&shared.realm),
            shared.resource_metadata.clone(),
            Arc::clone(&shared.responder),
            shared.dpop.clone(),
            shared.verifier.clock(),
            shared.cookie.clone(),
        );
        Self { shared: Arc::new(shared) }
    }

    /// The realm of the no-token challenge, `Bearer realm="<realm>"`. Defaults to
    /// [`DEFAULT_REALM`].
    pub fn realm(self, realm: impl Into<String>) -> Self {
        let realm: Arc<str> = Arc::from(realm.into());
        self.with(|shared| shared.realm = realm)
    }

    /// Lets requests without a token through, marked [`Anonymous`](crate::Anonymous); guards
    /// and extractors downstream answer `401` for them. A request with a bad token is still
    /// rejected. Off by default.
    ///
    /// One layer can serve both kinds of route: configure it once, then use
    /// `layer.clone().optional()` for the routes that allow anonymous requests; realm,
    /// responder and verifier are shared.
    pub fn optional(self) -> Self {
        self.with(|shared| shared.optional = true)
    }

    /// Also reads the token from the cookie `name`. A request that sends a token both in the
    /// `Authorization` header and in the cookie gets `400 invalid_request`. Off by default.
    ///
    /// A cookie is sent by the browser with requests other sites make, so state-changing
    /// requests authenticated by it must come from your own origin: see [`CookieCsrf`], on by
    /// default ([`cookie_csrf`](Self::cookie_csrf) to change it).
    pub fn token_cookie(self, name: impl Into<String>) -> Self {
        let name: Arc<str> = Arc::from(name.into());
        self.with(|shared| shared.cookie = Some(name))
    }

    /// How requests authenticated by the token cookie are protected from cross-site request
    /// forgery. Defaults to [`CookieCsrf::same_origin`].
    pub fn cookie_csrf(self, csrf: CookieCsrf) -> Self {
        self.with(|shared| shared.csrf = csrf)
    }

    /// Where to find the URI the client sent the request to, when a router in front of the
    /// layer rewrote it: a DPoP proof's `htu` names that URI. Under axum's `Router::nest`, the
    /// inner router sees the path without its prefix; pass `scopegate_axum::original_uri`
    /// (axum's `OriginalUri`). Without it (the default), the request's own URI is used, which
    /// is right whenever the layer is on the outermost router.
    pub fn original_uri(self, find: OriginalUri) -> Self {
        self.with(|shared| shared.original_uri = Some(find))
    }

    /// Shapes every rejection, here and in guards and extractors downstream: a [`Responder`],
    /// or a closure `Fn(&Rejection, &ResponseContext<'_>) -> Response<Bytes>`. Defaults to
    /// [`DefaultResponder`].
    ///
    /// [`Rejection`]: crate::Rejection
    /// [`ResponseContext`]: crate::ResponseContext
    pub fn responder(self, responder: impl Responder) -> Self {
        let responder: Arc<dyn Responder> = Arc::new(responder);
        self.with(|shared| shared.responder = responder)
    }

    /// Reads the tenant each request names from `from` (its host, a path segment or a
    /// header): a tenant's token is then accepted only on requests naming that tenant, and a
    /// request naming none is refused (`401 invalid_token`). For verifiers that trust many
    /// tenants ([`Tenants`](scopegate_core::Tenants)); issuers configured with `trust` stay
    /// accepted on every request.
    ///
    /// ```
    /// use scopegate_tower::{BearerAuthLayer, TenantFrom};
    /// # let verifier = scopegate_testkit::TestIssuer::new().verifier();
    /// let layer = BearerAuthLayer::new(verifier).tenant_from(TenantFrom::subdomain_of("api.example.com"));
    /// # let _ = layer;
    /// ```
    pub fn tenant_from(self, from: crate::TenantFrom) -> Self {
        self.with(|shared| shared.tenant_from = Some(from))
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.shared.verifier
    }
}

impl<S> Layer<S> for BearerAuthLayer {
    type Service = BearerAuth<S>;

    fn layer(&self, inner: S) -> BearerAuth<S> {
        BearerAuth::new(inner, Arc::clone(&self.shared))
    }
}

impl fmt::Debug for BearerAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        f.debug_struct("BearerAuthLayer")
            .field("verifier", &shared.verifier)
            .field("realm", &shared.realm)
            .field("optional", &shared.optional)
            .field("cookie", &shared.cookie)
            .finish_non_exhaustive()
    }
}
