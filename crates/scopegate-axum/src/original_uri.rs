//! [`original_uri`]: the URI a request was sent to, before axum's `Router::nest` stripped the
//! prefix, for [`BearerAuthLayer::original_uri`](scopegate_tower::BearerAuthLayer::original_uri)
//! (a DPoP proof's `htu` names the URI the client used).
//!
//! ```
//! use axum::{Router, routing::get};
//! use scopegate_axum::original_uri;
//! use scopegate_tower::BearerAuthLayer;
//!
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//! let orders: Router = Router::new()
//!     .route("/orders", get(|| async { "orders" }))
//!     .layer(BearerAuthLayer::new(verifier).original_uri(original_uri));
//! let app: Router = Router::new().nest("/v1", orders);
//! # let _ = app;
//! ```

use http::{Extensions, Uri};

/// The URI of axum's `OriginalUri` extension (set by the outermost `Router`), if any.
pub fn original_uri(extensions: &Extensions) -> Option<&Uri> {
    extensions.get::<axum::extract::OriginalUri>().map(|original| &original.0)
}
