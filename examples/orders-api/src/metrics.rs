//! `/metrics` in the Prometheus text format: scopegate's counters (see
//! `scopegate::telemetry`) through `metrics-exporter-prometheus`, served by this router, not
//! by the exporter's own listener. On when `SCOPEGATE_METRICS=1`.
//!
//! ```no_run
//! let handle = orders_api::metrics::install().expect("the only recorder of the process");
//! let app: axum::Router = axum::Router::new().merge(orders_api::metrics::routes(handle));
//! ```

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

/// The Prometheus text format's content type.
pub const CONTENT_TYPE_PROMETHEUS: &str = "text/plain; version=0.0.4";

/// Installs the Prometheus recorder as the process's `metrics` recorder.
///
/// # Errors
///
/// When another recorder is installed already.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    PrometheusBuilder::new().install_recorder()
}

/// `GET /metrics`, open like `/health`: put it behind your network's own controls.
pub fn routes(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let body = handle.render();
            async move { ([(CONTENT_TYPE, CONTENT_TYPE_PROMETHEUS)], body) }
        }),
    )
}
