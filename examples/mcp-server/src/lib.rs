//! An MCP server on `rmcp`'s streamable HTTP transport, protected by scopegate: every request
//! needs a token for this resource, each tool its own scope, and the RFC 9728 metadata
//! document tells clients where to get one. Run it with `cargo run -p mcp-server` (see
//! `main.rs`).
//!
//! | tool, resource or prompt | needs |
//! |---|---|
//! | tool `list_orders` | `orders.read` |
//! | tool `create_order` | `orders.write` |
//! | tool `approve_order` | `orders.approve` and role `operator` |
//! | tool `refund` | `orders.write`; an `amount` over 100 also `orders.approve` |
//! | tool `export_orders` (a task when the client polls tasks) | `orders.read`; the task only by its creator |
//! | tool `ship_order` (calls the shipping API with an exchanged token) | `orders.write` and `shipping.write` |
//! | resources `orders://orders/{id}` (template) | `orders.read` |
//! | resource `orders://audit-log` (read, subscribe) | `orders.approve` |
//! | prompt `refund_customer` (get, complete) | `orders.approve` |
//!
//! Everything else that names an object is refused, and so is any method no rule maps.

#![forbid(unsafe_code)]

pub mod catalog;
pub mod dev;
pub mod shipping;
pub mod tools;

use std::sync::Arc;

use axum::Router;
use rmcp::task_manager::TaskManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use scopegate::mcp::{McpCorsLayer, McpScopeLayer};
use scopegate::{
    BearerAuthLayer, ProtectedResourceMetadata, RoleRequirement, ScopeRequirement, Verifier,
    metadata_routes,
};
use tower::ServiceBuilder;

use crate::shipping::Shipping;
use crate::tools::{OrderTools, Orders};

/// Which tool, resource and prompt needs what.
///
/// # Errors
///
/// Never in practice: the scopes and URIs are fixed and valid.
pub fn mcp_rules() -> Result<McpScopeLayer, scopegate::Error> {
    let read = ScopeRequirement::all_of(["orders.read"])?;
    let approve = ScopeRequirement::all_of(["orders.approve"])?;
    McpScopeLayer::new()
        // What a client asks for at its first login: reading.
        .challenge_scope("orders.read")
        .tool("list_orders", read.clone())
        .tool("create_order", ScopeRequirement::all_of(["orders.write"])?)
        .tool("approve_order", (approve.clone(), RoleRequirement::new("operator")))
        .tool("refund", ScopeRequirement::all_of(["orders.write"])?)
        .tool("export_orders", read.clone())
        .tool("ship_order", ScopeRequirement::all_of(["orders.write", "shipping.write"])?)
        // Missing or not a number counts as large: the condition must not be easier to
        // meet than the tool's own reading of the argument.
        .tool_if(
            "refund",
            |arguments| {
                arguments
                    .get("amount")
                    .and_then(|amount| amount.as_f64())
                    .is_none_or(|amount| amount > 100.0)
            },
            approve.clone(),
        )
        .prompt(catalog::REFUND_PROMPT, approve.clone())
        .resource(catalog::AUDIT_LOG, approve)?
        .resource_template(catalog::ORDER_TEMPLATE, read)
}

/// The scopes the rules require, published in the metadata document (declared once, in
/// [`mcp_rules`]).
///
/// # Errors
///
/// As [`mcp_rules`].
pub fn scopes() -> Result<Vec<String>, scopegate::Error> {
    Ok(mcp_rules()?.scopes_supported())
}

/// The service: `/mcp` behind the bearer layer and the tool scopes, the metadata document in
/// front of them. The verifier must guard a protected resource (its metadata is served).
///
/// # Errors
///
/// When the verifier has no protected resource.
pub fn app(verifier: Verifier) -> Result<Router, scopegate::Error> {
    app_with(verifier, None)
}

/// What the `ship_order` tool needs: the way to the shipping API, and the verifier the shipping
/// API (served by the same router) checks its tokens with.
#[derive(Clone, Debug)]
pub struct Downstream {
    /// The exchange and the call.
    pub shipping: Arc<Shipping>,
    /// The shipping API's verifier (audience `shipping-api`).
    pub api: Verifier,
}

/// [`app`], with the shipping API and the tool that calls it when `downstream` is given.
///
/// # Errors
///
/// When the verifier has no protected resource.
pub fn app_with(
    verifier: Verifier,
    downstream: Option<Downstream>,
) -> Result<Router, scopegate::Error> {
    let metadata = ProtectedResourceMetadata::for_verifier(&verifier).ok_or_else(|| {
        scopegate::Error::new(
            scopegate::ErrorKind::InvalidConfiguration,
            "the MCP server's verifier needs a protected resource",
        )
    })?;
    let (orders, tasks) = (Orders::default(), TaskManager::new());
    let shipping = downstream.as_ref().map(|downstream| Arc::clone(&downstream.shipping));
    let mcp = StreamableHttpService::new(
        move || {
            Ok(OrderTools::new(Arc::clone(&orders), tasks.clone()).with_shipping(shipping.clone()))
        },
        Arc::new(LocalSessionManager::default()),
        // Stateless, JSON answers: every request stands alone, which also makes it curl-able.
        StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_sse_keep_alive(None),
    );
    let protected = ServiceBuilder::new()
        // Optional: the MCP layer refuses anonymous requests itself, naming in the `401` the
        // scopes the call needs.
        .layer(BearerAuthLayer::new(verifier).realm("orders-mcp").optional())
        .layer(mcp_rules()?)
        .service(mcp);
    // Outermost, so that a browser's preflight is never authenticated. Development: pages
    // and the MCP Inspector on this machine may call it; any other origin gets `403`.
    let browsers = McpCorsLayer::new().allow_localhost();
    let mut router =
        Router::new().route_service("/mcp", protected).merge(metadata_routes(metadata));
    if let Some(downstream) = downstream {
        router = router.merge(shipping::api(downstream.api));
    }
    Ok(router.layer(browsers))
}
