//! tonic's building blocks (feature `tonic`): [`NamedService`] for scopegate's services, so
//! that one tonic service can be wrapped and added on its own (health and reflection beside it
//! stay open), and [`TonicRequestExt`] to read the verified claims in a handler.
//!
//! ```
//! use scopegate_core::ScopeRequirement;
//! use scopegate_tower::grpc::{GrpcMethods, TonicRequestExt};
//! use scopegate_tower::{BearerAuthLayer, GuardLayer};
//! use tonic::server::NamedService;
//! use tower::Layer;
//!
//! # fn main() -> Result<(), scopegate_core::Error> {
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//! # #[derive(Clone)] struct InventoryServer;
//! # impl NamedService for InventoryServer { const NAME: &'static str = "inventory.v1.Inventory"; }
//! let methods = GrpcMethods::new()
//!     .method("/inventory.v1.Inventory/GetItem", ScopeRequirement::all_of(["inventory.read"])?)?;
//! let protected = BearerAuthLayer::new(verifier).layer(GuardLayer::new(methods).layer(InventoryServer));
//! fn name<S: NamedService>(_: &S) -> &'static str { S::NAME }
//! assert_eq!(name(&protected), "inventory.v1.Inventory");
//! // In a handler: `request.claims()` (or `request.require_claims()?`).
//! let request = tonic::Request::new(());
//! assert_eq!(request.require_claims().unwrap_err().code(), tonic::Code::Unauthenticated);
//! # Ok(())
//! # }
//! ```

use scopegate_core::Claims;
use tonic::server::NamedService;

use crate::client_cert::ClientCertHeader;
use crate::context::AuthContext;
use crate::guard::Guard;
use crate::service::BearerAuth;

impl<S: NamedService> NamedService for BearerAuth<S> {
    const NAME: &'static str = S::NAME;
}

impl<S: NamedService, R> NamedService for Guard<S, R> {
    const NAME: &'static str = S::NAME;
}

impl<S: NamedService> NamedService for ClientCertHeader<S> {
    const NAME: &'static str = S::NAME;
}

/// What [`BearerAuthLayer`](crate::BearerAuthLayer) verified, read from a tonic request (tonic
/// keeps the HTTP request's extensions).
pub trait TonicRequestExt {
    /// The verified claims; `None` for an anonymous call (optional layer) or without the layer.
    fn claims(&self) -> Option<&Claims>;

    /// The verified claims, or `UNAUTHENTICATED` to return from the handler.
    ///
    /// # Errors
    ///
    /// `Status::unauthenticated` when the call carried no verified token.
    fn require_claims(&self) -> Result<&Claims, tonic::Status>;

    /// The layer's record of the call (scheme, token source), when it ran.
    fn auth_context(&self) -> Option<&AuthContext>;
}

impl<T> TonicRequestExt for tonic::Request<T> {
    fn claims(&self) -> Option<&Claims> {
        self.extensions().get::<Claims>()
    }

    fn require_claims(&self) -> Result<&Claims, tonic::Status> {
        self.claims()
            .ok_or_else(|| tonic::Status::unauthenticated("this method needs an access token"))
    }

    fn auth_context(&self) -> Option<&AuthContext> {
        self.extensions().get::<AuthContext>()
    }
}
