//! scopegate protects tower and axum APIs with OAuth 2.0 / OpenID Connect JWT access tokens.
//! It verifies every token (signature, issuer, audience, lifetime) and checks the scopes and
//! roles each route declares: `401` when the token is missing or bad, `403` when it lacks a
//! scope, per RFC 6750.
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use scopegate::{BearerAuthLayer, Claims, RequireRole, RequireScope, Verifier, role, scope};
//!
//! async fn list(_: RequireScope<scope!("orders.read")>, claims: Claims) -> String {
//!     format!("orders of {}", claims.subject().unwrap_or("?"))
//! }
//! async fn create(_: RequireScope<scope!("orders.write")>) {}
//! async fn approve(_: RequireScope<scope!("orders.approve")>, _: RequireRole<role!("operator")>) {}
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), scopegate::Error> {
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! let verifier = Verifier::builder()
//!     .issuer(issuer.issuer())              // tokens' `iss`, compared exactly
//!     .audience("orders-api")               // this API's resource indicator
//!     .keys(issuer.key_set())               // or a JWKS, PEM or discovery
//!     .build()
//!     .await?;
//!
//! let app: Router = Router::new()
//!     .route("/orders", get(list).post(create))
//!     .route("/orders/{id}/approve", post(approve))
//!     .layer(BearerAuthLayer::new(verifier));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! `scope!("...")` checks the scope's syntax at compile time (RFC 6749 section 3.3) and makes
//! it a type. Tower users without axum get the same checks as layers
//! ([`RequireScopeLayer`], [`RequireRoleLayer`]) and as methods on [`VerifiedClaims`]; users
//! without tower call [`Verifier::verify`].
//!
//! # Crates
//!
//! This crate re-exports the others: `scopegate-core` (claims, scopes, verification),
//! `scopegate-tower` (the layer and guards), `scopegate-axum` (the extractors; feature `axum`,
//! on by default) and `scopegate-macros`. `scopegate-testkit` mints tokens for your tests.
//!
//! # Features
//!
//! - `axum` (default): the extractors.
//! - `https-client` (default): remote key sets (discovery, JWKS URLs) with the hyper + rustls
//!   client; `remote` alone for your own [`remote::HttpClient`].
//! - `aws-lc-rs` (default) or `rust-crypto`: the signature backend.

#![forbid(unsafe_code)]

/// The verified claims as [`BearerAuthLayer`] puts them in request extensions.
pub use scopegate_core::Claims as VerifiedClaims;
pub use scopegate_core::{
    Algorithm, Audience, ClaimMapping, ClaimPath, ConstStr, CustomClaims, Error, ErrorClass,
    ErrorKind, InsufficientScope, KeySet, NumericDate, PendingVerification, RoleSet, Scope,
    ScopeList, ScopePolicy, ScopeRequirement, ScopeSet, TrustedIssuer, Verification,
    VerificationKey, Verifier, VerifierBuilder, role, scope,
};
pub use scopegate_tower::{
    Anonymous, AuthContext, BearerAuth, BearerAuthLayer, Challenge, DefaultResponder, Rejection,
    RequireRoleLayer, RequireScopeLayer, Responder, ResponseBody, ResponseFuture, responses,
};

/// Remote key sets: discovery, JWKS URLs, the HTTP client, statistics.
#[cfg(feature = "remote")]
pub use scopegate_core::remote;

#[cfg(feature = "axum")]
pub use scopegate_axum::{
    AuthRejection, Claims, PrefixScope, RequireAnyScope, RequireRole, RequireScope,
};
