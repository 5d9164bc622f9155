//! A tower [`Layer`](tower_layer::Layer) that verifies OAuth 2.0 bearer tokens and answers per
//! RFC 6750, for axum, hyper and tonic alike.
//!
//! [`BearerAuthLayer`] reads the token from `Authorization: Bearer` (and, if asked, a cookie;
//! never the query string), verifies it with a [`Verifier`](scopegate_core::Verifier), and puts
//! the [`Claims`](scopegate_core::Claims) into the request extensions before calling your
//! service. [`RequireScopeLayer`] and [`RequireRoleLayer`] (and any [`AccessRule`] in a
//! [`GuardLayer`]) guard routes. Every rejection comes from one [`Responder`], a trait or a
//! closure.
//!
//! ```
//! use http::{Request, Response, StatusCode, header};
//! use scopegate_core::Claims;
//! use scopegate_tower::{BearerAuthLayer, RequireScopeLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let verifier = issuer.verifier();
//! let service = ServiceBuilder::new()
//!     .layer(BearerAuthLayer::new(verifier).realm("orders-api"))
//!     .layer(RequireScopeLayer::all_of(["orders.read"])?)
//!     .service(service_fn(|request: Request<()>| async move {
//!         let claims = request.extensions().get::<Claims>().expect("set by the layer");
//!         Ok::<_, std::convert::Infallible>(Response::new(format!("hello {}", claims.subject().unwrap_or("?"))))
//!     }));
//!
//! let response = service.clone().oneshot(Request::new(())).await?;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.headers()[header::WWW_AUTHENTICATE], r#"Bearer realm="orders-api""#);
//!
//! let token = issuer.token().subject("42").scopes(["orders.read"]).sign();
//! let request = Request::builder().header(header::AUTHORIZATION, format!("Bearer {token}")).body(())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! ```
//!
//! # Logging
//!
//! Each rejection emits one `tracing` event at debug level with its reason (`warn` for `503`,
//! `error` for a missing layer); the token is never logged. Put `Authorization` and `Cookie`
//! through tower-http's `SetSensitiveRequestHeadersLayer` before any request tracing, so that
//! your own logs do not carry tokens either.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod certificate;
mod challenge;
mod client_cert;
mod context;
mod csrf;
#[cfg(feature = "revocation")]
mod event_receivers;
mod extract;
mod forward;
mod future;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzz;
pub mod grpc;
mod guard;
mod layer;
mod metadata;
mod rejection;
mod responder;
mod rules;
mod service;
mod tenant;
#[cfg(feature = "tls")]
pub mod tls;

pub use body::ResponseBody;
pub use certificate::{ClientCertificate, PeerAddress};
pub use challenge::{Challenge, MAX_DESCRIPTION_BYTES, Scheme};
pub use client_cert::{
    CLIENT_CERT, CLIENT_CERT_CHAIN, ClientCertHeader, ClientCertHeaderLayer,
    MAX_CLIENT_CERT_HEADER_BYTES, PeerAddressOf, TrustedProxies,
};
pub use context::{Anonymous, AuthContext, reject, verified_claims};
pub use csrf::CookieCsrf;
#[cfg(feature = "revocation")]
pub use event_receivers::{BackChannelLogout, ReceiverFuture, SecurityEventPush};
pub use extract::TokenSource;
pub use forward::{AccessToken, ForwardToken, ForwardTokenLayer, NoTokenPassthrough};
pub use future::ResponseFuture;
pub use guard::{AccessRule, Guard, GuardLayer, RequestHead, RequireRoleLayer, RequireScopeLayer};
pub use layer::{BearerAuthLayer, DEFAULT_REALM, OriginalUri};
pub use metadata::{DEFAULT_METADATA_MAX_AGE, ProtectedResourceMetadata};
pub use rejection::{DPOP_NONCE, Rejection};
pub use responder::{DefaultResponder, Responder, ResponseContext};
pub use rules::{ClaimRuleLayer, PathParams, RequireAuthenticationLayer};
pub use service::BearerAuth;
pub use tenant::TenantFrom;
