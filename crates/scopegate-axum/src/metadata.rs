//! The protected-resource metadata document (RFC 9728) as axum routes.

use axum::Router;
use scopegate_tower::ProtectedResourceMetadata;

/// Routes serving `metadata` at each of its paths: merge them into your router outside the
/// bearer layer (the document is public).
///
/// ```
/// use axum::{Router, routing::get};
/// use scopegate_axum::{Verified, metadata_routes};
/// use scopegate_core::{ProtectedResource, Verifier};
/// use scopegate_tower::{BearerAuthLayer, ProtectedResourceMetadata};
///
/// # let issuer = scopegate_testkit::TestIssuer::named("https://id.example.com");
/// let verifier = Verifier::builder()
///     .issuer(issuer.issuer())
///     .keys(issuer.key_set())
///     .protected_resource(ProtectedResource::new("https://api.example.com")?)
///     .build_static()?;
/// let metadata = ProtectedResourceMetadata::for_verifier(&verifier).expect("configured above");
/// let app: Router = Router::new()
///     .route("/me", get(|claims: Verified| async move { claims.subject().unwrap_or_default().to_owned() }))
///     .route_layer(BearerAuthLayer::new(verifier))
///     .merge(metadata_routes(metadata));
/// # let _ = app;
/// # Ok::<(), scopegate_core::Error>(())
/// ```
pub fn metadata_routes<S>(metadata: ProtectedResourceMetadata) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut router = Router::new();
    for path in metadata.paths() {
        router = router.route_service(path, metadata.clone());
    }
    router
}
