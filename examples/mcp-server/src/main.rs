//! The MCP server example.
//!
//! ```text
//! cargo run -p mcp-server
//! ```
//!
//! Without configuration it runs an embedded development issuer and prints ready-made tokens
//! and curl commands (JSON-RPC bodies) with the answer each gets. The MCP endpoint is `/mcp`;
//! its RFC 9728 metadata is at `/.well-known/oauth-protected-resource/mcp`. To trust a real
//! identity provider (found through OIDC / RFC 8414 discovery):
//!
//! ```text
//! SCOPEGATE_ISSUER=https://id.example.com/realms/shop SCOPEGATE_AUDIENCE=https://mcp.example.com/mcp cargo run -p mcp-server
//! ```
//!
//! `SCOPEGATE_AUDIENCE` is also the resource identifier (default: this server's `/mcp` URL);
//! `SCOPEGATE_ADDR` changes the address (default `127.0.0.1:3004`); `RUST_LOG=debug` shows why
//! requests are refused. Without `SCOPEGATE_ISSUER`, a development authorization server runs on
//! `SCOPEGATE_DEV_AS_ADDR` (default `127.0.0.1:3005`) for MCP clients to log in to: it approves
//! every request, and is never for production.

#![forbid(unsafe_code)]

use std::env;
use std::error::Error;

use mcp_server::dev::{banner, login_banner, with_login};
use mcp_server::{app_with, scopes};
use scopegate::{ProtectedResource, Verifier};
use scopegate_testkit::DevAuthorizationServer;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let debug = env::var("RUST_LOG").is_ok_and(|v| v.contains("debug"));
    tracing_subscriber::fmt()
        .with_max_level(if debug { tracing::Level::DEBUG } else { tracing::Level::INFO })
        .with_writer(std::io::stderr)
        .init();
    let address = env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:3004".to_owned());
    let listener = TcpListener::bind(&address).await?;
    let base = format!("http://{}", listener.local_addr()?);

    let (mut authorization_server, mut downstream) = (None, None);
    let verifier = match env::var("SCOPEGATE_ISSUER") {
        Ok(issuer) => {
            let resource = env::var("SCOPEGATE_AUDIENCE").unwrap_or_else(|_| format!("{base}/mcp"));
            let resource = ProtectedResource::new(&resource)?.scopes_supported(scopes()?)?;
            let verifier = Verifier::builder()
                .issuer(issuer.clone())
                .protected_resource(resource)
                .build()
                .await?;
            println!("mcp-server on {base}/mcp trusts issuer {issuer}");
            verifier
        }
        Err(_) => {
            // The development authorization server: MCP clients log in to it (it approves
            // everything, as one development user).
            let resource = format!("{base}/mcp");
            let at =
                env::var("SCOPEGATE_DEV_AS_ADDR").unwrap_or_else(|_| "127.0.0.1:3005".to_owned());
            let scopes = scopes()?;
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            let server =
                DevAuthorizationServer::serve(TcpListener::bind(&at).await?, &resource, &scopes);
            // Clients known by a metadata document URL need no registration.
            server.fetch_client_metadata_with(scopegate::remote::HttpsClient::new());
            let (issuer, verifier, shipping) = with_login(&server, &base)?;
            println!("{}{}", banner(&issuer, &base), login_banner(&server.url(), &base));
            authorization_server = Some(server);
            downstream = Some(shipping);
            verifier
        }
    };
    println!("listening on {base}");
    axum::serve(listener, app_with(verifier, downstream)?)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    drop(authorization_server);
    Ok(())
}
