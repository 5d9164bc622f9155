//! Calling another API from a tool, the way MCP allows: never with the client's token (its
//! audience is this MCP server, and the layer marks it not to be passed through), but with a
//! token exchanged for the downstream API (RFC 8693), narrowed to the one scope it needs.
//!
//! The downstream here is a small shipping API (audience `shipping-api`, scope
//! `shipping.write`), served by the same process at `/shipping` and called over HTTP.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::post;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rmcp::ErrorData;
use scopegate::remote::ExchangeRequest;
use scopegate::{BearerAuthLayer, ErrorKind, RequireScope, Verified, Verifier, scope};
use serde_json::{Value, json};

/// The shipping API's audience.
pub const SHIPPING_AUDIENCE: &str = "shipping-api";

/// The shipping API: `POST /shipping/orders/{id}/shipments` with a `shipping.write` token for
/// it. Answers who the shipment is for (`sub`) and which client asked (`client_id`: the MCP
/// server, which exchanged the token).
pub fn api(verifier: Verifier) -> Router {
    Router::new()
        .route("/shipping/orders/{order}/shipments", post(ship))
        .layer(BearerAuthLayer::new(verifier).realm("shipping"))
}

async fn ship(
    _: RequireScope<scope!("shipping.write")>,
    claims: Verified,
    Path(order): Path<u64>,
) -> axum::Json<Value> {
    axum::Json(json!({
        "shipment": order,
        "for": claims.subject(),
        "requested_by": claims.client_id(),
        "audience": SHIPPING_AUDIENCE,
    }))
}

/// How a tool reaches the shipping API: this server's verifier (with token exchange set up)
/// and the API's base URL.
#[derive(Clone)]
pub struct Shipping {
    verifier: Verifier,
    base: String,
    client: Client<HttpConnector, Full<bytes::Bytes>>,
}

impl std::fmt::Debug for Shipping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shipping").field("base", &self.base).finish_non_exhaustive()
    }
}

impl Shipping {
    /// Through `verifier` (whose issuer has [`TokenExchange`](scopegate::remote::TokenExchange)
    /// set up), to the shipping API at `base` (`http://127.0.0.1:3004`).
    pub fn new(verifier: Verifier, base: &str) -> Arc<Self> {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Arc::new(Self { verifier, base: base.trim_end_matches('/').to_owned(), client })
    }

    /// Ships `order` for the caller whose verified token is `token`: the token is exchanged
    /// for one of the shipping API (`shipping.write` only), which is then called.
    ///
    /// # Errors
    ///
    /// The tool's error: the exchange refused (the caller's token lacks `shipping.write`) or
    /// unavailable, or the shipping API's refusal.
    pub async fn ship(&self, token: &str, order: u64) -> Result<Value, ErrorData> {
        let wanted = ExchangeRequest::audience(SHIPPING_AUDIENCE).scopes(["shipping.write"]);
        let exchanged = self.verifier.exchange(token, &wanted).await.map_err(|error| {
            let refused = error.kind() == ErrorKind::TokenExchangeRefused;
            let reason = if refused {
                "the token exchange was refused"
            } else {
                "the token exchange is unavailable"
            };
            ErrorData::internal_error(reason, None)
        })?;
        let request =
            http::Request::post(format!("{}/shipping/orders/{order}/shipments", self.base))
                .header("authorization", format!("Bearer {}", exchanged.access_token()))
                .body(Full::default())
                .map_err(|_| ErrorData::internal_error("bad shipping request", None))?;
        let unreachable = |_| ErrorData::internal_error("the shipping API cannot be reached", None);
        let call = tokio::time::timeout(Duration::from_secs(10), self.client.request(request));
        let late = |_| ErrorData::internal_error("the shipping API did not answer in time", None);
        let response = call.await.map_err(late)?.map_err(unreachable)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|_| ErrorData::internal_error("the shipping answer broke off", None))?;
        if !status.is_success() {
            return Err(ErrorData::internal_error(
                format!("the shipping API answered {status}"),
                None,
            ));
        }
        serde_json::from_slice(&body.to_bytes())
            .map_err(|_| ErrorData::internal_error("the shipping answer is not JSON", None))
    }
}
