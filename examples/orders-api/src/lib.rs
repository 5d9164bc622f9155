//! The orders API: `/health` for anyone, `/me` for any valid token, and orders behind scopes
//! and a role. Run it with `cargo run -p orders-api` (see `main.rs`).
//!
//! | route | needs |
//! |---|---|
//! | `GET /health` | nothing |
//! | `GET /me` | any valid token |
//! | `GET /orders` | `orders.read` |
//! | `POST /orders` | `orders.write` |
//! | `POST /orders/{id}/approve` | `orders.approve` and role `operator` |
//! | `GET /.well-known/oauth-protected-resource` | nothing: the RFC 9728 metadata document |
//! | `GET /openapi.json` | nothing: the OpenAPI 3.1 document, its security from the extractors |
//! | `GET /metrics` | nothing; only with `SCOPEGATE_METRICS=1`: Prometheus counters |
//! | `POST /backchannel-logout` | a logout token; only with `SCOPEGATE_REVOCATION=1` |
//! | `POST /events` | a Security Event Token (RFC 8935); only with `SCOPEGATE_REVOCATION=1` |
//!
//! The routes are declared with aide, so the OpenAPI document's security requirements and
//! the RFC 9728 `scopes_supported` come from the same `RequireScope` extractors that enforce
//! them.

#![forbid(unsafe_code)]

pub mod config;
pub mod dev;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod revocation;
pub mod tls;

use std::sync::{Arc, Mutex, PoisonError};

use aide::axum::ApiRouter;
use aide::axum::routing::{get, post};
use aide::openapi::{Info, OpenApi};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use schemars_aide::JsonSchema;
use scopegate::{
    BearerAuthLayer, ProtectedResourceMetadata, RequireRole, RequireScope, Verified, Verifier,
    metadata_routes, role, scope,
};
use scopegate_axum::openapi::{bearer_security_scheme, declared_scopes, document};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One order.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, JsonSchema)]
#[schemars(crate = "schemars_aide")]
pub struct Order {
    /// Its number.
    pub id: u64,
    /// What was ordered.
    pub item: String,
    /// `pending` or `approved`.
    pub status: &'static str,
    /// The `sub` of the token that created it.
    pub created_by: String,
    /// The `sub` of the operator who approved it.
    pub approved_by: Option<String>,
}

/// The body of `POST /orders`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "schemars_aide")]
pub struct NewOrder {
    /// What to order.
    pub item: String,
}

/// The path of `POST /orders/{id}/approve`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "schemars_aide")]
pub struct OrderId {
    /// The order's number.
    pub id: u64,
}

/// The orders, in memory.
#[derive(Clone, Default)]
struct Orders(Arc<Mutex<Vec<Order>>>);

impl Orders {
    fn with<T>(&self, change: impl FnOnce(&mut Vec<Order>) -> T) -> T {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The service: `/health` and `/openapi.json` open, the RFC 9728 metadata document open when
/// the verifier guards a protected resource (its `scopes_supported` the scopes the routes
/// declare), everything else behind [`BearerAuthLayer`] with `verifier`.
pub fn app(verifier: Verifier) -> Router {
    let (router, api) = routes(verifier.clone());
    let openapi = Arc::new(document(&api));
    let app = router.route(
        "/openapi.json",
        axum::routing::get(move || {
            let openapi = Arc::clone(&openapi);
            async move { Json((*openapi).clone()) }
        }),
    );
    let resource = verifier
        .protected_resource()
        .cloned()
        .and_then(|resource| resource.scopes_supported(declared_scopes(&api)).ok());
    match resource {
        Some(resource) => app.merge(metadata_routes(ProtectedResourceMetadata::new(&resource))),
        None => app,
    }
}

/// The routes and their OpenAPI document.
pub fn routes(verifier: Verifier) -> (Router, OpenApi) {
    let mut api = OpenApi {
        info: Info {
            title: "orders-api".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ..Info::default()
        },
        ..OpenApi::default()
    };
    let protected = ApiRouter::new()
        .api_route("/me", get(me))
        .api_route("/orders", get(list).post(create))
        .api_route("/orders/{id}/approve", post(approve))
        .with_state(Orders::default())
        .layer(BearerAuthLayer::new(verifier).realm("orders-api"));
    let router =
        ApiRouter::new().api_route("/health", get(health)).merge(protected).finish_api(&mut api);
    bearer_security_scheme(&mut api);
    (router, api)
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn me(claims: Verified) -> Json<Value> {
    Json(json!({
        "sub": claims.subject(),
        "client_id": claims.client_id(),
        "aud": claims.audience(),
        "scopes": claims.scopes(),
        "roles": claims.roles(),
    }))
}

async fn list(
    _: RequireScope<scope!("orders.read")>,
    State(orders): State<Orders>,
) -> Json<Vec<Order>> {
    Json(orders.with(|orders| orders.clone()))
}

async fn create(
    _: RequireScope<scope!("orders.write")>,
    claims: Verified,
    State(orders): State<Orders>,
    Json(new): Json<NewOrder>,
) -> (StatusCode, Json<Order>) {
    let order = orders.with(|orders| {
        let order = Order {
            id: orders.len() as u64 + 1,
            item: new.item,
            status: "pending",
            created_by: claims.subject().unwrap_or_default().to_owned(),
            approved_by: None,
        };
        orders.push(order.clone());
        order
    });
    (StatusCode::CREATED, Json(order))
}

async fn approve(
    _: RequireScope<scope!("orders.approve")>,
    _: RequireRole<role!("operator")>,
    claims: Verified,
    State(orders): State<Orders>,
    Path(OrderId { id }): Path<OrderId>,
) -> Result<Json<Order>, (StatusCode, Json<Value>)> {
    let approved = orders.with(|orders| {
        let order = orders.iter_mut().find(|order| order.id == id)?;
        order.status = "approved";
        order.approved_by = claims.subject().map(str::to_owned);
        Some(order.clone())
    });
    approved
        .map(Json)
        .ok_or_else(|| (StatusCode::NOT_FOUND, Json(json!({"error": "not_found", "id": id}))))
}
