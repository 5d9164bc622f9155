//! Two tenants (realms) behind one router: each issuer has its own keys and its own audience,
//! and a token is verified only with the keys of the issuer it names. Run it with
//! `cargo run -p multi-tenant`.
//!
//! | route | needs |
//! |---|---|
//! | `GET /whoami` | a valid token of either tenant |
//! | `GET /reports` | `reports.read` |

#![forbid(unsafe_code)]

use axum::routing::get;
use axum::{Json, Router};
use scopegate::{BearerAuthLayer, RequireScope, TrustedIssuer, Verified, Verifier, scope};
use scopegate_testkit::{TestIssuer, TestKey};
use serde_json::{Value, json};

/// The service, behind [`BearerAuthLayer`] with `verifier`.
pub fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/reports", get(reports))
        .layer(BearerAuthLayer::new(verifier).realm("reports"))
}

async fn whoami(claims: Verified) -> Json<Value> {
    Json(json!({"issuer": claims.issuer(), "sub": claims.subject(), "aud": claims.audience()}))
}

async fn reports(_: RequireScope<scope!("reports.read")>, claims: Verified) -> Json<Value> {
    let tenant = claims.issuer().rsplit('/').next().unwrap_or_default().to_owned();
    Json(json!({"tenant": tenant, "reports": []}))
}

/// Two development realms: `acme` (RSA keys, audience `acme-reports`) and `globex` (P-256
/// keys, audience `globex-reports`).
pub fn dev_tenants() -> [TestIssuer; 2] {
    [
        TestIssuer::named("https://dev-issuer.scopegate.local/realms/acme")
            .with_audience("acme-reports"),
        TestIssuer::named("https://dev-issuer.scopegate.local/realms/globex")
            .with_audience("globex-reports")
            .with_key(TestKey::ec_p256()),
    ]
}

/// A verifier that trusts both realms, each for its own audience only.
///
/// # Panics
///
/// Never in practice: the configuration is fixed.
#[allow(clippy::expect_used)]
pub fn dev_verifier(tenants: &[TestIssuer]) -> Verifier {
    tenants
        .iter()
        .fold(Verifier::builder(), |builder, tenant| {
            builder.trust(
                TrustedIssuer::new(tenant.issuer())
                    .audience(tenant.audience())
                    .keys(tenant.key_set()),
            )
        })
        .build_static()
        .expect("multi-tenant verifier")
}
