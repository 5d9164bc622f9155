//! The core of scopegate: claims, scopes, scope policies, roles, and verification of OAuth 2.0
//! JWT access tokens, for resource servers. It knows nothing of HTTP servers; the
//! `scopegate-tower` and `scopegate-axum` crates put it on the request path.
//!
//! ```
//! use scopegate_core::{ScopeRequirement, Verifier};
//!
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! let verifier = Verifier::builder()
//!     .issuer(issuer.issuer())
//!     .audience("orders-api")
//!     .keys(issuer.key_set())
//!     .build_static()?;
//!
//! # let token = issuer.token().audience("orders-api").scopes(["orders.read"]).sign();
//! let claims = verifier.verify_now(&token).into_ready().expect("static keys never wait")?;
//! let needs = ScopeRequirement::all_of(["orders.read"])?;
//! assert!(claims.require_scopes(&needs).is_ok());
//! # Ok::<(), scopegate_core::Error>(())
//! ```
//!
//! # Crypto backends
//!
//! Signatures are checked by [aws-lc-rs] (feature `aws-lc-rs`, the default) or by the
//! RustCrypto crates through jsonwebtoken (feature `rust-crypto`). Measured on a 2-core x86-64
//! machine, aws-lc-rs verifies RS256 about 10x and ES256 about 5x faster; EdDSA is on par.
//! When both features are on, aws-lc-rs is used. No OpenSSL is involved.
//!
//! [aws-lc-rs]: https://docs.rs/aws-lc-rs

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod algorithm;
pub mod certificate;
pub mod claims;
pub mod clock;
mod crypto;
pub mod dpop;
pub mod error;
#[cfg(feature = "remote")]
mod flight;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzz;
mod jose;
pub mod json;
pub mod key;
pub mod literal;
#[cfg(feature = "remote")]
pub mod remote;
pub mod resource;
pub mod role;
pub mod scope;
pub mod seal;
mod sorted_strs;
pub mod telemetry;
pub mod verifier;

pub use algorithm::Algorithm;
pub use certificate::CertificateThumbprint;
pub use claims::{
    Audience, AuthenticationRequirement, ClaimMapping, ClaimRule, Claims, CustomClaims, NumericDate,
};
pub use clock::{Clock, SystemClock};
pub use crypto::BACKEND;
pub use error::{
    BoxError, Error, ErrorClass, ErrorKind, InsufficientAuthentication, InsufficientScope,
};
pub use key::{KeySet, VerificationKey};
#[doc(hidden)]
pub use literal::__private;
pub use literal::{ConstStr, ScopeList};
pub use resource::{ProtectedResource, ResourceId};
pub use role::{ClaimPath, RoleRequirement, RoleSet};
pub use scope::{Scope, ScopePolicy, ScopeRequirement, ScopeSet, is_scope_char, is_valid_scope};
pub use seal::SealingKey;
#[cfg(feature = "remote")]
pub use verifier::TenantStats;
/// OpenID Connect Back-Channel Logout tokens, turned into revocations (feature `remote`).
#[cfg(feature = "remote")]
pub use verifier::logout;
/// Security Event Tokens pushed by identity providers (RFC 8417, RFC 8935; CAEP and RISC),
/// turned into revocations (feature `remote`).
#[cfg(feature = "remote")]
pub use verifier::security_event;
/// Many tenants, each with its own issuer, trusted per request and discovered on first use
/// (feature `remote`).
#[cfg(feature = "remote")]
pub use verifier::tenant;
#[cfg(feature = "remote")]
pub use verifier::tenant::{IssuerPattern, Tenant, TenantFormat, TenantResolver, Tenants};
pub use verifier::{
    DpopRequest, DpopVerified, PendingVerification, RequestFacts, Revocation, RevocationStats,
    TokenCacheKey, TokenCacheStats, TrustedIssuer, Verification, Verifier, VerifierBuilder,
};
