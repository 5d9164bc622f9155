//! A gateway in front of a downstream service, with tower layers only (no axum extractors):
//! the entry point enforces high-level, hierarchical scopes (Curity's "Enforcing Scopes in API
//! Gateways") and forwards what passes. `order` grants `order:item` and
//! `order:shipping:status`; an expired token gets `401`, a missing scope `403`. Run it with
//! `cargo run -p gateway`.
//!
//! | route | needs |
//! |---|---|
//! | `GET /orders/{id}` | `order` |
//! | `GET /orders/{id}/items` | `order:item` (or `order`) |
//! | `GET /orders/{id}/shipping/status` | `order:shipping:status` (or `order:shipping`, or `order`) |

#![forbid(unsafe_code)]

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::routing::get_service;
use scopegate::{BearerAuthLayer, Claims, RequireScopeLayer, ScopePolicy, Verifier};
use scopegate_testkit::TestIssuer;
use serde_json::json;
use tower::ServiceBuilder;

/// The downstream API: it trusts the gateway and echoes what it was asked, with the caller.
async fn downstream(request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let caller = request.extensions().get::<Claims>().and_then(|c| c.subject().map(str::to_owned));
    let body = json!({"forwarded": request.uri().path(), "caller": caller});
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::OK;
    Ok(response)
}

fn guarded(scope: &str) -> axum::routing::MethodRouter {
    #[allow(clippy::expect_used)]
    let guard = RequireScopeLayer::all_of([scope]).expect("the routes' scopes are valid");
    get_service(ServiceBuilder::new().layer(guard).service_fn(downstream))
}

/// The gateway. `verifier` must use [`ScopePolicy::hierarchical`] with `:`; see
/// [`dev_verifier`].
pub fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/orders/{id}", guarded("order"))
        .route("/orders/{id}/items", guarded("order:item"))
        .route("/orders/{id}/shipping/status", guarded("order:shipping:status"))
        .layer(BearerAuthLayer::new(verifier).realm("gateway"))
}

/// A development issuer.
pub fn dev_issuer() -> TestIssuer {
    TestIssuer::named("https://dev-issuer.scopegate.local/gateway").with_audience("orders-gateway")
}

/// A verifier for `issuer` with hierarchical scopes.
///
/// # Panics
///
/// Never in practice: the configuration is fixed.
#[allow(clippy::expect_used)]
pub fn dev_verifier(issuer: &TestIssuer) -> Verifier {
    issuer
        .verifier_builder()
        .scope_policy(ScopePolicy::hierarchical(':'))
        .build_static()
        .expect("gateway verifier")
}
