//! Test kit for scopegate: generate keys, mint signed access tokens (valid or deliberately
//! broken), and get a [`Verifier`](scopegate_core::Verifier) that trusts them.
//!
//! ```
//! use std::time::Duration;
//! use scopegate_core::ErrorKind;
//! use scopegate_testkit::{TestIssuer, TestKey};
//!
//! let issuer = TestIssuer::new();
//! let verifier = issuer.verifier();
//!
//! let token = issuer.token()
//!     .subject("42")
//!     .scopes(["orders.read"])
//!     .expires_in(Duration::from_secs(600))
//!     .sign();
//! let claims = verifier.verify_now(&token).into_ready().unwrap().unwrap();
//! assert_eq!(claims.subject(), Some("42"));
//!
//! let forged = issuer.token().sign_with(&TestKey::rsa());
//! let error = verifier.verify_now(&forged).into_ready().unwrap().unwrap_err();
//! assert_eq!(error.kind(), ErrorKind::InvalidSignature);
//! ```
//!
//! The keys are generated fresh (RSA 2048, P-256, P-384, Ed25519) with aws-lc-rs; they live
//! only in memory.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod block_on;
mod certificate;
mod clock;
#[cfg(feature = "server")]
mod dev_server;
mod dpop;
mod issuer;
mod key;
mod providers;
mod redis_server;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
mod tenant_server;
mod token;

pub use block_on::block_on;
pub use certificate::{TestCertificate, TestCertificateAuthority};
pub use clock::ManualClock;
#[cfg(feature = "server")]
pub use dev_server::{DEV_SUBJECT, DevAuthorizationServer};
pub use dpop::{DpopProofBuilder, access_token_hash};
pub use issuer::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, TestIssuer};
pub use key::TestKey;
pub use redis_server::RedisServer;
#[cfg(feature = "server")]
pub use server::{
    EndpointBehaviour, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer,
    SignedIntrospection,
};
#[cfg(feature = "server")]
pub use tenant_server::TenantIssuerServer;
pub use token::{TokenBuilder, encode_token};
