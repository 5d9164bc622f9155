//! The orders API example.
//!
//! ```text
//! cargo run -p orders-api
//! ```
//!
//! Without configuration it runs an embedded development issuer and prints ready-made tokens
//! and curl commands. To trust a real identity provider instead (found through OIDC / RFC 8414
//! discovery; plain http only for loopback):
//!
//! ```text
//! SCOPEGATE_ISSUER=https://id.example.com/realms/shop SCOPEGATE_AUDIENCE=orders-api cargo run -p orders-api
//! ```
//!
//! With `SCOPEGATE_INTROSPECTION_CLIENT_ID` and `SCOPEGATE_INTROSPECTION_CLIENT_SECRET` (this
//! API's credentials at that issuer), opaque tokens are introspected (RFC 7662) at the
//! issuer's discovered `introspection_endpoint`; JWTs keep being verified locally.
//!
//! `SCOPEGATE_DPOP=allowed` (or `required`) accepts DPoP-bound tokens (RFC 9449) with proofs
//! made for `SCOPEGATE_PUBLIC_URL` (default: the resource identifier); the development issuer
//! allows DPoP and prints a bound token with a proof.
//!
//! `SCOPEGATE_REDIS_URL` (`rediss://host:port`, or `redis://` on loopback) with
//! `SCOPEGATE_SHARED_SECRET` (32+ bytes, the same on every replica) shares DPoP replay checks
//! and introspection answers (sealed) with the other replicas of the API (`scopegate-redis`).
//!
//! `SCOPEGATE_JWKS_URI` skips discovery; `SCOPEGATE_RESOURCE` is the resource identifier its
//! RFC 9728 metadata document publishes (default: the listening address as
//! `http://host:port`); `SCOPEGATE_ADDR` changes the address (default `127.0.0.1:3000`);
//! `RUST_LOG=debug` shows why requests are rejected (a `scopegate.verify` span per verification).
//! `SCOPEGATE_METRICS=1` serves scopegate's counters at `/metrics` in the Prometheus format.
//! `SCOPEGATE_TLS_CERT` and `SCOPEGATE_TLS_KEY` serve HTTPS; `SCOPEGATE_TLS_CLIENT_CA` asks
//! clients for certificates of that CA, for certificate-bound tokens (RFC 8705; see
//! `orders_api::tls`). `SCOPEGATE_INTROSPECTION_FORMAT=jwt` asks for signed introspection
//! answers (RFC 9701). `SCOPEGATE_REVOCATION=1` takes back-channel logout tokens at
//! `/backchannel-logout` and security events (RFC 8935) at `/events`, and refuses the tokens
//! they revoke.

#![forbid(unsafe_code)]

use std::env;
use std::error::Error;

use orders_api::app;
use orders_api::config::{real_issuer, shared_state, with_shared_replay, with_shared_revocations};
use orders_api::dev::{DevIssuer, banner, protected_resource};
use orders_api::tls::tls_settings;
use scopegate::tls::{TlsSettings, serve_with_shutdown};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_max_level(if env::var("RUST_LOG").is_ok_and(|v| v.contains("debug")) {
            tracing::Level::DEBUG
        } else {
            tracing::Level::INFO
        })
        .with_writer(std::io::stderr)
        .init();
    let address = env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = TcpListener::bind(&address).await?;
    let tls = tls_settings(|name| env::var(name).ok()).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://{}", listener.local_addr()?);
    let client_certificates = tls.as_ref().is_some_and(TlsSettings::asks_for_client_certificates);
    let resource =
        protected_resource(&env::var("SCOPEGATE_RESOURCE").unwrap_or_else(|_| base.clone()))?
            .certificate_bound_tokens(client_certificates);
    let metadata = resource.metadata_url();

    let revocation = env::var("SCOPEGATE_REVOCATION").is_ok_and(|v| v == "1");
    let shared = shared_state(|name| env::var(name).ok()).await?;
    if shared.is_some() {
        println!(
            "orders-api shares DPoP replay checks, introspection answers and revocations on Redis"
        );
    }
    let verifier = match real_issuer(|name| env::var(name).ok(), resource.clone(), shared.as_ref())
    {
        Some(builder) => {
            let verifier = builder?.build().await?;
            println!(
                "orders-api on {base} trusts {}",
                verifier.issuers().collect::<Vec<_>>().join(", ")
            );
            for stats in verifier.key_source_stats() {
                let jwks = stats.jwks_uri.unwrap_or_default();
                println!("  keys from {jwks}: {} ({})", stats.keys, stats.key_ids.join(", "));
            }
            if !verifier.introspection_stats().is_empty() {
                println!("  opaque tokens are introspected");
            }
            verifier
        }
        None => {
            let issuer = DevIssuer::new();
            let public_url = env::var("SCOPEGATE_PUBLIC_URL").unwrap_or_else(|_| base.clone());
            let dpop = issuer.dpop_reader(&format!("{public_url}/orders"));
            println!("{}", banner(&issuer, &issuer.tokens(), &dpop, &base, &metadata));
            if revocation {
                println!(
                    "{}",
                    orders_api::revocation::banner(
                        issuer.test_issuer(),
                        orders_api::dev::AUDIENCE,
                        &base,
                        &metadata
                    )
                );
            }
            let builder = issuer.verifier_builder().protected_resource(resource);
            let builder = with_shared_revocations(builder, shared.as_ref());
            let dpop = with_shared_replay(issuer.dpop(&public_url)?, shared.as_ref());
            builder.dpop(dpop).build().await?
        }
    };
    let app = if revocation {
        app(verifier.clone()).merge(orders_api::revocation::routes(&verifier))
    } else {
        app(verifier)
    };
    #[cfg(feature = "metrics")]
    let app = if env::var("SCOPEGATE_METRICS").is_ok_and(|v| v == "1") {
        // scopegate's counters, in the Prometheus text format.
        println!("curl -s -o /dev/null -w '%{{http_code}}\\n' {base}/metrics   # 200");
        app.merge(orders_api::metrics::routes(orders_api::metrics::install()?))
    } else {
        app
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match tls {
        Some(settings) => {
            let clients =
                if client_certificates { ", asking clients for certificates" } else { "" };
            println!("listening on {base} (TLS{clients})");
            serve_with_shutdown(listener, settings, app, stop).await?;
        }
        None => {
            println!("listening on {base}");
            axum::serve(listener, app).with_graceful_shutdown(stop).await?;
        }
    }
    Ok(())
}
