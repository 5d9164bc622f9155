//! Per-tool scopes for MCP servers (Model Context Protocol, streamable HTTP transport), behind
//! scopegate's bearer layer. The official Rust SDK (`rmcp`) serves MCP over HTTP as a tower
//! service and leaves authorization to whoever mounts it; with scopegate in front, an MCP
//! server is a correct OAuth 2.0 protected resource:
//!
//! - `BearerAuthLayer` verifies the token of every request (`401` with `resource_metadata`
//!   when there is none, as the MCP authorization spec requires);
//! - [`McpScopeLayer`] requires scopes per tool, resource (exact, template, prefix) and prompt
//!   for every method that reaches one (calls, reads, subscriptions, completions), refuses
//!   methods no rule maps, and answers `403 insufficient_scope` naming the scopes; it reads the
//!   JSON-RPC body and the `Mcp-Method` / `Mcp-Name` headers;
//! - `ProtectedResourceMetadata` publishes the RFC 9728 document clients discover it by.
//!
//! ```
//! use scopegate_core::{ProtectedResource, ScopeRequirement, Verifier};
//! use scopegate_mcp::McpScopeLayer;
//! use scopegate_tower::BearerAuthLayer;
//! use tower::ServiceBuilder;
//!
//! # let issuer = scopegate_testkit::TestIssuer::named("https://id.example.com");
//! let verifier = Verifier::builder()
//!     .issuer(issuer.issuer())
//!     .keys(issuer.key_set())
//!     .protected_resource(ProtectedResource::new("https://api.example.com/mcp")?)
//!     .build_static()?;
//! # let mcp_service = tower::service_fn(|_: http::Request<scopegate_mcp::McpRequestBody<String>>| async {
//! #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
//! # });
//! let service = ServiceBuilder::new()
//!     .layer(BearerAuthLayer::new(verifier))
//!     .layer(McpScopeLayer::new().tool("list_orders", ScopeRequirement::all_of(["orders.read"])?))
//!     .service(mcp_service); // rmcp's StreamableHttpService, for one
//! # let _ = service;
//! # Ok::<(), scopegate_core::Error>(())
//! ```
//!
//! The example `examples/mcp-server` is a complete server on `rmcp`.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod call;
mod cors;
mod events;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzz;
mod layer;
mod listing;
mod owned;
mod params;
mod resource;
mod service;
mod tasks;

pub use call::{
    CallError, MAX_BODY_DEPTH, MAX_SUBSCRIPTIONS, MCP_METHOD, MCP_NAME, McpCall, PROTOCOL_VERSION,
    SESSION_METHODS, STANDARD_HEADERS_SINCE, Target,
};
pub use cors::{McpCors, McpCorsLayer};
pub use layer::{DEFAULT_MAX_BODY_BYTES, McpScopeLayer};
pub use resource::{MAX_RESOURCE_URI_BYTES, UriError, normalize_resource_uri};
pub use service::{McpRequestBody, McpResponseBody, McpScope};
pub use tasks::WatchedBody;
