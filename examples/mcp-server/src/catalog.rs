//! The server's resources and prompts: each order as `orders://orders/{id}` (a template), an
//! audit log `orders://audit-log` clients may subscribe to, and a prompt `refund_customer`
//! whose `customer` argument completes from the orders' creators. What each needs is declared
//! once, in [`mcp_rules`](crate::mcp_rules); this module only serves them.

use rmcp::ErrorData;
use rmcp::model::{
    CompleteRequestParams, CompleteResult, CompletionInfo, GetPromptRequestParams, GetPromptResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, Prompt, PromptArgument,
    PromptMessage, ReadResourceRequestParams, ReadResourceResult, Reference, Resource,
    ResourceContents, ResourceTemplate, Role,
};
use serde_json::json;

use crate::tools::Order;

/// The audit log's URI.
pub const AUDIT_LOG: &str = "orders://audit-log";
/// The template of one order's URI.
pub const ORDER_TEMPLATE: &str = "orders://orders/{id}";
/// The prompt's name.
pub const REFUND_PROMPT: &str = "refund_customer";

/// `resources/list`.
pub fn resources() -> ListResourcesResult {
    ListResourcesResult::with_all_items(vec![
        Resource::new(AUDIT_LOG, "audit-log")
            .with_description("Who created and approved which order (needs orders.approve)")
            .with_mime_type("application/json"),
    ])
}

/// `resources/templates/list`.
pub fn templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new(ORDER_TEMPLATE, "order")
            .with_description("One order (needs orders.read)")
            .with_mime_type("application/json"),
    ])
}

/// `resources/read` over the current `orders`.
///
/// # Errors
///
/// `-32002` (resource not found) for any other URI.
pub fn read(
    request: &ReadResourceRequestParams,
    orders: &[Order],
) -> Result<ReadResourceResult, ErrorData> {
    let uri = request.uri.as_str();
    let text = if uri == AUDIT_LOG {
        let entries: Vec<_> = orders
            .iter()
            .map(|order| json!({"order": order.id, "created_by": order.created_by, "status": order.status}))
            .collect();
        json!({"entries": entries})
    } else {
        let order = uri
            .strip_prefix("orders://orders/")
            .and_then(|id| id.parse::<u64>().ok())
            .and_then(|id| orders.iter().find(|order| order.id == id))
            .ok_or_else(|| ErrorData::resource_not_found(format!("no resource {uri}"), None))?;
        json!(order)
    };
    Ok(ReadResourceResult::new(vec![ResourceContents::text(text.to_string(), uri)]))
}

/// `prompts/list`.
pub fn prompts() -> ListPromptsResult {
    ListPromptsResult::with_all_items(vec![Prompt::new(
        REFUND_PROMPT,
        Some("Draft a refund for a customer (needs orders.approve)"),
        Some(vec![PromptArgument::new("customer").with_required(true)]),
    )])
}

/// `prompts/get`.
///
/// # Errors
///
/// `-32602` for another prompt or without `customer`.
pub fn prompt(request: &GetPromptRequestParams) -> Result<GetPromptResult, ErrorData> {
    let customer = request
        .arguments
        .as_ref()
        .and_then(|arguments| arguments.get("customer"))
        .and_then(|value| value.as_str())
        .filter(|_| request.name == REFUND_PROMPT)
        .ok_or_else(|| ErrorData::invalid_params("refund_customer needs `customer`", None))?;
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(
        Role::User,
        format!("Draft a polite refund note for {customer}, naming their orders."),
    )]))
}

/// `completion/complete`: the `customer` argument of the prompt, from the orders' creators.
///
/// # Errors
///
/// `-32602` for anything else.
pub fn complete(
    request: &CompleteRequestParams,
    orders: &[Order],
) -> Result<CompleteResult, ErrorData> {
    let Reference::Prompt(prompt) = &request.r#ref else {
        return Err(ErrorData::invalid_params("only the prompt's argument completes", None));
    };
    if prompt.name != REFUND_PROMPT || request.argument.name != "customer" {
        return Err(ErrorData::invalid_params("only refund_customer's `customer` completes", None));
    }
    let mut customers: Vec<String> = orders
        .iter()
        .map(|order| order.created_by.clone())
        .filter(|customer| customer.starts_with(&request.argument.value))
        .collect();
    customers.sort();
    customers.dedup();
    let info =
        CompletionInfo::new(customers).map_err(|error| ErrorData::internal_error(error, None))?;
    Ok(CompleteResult::new(info))
}
