//! The MCP server itself: three order tools on `rmcp`, each answering with the caller's `sub`
//! from the claims scopegate verified.

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use scopegate::Claims;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One order.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Order {
    /// Its number.
    pub id: u64,
    /// What was ordered.
    pub item: String,
    /// `pending` or `approved`.
    pub status: &'static str,
    /// The `sub` of the token that created it.
    pub created_by: String,
}

/// The orders, in memory, shared by every request.
pub type Orders = Arc<Mutex<Vec<Order>>>;

/// Arguments of `create_order`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewOrder {
    /// What to order.
    pub item: String,
}

/// Arguments of `approve_order`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Approval {
    /// The order's number.
    pub id: u64,
}

/// The order tools.
#[derive(Clone, Debug)]
pub struct OrderTools {
    orders: Orders,
    tool_router: ToolRouter<Self>,
}

impl OrderTools {
    /// The tools over `orders`.
    pub fn new(orders: Orders) -> Self {
        Self { orders, tool_router: Self::tool_router() }
    }

    fn with<T>(&self, change: impl FnOnce(&mut Vec<Order>) -> T) -> T {
        change(&mut self.orders.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The subject of the verified token, from the HTTP request rmcp hands every tool.
fn caller(context: &RequestContext<RoleServer>) -> Result<String, ErrorData> {
    let claims = context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Claims>())
        // BearerAuthLayer runs before rmcp: no claims means it is not installed.
        .ok_or_else(|| ErrorData::internal_error("the request carries no verified claims", None))?;
    Ok(claims.subject().unwrap_or_default().to_owned())
}

fn answer(value: serde_json::Value) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(value.to_string())])
}

#[tool_router]
impl OrderTools {
    /// Needs `orders.read`.
    #[tool(description = "List the orders")]
    async fn list_orders(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let caller = caller(&context)?;
        let orders = self.with(|orders| orders.clone());
        Ok(answer(json!({"caller": caller, "orders": orders})))
    }

    /// Needs `orders.write`.
    #[tool(description = "Create an order")]
    async fn create_order(
        &self,
        Parameters(NewOrder { item }): Parameters<NewOrder>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let caller = caller(&context)?;
        let order = self.with(|orders| {
            let order = Order {
                id: orders.len() as u64 + 1,
                item,
                status: "pending",
                created_by: caller.clone(),
            };
            orders.push(order.clone());
            order
        });
        Ok(answer(json!({"caller": caller, "order": order})))
    }

    /// Needs `orders.approve` and the role `operator`.
    #[tool(description = "Approve an order")]
    async fn approve_order(
        &self,
        Parameters(Approval { id }): Parameters<Approval>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let caller = caller(&context)?;
        let approved = self.with(|orders| {
            let order = orders.iter_mut().find(|order| order.id == id)?;
            order.status = "approved";
            Some(order.clone())
        });
        match approved {
            Some(order) => Ok(answer(json!({"caller": caller, "order": order}))),
            None => Ok(CallToolResult::error(vec![ContentBlock::text(format!("no order {id}"))])),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for OrderTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "scopegate-orders-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions("Orders behind scopegate: each tool needs its own scope.")
    }
}
