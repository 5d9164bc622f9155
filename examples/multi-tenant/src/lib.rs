//! One API for many tenants, each on its own host with its own issuer: `acme.localhost` takes
//! only tokens of acme's realm, `globex.localhost` only globex's. Tenants are not listed: any
//! realm of the issuer pattern is discovered on first use (bounded, see
//! [`scopegate::Tenants`]). Run it with `cargo run -p multi-tenant`.
//!
//! | route | needs |
//! |---|---|
//! | `GET /whoami` | a valid token of the host's tenant |
//! | `GET /reports` | `reports.read` |

#![forbid(unsafe_code)]

use axum::routing::get;
use axum::{Json, Router};
use scopegate::{
    BearerAuthLayer, Error, IssuerPattern, RequireScope, TenantFrom, Tenants, Verified, Verifier,
    scope,
};
use serde_json::{Value, json};

/// The audience every tenant's tokens must name.
pub const AUDIENCE: &str = "reports-api";

/// The service, behind [`BearerAuthLayer`] with `verifier`: the tenant is the host's label
/// under `domain` (`acme` for `acme.localhost`).
pub fn app(verifier: Verifier, domain: &str) -> Router {
    let layer = BearerAuthLayer::new(verifier)
        .realm("reports")
        .tenant_from(TenantFrom::subdomain_of(domain));
    Router::new().route("/whoami", get(whoami)).route("/reports", get(reports)).layer(layer)
}

async fn whoami(claims: Verified) -> Json<Value> {
    Json(json!({"tenant": claims.tenant(), "issuer": claims.issuer(), "sub": claims.subject()}))
}

async fn reports(_: RequireScope<scope!("reports.read")>, claims: Verified) -> Json<Value> {
    Json(json!({"tenant": claims.tenant(), "reports": []}))
}

/// A verifier that trusts every realm of `issuer_base` (`{issuer_base}/realms/{tenant}`, the
/// tenant a DNS label), for [`AUDIENCE`].
///
/// # Errors
///
/// When the pattern is not a URL scopegate accepts.
pub async fn verifier(issuer_base: &str) -> Result<Verifier, Error> {
    let realms = IssuerPattern::new(&format!("{issuer_base}/realms/{{tenant}}"))?
        .format(scopegate::TenantFormat::DnsLabel);
    Verifier::builder().audience(AUDIENCE).tenants(Tenants::pattern(realms)).build().await
}
