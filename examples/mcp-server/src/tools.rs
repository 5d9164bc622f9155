//! The MCP server itself: order tools on `rmcp`, each answering with the caller's `sub` from
//! the claims scopegate verified. `export_orders` runs as a task (MCP's tasks extension) when
//! the client says it can poll one.

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams,
    CompleteRequestParams, CompleteResult, ContentBlock, CreateTaskResult, GetPromptRequestParams,
    GetPromptResponse, GetTaskParams, GetTaskResult, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
    SubscribeRequestParams, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::task_manager::{TaskManager, TaskOptions};
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use scopegate::{AccessToken, Claims};

use crate::catalog;
use crate::shipping::Shipping;
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

/// Arguments of `refund`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Refund {
    /// The order's number.
    pub id: u64,
    /// How much to refund; over 100 needs `orders.approve` as well.
    pub amount: f64,
}

/// The order tools.
#[derive(Clone)]
pub struct OrderTools {
    orders: Orders,
    /// The exports under way (shared by every request, like the orders).
    tasks: TaskManager,
    /// The shipping API `ship_order` calls, when set up.
    shipping: Option<Arc<Shipping>>,
    tool_router: ToolRouter<Self>,
}

impl std::fmt::Debug for OrderTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderTools").finish_non_exhaustive()
    }
}

impl OrderTools {
    /// The tools over `orders`, running exports as tasks of `tasks`.
    pub fn new(orders: Orders, tasks: TaskManager) -> Self {
        let tool_router = Self::tool_router() + Self::refund_router();
        Self { orders, tasks, shipping: None, tool_router }
    }

    /// `ship_order` calls `shipping` (without it, the tool answers that shipping is not set up).
    pub fn with_shipping(mut self, shipping: Option<Arc<Shipping>>) -> Self {
        self.shipping = shipping;
        self
    }

    /// `export_orders` as a task: its handle now, the orders (as the caller saw them) when the
    /// client polls with `tasks/get`.
    fn export_task(&self, caller: String) -> CreateTaskResult {
        let orders = self.with(|orders| orders.clone());
        let options = TaskOptions::new().with_poll_interval_ms(20);
        let task = self.tasks.spawn(options, move |_| {
            Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Ok(answer(json!({"caller": caller, "export": orders})))
            })
        });
        CreateTaskResult::new(task)
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

#[tool_router(router = refund_router, vis = "pub(crate)")]
impl OrderTools {
    /// Needs `orders.write`; over 100, `orders.approve` as well.
    #[tool(description = "Refund (part of) an order")]
    async fn refund(
        &self,
        Parameters(Refund { id, amount }): Parameters<Refund>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let caller = caller(&context)?;
        Ok(answer(json!({"caller": caller, "refunded": {"order": id, "amount": amount}})))
    }

    /// Needs `orders.write` and `shipping.write`: calls the shipping API with the caller's
    /// token exchanged for one of that API (never the caller's token itself).
    #[tool(description = "Ship an order (calls the shipping API)")]
    async fn ship_order(
        &self,
        Parameters(Approval { id }): Parameters<Approval>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let Some(shipping) = &self.shipping else {
            return Ok(CallToolResult::error(vec![ContentBlock::text(
                "shipping is not set up: run the server with its development authorization server",
            )]));
        };
        let parts = context.extensions.get::<http::request::Parts>();
        let token =
            parts.and_then(|parts| AccessToken::from_request(&parts.extensions, &parts.headers));
        let token = token.ok_or_else(|| {
            ErrorData::internal_error("the request carries no verified token", None)
        })?;
        let shipped = shipping.ship(token.secret(), id).await?;
        Ok(answer(json!({"caller": caller(&context)?, "shipped": shipped})))
    }

    /// Needs `orders.read`; a task for a client that polls tasks.
    #[tool(description = "Export the orders (a task when the client supports tasks)")]
    async fn export_orders(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let caller = caller(&context)?;
        let orders = self.with(|orders| orders.clone());
        Ok(answer(json!({"caller": caller, "export": orders})))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for OrderTools {
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let polls = context.client_capabilities().is_some_and(|client| client.supports_tasks());
        if request.name == "export_orders" && polls {
            return Ok(CallToolResponse::Task(self.export_task(caller(&context)?)));
        }
        self.tool_router.call(ToolCallContext::new(self, request, context)).await
    }

    // The tasks' owners are scopegate's business: it lets through only the caller that
    // created a task.
    async fn get_task(
        &self,
        request: GetTaskParams,
        _: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        Ok(GetTaskResult::new(self.tasks.get_task(&request.task_id)?))
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.tasks.cancel_task(&request.task_id)
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_prompts()
            .enable_completions()
            .enable_tasks()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(
                "scopegate-orders-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Orders behind scopegate: each tool, resource and prompt needs its own scope.",
            )
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(catalog::resources())
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(catalog::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let orders = self.with(|orders| orders.clone());
        catalog::read(&request, &orders).map(ReadResourceResponse::Complete)
    }

    // The legacy subscription methods (before 2026-07-28); scopegate checks the resource's
    // rule before either reaches here.
    #[allow(deprecated)]
    async fn subscribe(
        &self,
        _: SubscribeRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        _: UnsubscribeRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(catalog::prompts())
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        catalog::prompt(&request).map(GetPromptResponse::Complete)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let orders = self.with(|orders| orders.clone());
        catalog::complete(&request, &orders)
    }
}
