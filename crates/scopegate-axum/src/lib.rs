//! axum extractors for scopegate: a route declares the scopes and roles it needs in its
//! signature, checked at compile time for syntax and at run time against the verified token.
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use scopegate_axum::{Claims, RequireRole, RequireScope, role, scope};
//! use scopegate_tower::BearerAuthLayer;
//!
//! async fn list(_: RequireScope<scope!("orders.read")>, claims: Claims) -> String {
//!     format!("orders of {}", claims.subject().unwrap_or("?"))
//! }
//! async fn create(_: RequireScope<scope!("orders.write")>) {}
//! async fn approve(_: RequireScope<scope!("orders.approve")>, _: RequireRole<role!("operator")>) {}
//!
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//! let app: Router = Router::new()
//!     .route("/orders", get(list).post(create))
//!     .route("/orders/{id}/approve", post(approve))
//!     .layer(BearerAuthLayer::new(verifier));
//! ```
//!
//! Extractors read the claims that [`BearerAuthLayer`](scopegate_tower::BearerAuthLayer) put
//! in the request extensions and never remove them, so any number of them work in one handler.
//! They check scopes under the verifier's [`ScopePolicy`](scopegate_core::ScopePolicy) (exact,
//! hierarchical, prefix), with no state in the handler. Failures are [`AuthRejection`]s shaped
//! by the layer's [`Responder`](scopegate_tower::Responder): `403 insufficient_scope` with the
//! required scopes, `401` for anonymous requests, `500` when the layer is missing.

#![forbid(unsafe_code)]

mod claims;
mod rejection;
mod require;

pub use claims::Claims;
pub use rejection::AuthRejection;
pub use require::{PrefixScope, RequireAnyScope, RequireRole, RequireScope};
pub use scopegate_core::{ConstStr, ScopeList, role, scope};
