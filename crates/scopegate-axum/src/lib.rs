//! axum extractors for scopegate: a route declares the scopes and roles it needs in its
//! signature, checked at compile time for syntax and at run time against the verified token.
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use scopegate_axum::{RequireRole, RequireScope, Verified, role, scope};
//! use scopegate_tower::BearerAuthLayer;
//!
//! async fn list(_: RequireScope<scope!("orders.read")>, claims: Verified) -> String {
//!     format!("orders of {}", claims.subject().unwrap_or("?"))
//! }
//! async fn create(_: RequireScope<scope!("orders.write")>) {}
//! async fn approve(_: RequireScope<scope!("orders.approve")>, _: RequireRole<role!("operator")>) {}
//!
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//! let app: Router = Router::new()
//!     .route("/orders", get(list).post(create))
//!     .route("/orders/{id}/approve", post(approve))
//!     .route_layer(BearerAuthLayer::new(verifier));
//! ```
//!
//! Where the layer goes decides what a request without a token learns about routes that do
//! not exist: with `Router::layer` every such request gets `401`; `Router::route_layer` (above)
//! keeps `404` for unknown paths; the route's own `MethodRouter::route_layer`
//! (`get(list).post(create).route_layer(layer.clone())`) also keeps `405` for unknown methods.
//! For a router where some routes allow anonymous requests, configure the layer once and put
//! `layer.clone().optional()` on those; their handlers take `Option<Verified>`.
//!
//! Extractors read the claims that [`BearerAuthLayer`](scopegate_tower::BearerAuthLayer) put
//! in the request extensions and never remove them, so any number of them work in one handler.
//! They check scopes under the verifier's [`ScopePolicy`](scopegate_core::ScopePolicy) (exact,
//! hierarchical, prefix), with no state in the handler. Failures are [`AuthRejection`]s shaped
//! by the layer's [`Responder`](scopegate_tower::Responder): `403 insufficient_scope` with the
//! required scopes, `401` for anonymous requests, `500` when the layer is missing.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod caller_token;
mod claim_rule;
mod metadata;
#[cfg(feature = "aide")]
pub mod openapi;
#[cfg(any(feature = "aide", feature = "utoipa"))]
mod openapi_json;
mod original_uri;
mod rejection;
mod require;
mod step_up;
#[cfg(feature = "utoipa")]
pub mod utoipa_security;
mod verified;

pub use caller_token::CallerToken;
pub use claim_rule::{ClaimRuleDef, RequireClaim};
pub use metadata::metadata_routes;
pub use original_uri::original_uri;
pub use rejection::AuthRejection;
pub use require::{PrefixScope, RequireAnyRole, RequireAnyScope, RequireRole, RequireScope};
pub use scopegate_core::{Claims, ConstStr, ScopeList, acr, role, scope};
pub use step_up::{MaxAuthAge, RequireAcr};
pub use verified::Verified;
