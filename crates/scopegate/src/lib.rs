//! scopegate protects tower and axum APIs with OAuth 2.0 / OpenID Connect JWT access tokens.
//! It verifies every token (signature, issuer, audience, lifetime) and checks the scopes and
//! roles each route declares: `401` when the token is missing or bad, `403` when it lacks a
//! scope, per RFC 6750.
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use scopegate::{BearerAuthLayer, RequireRole, RequireScope, Verified, Verifier, role, scope};
//!
//! async fn list(_: RequireScope<scope!("orders.read")>, claims: Verified) -> String {
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
//!     .route_layer(BearerAuthLayer::new(verifier));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! `scope!("...")` checks the scope's syntax at compile time (RFC 6749 section 3.3) and makes
//! it a type. The verified claims are [`Claims`] everywhere: the layer puts them in the
//! request extensions (`request.extensions().get::<Claims>()`), and axum handlers take them
//! through the [`Verified`] extractor. Tower users without axum get the same checks as layers
//! ([`RequireScopeLayer`], [`RequireRoleLayer`]) and as methods on [`Claims`]; users without
//! tower call [`Verifier::verify`].
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
//! - `aide`: OpenAPI security requirements from the extractors (module `openapi`).
//! - `utoipa`: the same with utoipa, and a drift check (module `utoipa_security`).
//! - `mcp`: per-tool scopes for MCP servers (module `mcp`).
//! - `redis`: the DPoP replay store and the introspection cache shared by replicas on Redis
//!   (module `redis`).
//! - `tls`: serving over rustls with client certificates, for certificate-bound tokens
//!   (RFC 8705; module `tls`).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use scopegate_core::verifier::{
    DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, TokenCacheKey, TokenCacheStats,
};
pub use scopegate_core::{
    Algorithm, Audience, AuthenticationRequirement, CertificateThumbprint, ClaimMapping, ClaimPath,
    ClaimRule, Claims, Clock, ConstStr, CustomClaims, DpopRequest, DpopVerified, Error, ErrorClass,
    ErrorKind, InsufficientAuthentication, InsufficientScope, KeySet, NumericDate,
    PendingVerification, ProtectedResource, RequestFacts, ResourceId, Revocation, RevocationStats,
    RoleRequirement, RoleSet, Scope, ScopeList, ScopePolicy, ScopeRequirement, ScopeSet,
    SealingKey, SystemClock, TrustedIssuer, Verification, VerificationKey, Verifier,
    VerifierBuilder, acr, role, scope,
};
pub use scopegate_tower::{
    AccessRule, AccessToken, Anonymous, AuthContext, BearerAuth, BearerAuthLayer, Challenge,
    ClaimRuleLayer, ClientCertHeaderLayer, ClientCertificate, CookieCsrf, DEFAULT_REALM,
    DPOP_NONCE, DefaultResponder, ForwardTokenLayer, Guard, GuardLayer, MAX_DESCRIPTION_BYTES,
    NoTokenPassthrough, PathParams, PeerAddress, ProtectedResourceMetadata, Rejection, RequestHead,
    RequireAuthenticationLayer, RequireRoleLayer, RequireScopeLayer, Responder, ResponseBody,
    ResponseContext, ResponseFuture, Scheme, TenantFrom, TokenSource, TrustedProxies,
};

/// OpenID Connect Back-Channel Logout tokens, turned into revocations (feature `remote`).
#[cfg(feature = "remote")]
pub use scopegate_core::logout;
/// Security Event Tokens pushed by identity providers (RFC 8417, RFC 8935; CAEP and RISC),
/// turned into revocations (feature `remote`).
#[cfg(feature = "remote")]
pub use scopegate_core::security_event;
/// Many tenants, each with its own issuer, trusted per request and discovered on first use
/// (feature `remote`).
#[cfg(feature = "remote")]
pub use scopegate_core::tenant;
/// Revocations: tokens refused before they expire.
pub use scopegate_core::verifier::revocation;
#[cfg(feature = "remote")]
pub use scopegate_core::{
    IssuerPattern, Tenant, TenantFormat, TenantResolver, TenantStats, Tenants,
};
/// Where identity providers announce revocations: back-channel logout tokens and pushed
/// security events (feature `remote`).
#[cfg(feature = "remote")]
pub use scopegate_tower::{BackChannelLogout, SecurityEventPush};

/// Serving over rustls with client certificates (feature `tls`), for certificate-bound tokens
/// (RFC 8705).
#[cfg(feature = "tls")]
pub use scopegate_tower::tls;

/// gRPC: refusals as gRPC statuses for gRPC requests, and per-method rules.
pub use scopegate_tower::grpc;

/// DPoP (RFC 9449): modes, proof checks, replay stores, nonces.
pub use scopegate_core::dpop;

/// Remote key sets: discovery, JWKS URLs, the HTTP client, statistics.
#[cfg(feature = "remote")]
pub use scopegate_core::remote;

#[cfg(feature = "axum")]
pub use scopegate_axum::{
    AuthRejection, CallerToken, ClaimRuleDef, MaxAuthAge, PrefixScope, RequireAcr, RequireAnyRole,
    RequireAnyScope, RequireClaim, RequireRole, RequireScope, Verified, metadata_routes,
    original_uri,
};

/// OpenAPI security requirements from the extractors, with aide (feature `aide`).
#[cfg(feature = "aide")]
pub use scopegate_axum::openapi;

/// OpenAPI with utoipa: security scheme, scopes named once, drift check (feature `utoipa`).
#[cfg(feature = "utoipa")]
pub use scopegate_axum::utoipa_security;

/// Shared state for replicas on Redis (feature `redis`).
#[cfg(feature = "redis")]
pub use scopegate_redis as redis;

/// Per-tool scopes for MCP servers (feature `mcp`).
#[cfg(feature = "mcp")]
pub use scopegate_mcp as mcp;
#[cfg(feature = "mcp")]
pub use scopegate_mcp::McpScopeLayer;

/// The guides: one topic each, the same text as `docs/` in the repository (and linked from its
/// README). Their code blocks are compiled and run by `cargo test --workspace`.
///
/// - [What is verified, and how](guide::verification)
/// - [What clients see](guide::clients)
/// - [Pointing it at your identity provider](guide::providers)
/// - [Many tenants (SaaS)](guide::tenants)
/// - [Revocation: logout, disabled accounts, leaked clients](guide::revocation)
/// - [Beyond scopes: step-up and claim rules](guide::step_up)
/// - [Opaque tokens (introspection)](guide::introspection)
/// - [Sender-constrained tokens (DPoP)](guide::dpop)
/// - [Certificate-bound tokens (mTLS, RFC 8705)](guide::mtls)
/// - [OpenAPI from the same declarations](guide::openapi)
/// - [Calling downstream APIs](guide::downstream)
/// - [Several replicas (Redis)](guide::replicas)
/// - [gRPC](guide::grpc)
/// - [A protected resource, and MCP servers](guide::mcp)
/// - [What operators see: metrics and traces](guide::operations)
/// - [Testing your API](guide::testing)
/// - [Performance](guide::performance)
///
/// (Their doc tests run in the `scopegate-tests` package, which has every feature and the test
/// kit; here they would need this crate's optional features.)
#[cfg(all(doc, not(doctest)))]
pub mod guide {
    #[doc = include_str!("../docs/verification.md")]
    pub mod verification {}
    #[doc = include_str!("../docs/clients.md")]
    pub mod clients {}
    #[doc = include_str!("../docs/providers.md")]
    pub mod providers {}
    #[doc = include_str!("../docs/tenants.md")]
    pub mod tenants {}
    #[doc = include_str!("../docs/revocation.md")]
    pub mod revocation {}
    #[doc = include_str!("../docs/step-up.md")]
    pub mod step_up {}
    #[doc = include_str!("../docs/introspection.md")]
    pub mod introspection {}
    #[doc = include_str!("../docs/dpop.md")]
    pub mod dpop {}
    #[doc = include_str!("../docs/mtls.md")]
    pub mod mtls {}
    #[doc = include_str!("../docs/openapi.md")]
    pub mod openapi {}
    #[doc = include_str!("../docs/downstream.md")]
    pub mod downstream {}
    #[doc = include_str!("../docs/replicas.md")]
    pub mod replicas {}
    #[doc = include_str!("../docs/grpc.md")]
    pub mod grpc {}
    #[doc = include_str!("../docs/mcp.md")]
    pub mod mcp {}
    #[doc = include_str!("../docs/operations.md")]
    pub mod operations {}
    #[doc = include_str!("../docs/testing.md")]
    pub mod testing {}
    #[doc = include_str!("../docs/performance.md")]
    pub mod performance {}
}
