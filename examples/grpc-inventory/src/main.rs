//! The inventory gRPC service on the embedded development issuer: prints tokens and client
//! commands, each announcing the gRPC status it gets.
//!
//! ```text
//! cargo run -p grpc-inventory    # 127.0.0.1:50051; SCOPEGATE_ADDR changes it
//! ```
//!
//! Health checks (`grpc.health.v1.Health`) and reflection (`grpc.reflection.v1`) are open, so
//! `grpcurl -plaintext 127.0.0.1:50051 list` works without a token; the inventory's methods
//! need the scopes of `grpc_inventory::rules`.

#![forbid(unsafe_code)]

use std::env;
use std::time::Duration;

use grpc_inventory::{dev_issuer, routes};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let issuer = dev_issuer();
    let (routes, _health) = routes(issuer.verifier()).await?;
    let lifetime = Duration::from_secs(8 * 3600);
    let token = |subject: &str, scopes: &[&str]| {
        issuer.token().subject(subject).scopes(scopes.iter().copied()).expires_in(lifetime)
    };
    let tokens = [
        ("READER", token("alice", &["inventory.read"]).sign()),
        ("WRITER", token("bob", &["inventory.write"]).sign()),
        ("NO_ROLE", token("dave", &["inventory.admin"]).sign()),
        ("ADMIN", token("carol", &["inventory.admin"]).roles(["admin"]).sign()),
        ("EXPIRED", token("erin", &["inventory.read"]).expired().sign()),
    ];
    println!("grpc-inventory on {base}, trusting the development issuer {}\n", issuer.issuer());
    for (name, token) in &tokens {
        println!("export {name}={token}");
    }
    let client = "cargo run -q -p grpc-inventory --bin inventory-client --";
    println!();
    for (arguments, answer) in [
        ("health", "OK SERVING"),
        ("get sku-1", "UNAUTHENTICATED: this resource needs an access token"),
        ("get sku-1 \"$READER\"", "OK sku-1 espresso cup 1200 asked by alice"),
        ("get sku-1 \"$EXPIRED\"", "UNAUTHENTICATED: the token has expired"),
        (
            "set-price sku-1 1500 \"$READER\"",
            "PERMISSION_DENIED: the token lacks a scope this resource requires",
        ),
        ("set-price sku-1 1500 \"$WRITER\"", "OK sku-1 espresso cup 1500 asked by bob"),
        (
            "delete sku-1 \"$NO_ROLE\"",
            "PERMISSION_DENIED: the token lacks a role this resource requires",
        ),
        ("delete sku-1 \"$ADMIN\"", "OK deleted"),
    ] {
        println!("{client} {base} {arguments}   # {answer}");
    }
    println!("\nlistening on {base}");
    Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
