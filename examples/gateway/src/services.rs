//! The three services and the identity provider, started on free loopback ports.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use scopegate::remote::{ExchangeRequest, TokenExchange};
use scopegate::{
    BearerAuthLayer, CallerToken, ErrorKind, ForwardTokenLayer, RequireScope, ScopePolicy,
    Verified, Verifier, scope,
};
use scopegate_testkit::{INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IssuerServer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower::{Layer, ServiceExt};

/// The audience of the internal APIs (the gateway and orders).
pub const INTERNAL_AUDIENCE: &str = "internal-apis";
/// The audience of the shipping API.
pub const SHIPPING_AUDIENCE: &str = "shipping-api";
/// The gateway's client id at the identity provider (for token exchange).
pub const GATEWAY_CLIENT_ID: &str = INTROSPECTION_CLIENT_ID;

/// What a downstream saw of the token it was called with.
async fn what_i_saw(service: &str, claims: &Verified) -> Json<Value> {
    let audience: Vec<&str> = claims.audience().iter().collect();
    let scopes: Vec<&str> = claims.scopes().iter().collect();
    Json(json!({
        "service": service,
        "subject": claims.subject(),
        "audience": audience,
        "scopes": scopes,
    }))
}

async fn serve(router: Router) -> Result<String, std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(base)
}

#[derive(Clone)]
struct Gateway {
    verifier: Verifier,
    client: Client<HttpConnector, Body>,
    forward: ForwardTokenLayer,
    orders: String,
    shipping: String,
}

/// A JSON error answer.
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

impl Gateway {
    /// Sends `request` and relays the downstream's status and body.
    async fn relay(&self, request: Request<Body>) -> Response {
        let client = self.forward.layer(self.client.clone());
        match client.oneshot(request).await {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                match http_body_util::BodyExt::collect(body).await {
                    Ok(body) => (parts.status, body.to_bytes()).into_response(),
                    Err(_) => error(StatusCode::BAD_GATEWAY, "the downstream answer broke off"),
                }
            }
            Err(_) => error(StatusCode::BAD_GATEWAY, "the downstream cannot be reached"),
        }
    }
}

/// `GET /orders/{id}/items`: forwarded to orders with the caller's token.
async fn items(
    State(gateway): State<Gateway>,
    _: RequireScope<scope!("order:item")>,
    CallerToken(token): CallerToken,
    Path(id): Path<u64>,
) -> Response {
    let uri = format!("{}/orders/{id}/items", gateway.orders);
    let Ok(mut request) = Request::get(uri).body(Body::empty()) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "bad downstream URL");
    };
    request.extensions_mut().insert(token);
    gateway.relay(request).await
}

/// `POST /orders/{id}/ship`: the caller's token exchanged for a shipping token.
async fn ship(
    State(gateway): State<Gateway>,
    _: RequireScope<scope!("order")>,
    CallerToken(token): CallerToken,
    Path(id): Path<u64>,
) -> Response {
    let wanted = ExchangeRequest::audience(SHIPPING_AUDIENCE).scopes(["shipping.write"]);
    let exchanged = match gateway.verifier.exchange(token.secret(), &wanted).await {
        Ok(exchanged) => exchanged,
        Err(refused) if refused.kind() == ErrorKind::TokenExchangeRefused => {
            return error(StatusCode::FORBIDDEN, refused.message());
        }
        Err(other) => return error(StatusCode::SERVICE_UNAVAILABLE, other.message()),
    };
    let request = Request::post(format!("{}/shipments?order={id}", gateway.shipping))
        .header("authorization", format!("Bearer {}", exchanged.access_token()))
        .body(Body::empty());
    match request {
        Ok(request) => gateway.relay(request).await,
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "bad downstream request"),
    }
}

/// The identity provider, the two services and the gateway's router.
#[derive(Debug)]
pub struct Deployment {
    /// The identity provider (discovery, keys, token exchange).
    pub idp: IssuerServer,
    /// The orders service's URL.
    pub orders: String,
    /// The shipping service's URL.
    pub shipping: String,
    /// The gateway's router, to serve where you like.
    pub gateway: Router,
}

impl Deployment {
    /// Starts the identity provider and the two services on free loopback ports, and builds
    /// the gateway.
    ///
    /// # Errors
    ///
    /// When a port cannot be bound or a verifier cannot be built.
    pub async fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let idp = IssuerServer::start().await;
        let verifier = |audience: &str| {
            Verifier::builder()
                .issuer(idp.issuer().issuer())
                .audience(audience)
                .scope_policy(ScopePolicy::hierarchical(':'))
        };
        let orders_verifier = verifier(INTERNAL_AUDIENCE).build().await?;
        let orders = serve(
            Router::new()
                .route(
                    "/orders/{id}/items",
                    get(|_: RequireScope<scope!("order:item")>, claims: Verified| async move {
                        what_i_saw("orders", &claims).await
                    }),
                )
                .route_layer(BearerAuthLayer::new(orders_verifier).realm("orders")),
        )
        .await?;
        let shipping_verifier = verifier(SHIPPING_AUDIENCE).build().await?;
        let shipping = serve(
            Router::new()
                .route(
                    "/shipments",
                    post(
                        |_: RequireScope<scope!("shipping.write")>, claims: Verified| async move {
                            what_i_saw("shipping", &claims).await
                        },
                    ),
                )
                .route_layer(BearerAuthLayer::new(shipping_verifier).realm("shipping")),
        )
        .await?;
        let gateway_verifier = verifier(INTERNAL_AUDIENCE)
            .token_exchange(TokenExchange::new(GATEWAY_CLIENT_ID, INTROSPECTION_CLIENT_SECRET))
            .fetch_timeout(Duration::from_secs(2))
            .build()
            .await?;
        let state = Gateway {
            verifier: gateway_verifier.clone(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            forward: ForwardTokenLayer::new([orders.as_str()])?,
            orders: orders.clone(),
            shipping: shipping.clone(),
        };
        let gateway = Router::new()
            .route("/orders/{id}/items", get(items))
            .route("/orders/{id}/ship", post(ship))
            .route_layer(BearerAuthLayer::new(gateway_verifier).realm("gateway"))
            .with_state(state);
        Ok(Self { idp, orders, shipping, gateway })
    }

    /// A caller's token for the internal APIs with `scopes`, valid for eight hours.
    pub fn token(&self, subject: &str, scopes: &[&str]) -> String {
        self.idp
            .issuer()
            .token()
            .subject(subject)
            .audience(INTERNAL_AUDIENCE)
            .scopes(scopes.iter().copied())
            .expires_in(Duration::from_secs(8 * 3600))
            .sign()
    }
}
