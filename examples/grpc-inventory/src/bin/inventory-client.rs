//! A small client of the inventory service, for the commands `grpc-inventory` prints: one call,
//! one line out, `OK ...` or the gRPC status name and message.
//!
//! ```text
//! inventory-client <url> health
//! inventory-client <url> get <sku> [token]
//! inventory-client <url> set-price <sku> <cents> [token]
//! inventory-client <url> delete <sku> [token]
//! ```

#![forbid(unsafe_code)]

use grpc_inventory::pb::inventory_client::InventoryClient;
use grpc_inventory::pb::{DeleteItemRequest, GetItemRequest, Item, SetPriceRequest};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [url, command, rest @ ..] = arguments.as_slice() else {
        return Err("usage: inventory-client <url> health|get|set-price|delete ...".into());
    };
    let channel = Channel::from_shared(url.clone())?.connect().await?;
    let mut inventory = InventoryClient::new(channel.clone());
    let line = match (command.as_str(), rest) {
        ("health", []) => {
            let request = HealthCheckRequest { service: "inventory.v1.Inventory".to_owned() };
            match HealthClient::new(channel).check(request).await {
                Ok(answer) => format!("OK {}", answer.into_inner().status().as_str_name()),
                Err(status) => refused(&status),
            }
        }
        ("get", [sku, token @ ..]) => {
            let request = authorized(GetItemRequest { sku: sku.clone() }, token.first())?;
            item(inventory.get_item(request).await)
        }
        ("set-price", [sku, cents, token @ ..]) => {
            let request = SetPriceRequest { sku: sku.clone(), price_cents: cents.parse()? };
            item(inventory.set_price(authorized(request, token.first())?).await)
        }
        ("delete", [sku, token @ ..]) => {
            let request = authorized(DeleteItemRequest { sku: sku.clone() }, token.first())?;
            match inventory.delete_item(request).await {
                Ok(answer) if answer.get_ref().deleted => "OK deleted".to_owned(),
                Ok(_) => "OK not found".to_owned(),
                Err(status) => refused(&status),
            }
        }
        _ => return Err(format!("unknown command `{command}`").into()),
    };
    println!("{line}");
    Ok(())
}

/// `message` with `authorization: Bearer <token>` when there is a token.
fn authorized<T>(
    message: T,
    token: Option<&String>,
) -> Result<Request<T>, Box<dyn std::error::Error>> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse()?);
    }
    Ok(request)
}

fn item(answer: Result<tonic::Response<Item>, Status>) -> String {
    match answer {
        Ok(answer) => {
            let Item { sku, name, price_cents, asked_by } = answer.into_inner();
            format!("OK {sku} {name} {price_cents} asked by {asked_by}")
        }
        Err(status) => refused(&status),
    }
}

/// `CODE_NAME: message`, the code as gRPC names it (`UNAUTHENTICATED`).
fn refused(status: &Status) -> String {
    let name = match status.code() {
        Code::Unauthenticated => "UNAUTHENTICATED",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::Unavailable => "UNAVAILABLE",
        Code::NotFound => "NOT_FOUND",
        Code::Unimplemented => "UNIMPLEMENTED",
        _ => "OTHER",
    };
    format!("{name}: {}", status.message())
}
