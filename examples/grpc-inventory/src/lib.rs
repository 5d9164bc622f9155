//! The inventory gRPC service (`proto/inventory.proto`) on tonic, protected by scopegate:
//!
//! | method | needs |
//! |---|---|
//! | `/inventory.v1.Inventory/GetItem` | `inventory.read` |
//! | `/inventory.v1.Inventory/SetPrice` | `inventory.write` |
//! | `/inventory.v1.Inventory/DeleteItem` | `inventory.admin` and the role `admin` |
//! | any other method of `inventory.v1.Inventory` | refused (`PERMISSION_DENIED`) |
//! | `grpc.health.v1.Health`, `grpc.reflection.v1.ServerReflection` | nothing: open |
//!
//! The table is [`rules`]; the layer and the guard wrap the inventory service alone (by its
//! `NamedService` name), so health checks and reflection stay open; handlers read the verified
//! claims with `TonicRequestExt`. Refusals reach clients as gRPC statuses
//! (`UNAUTHENTICATED`, `PERMISSION_DENIED`, ...) with the challenge in the metadata.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = grpc_inventory::dev_issuer();
//! let (routes, _health) = grpc_inventory::routes(issuer.verifier()).await?;
//! # let _ = routes;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use scopegate::grpc::{GrpcMethods, TonicRequestExt};
use scopegate::{BearerAuthLayer, Error, GuardLayer, RoleRequirement, ScopeRequirement, Verifier};
use scopegate_testkit::TestIssuer;
use tonic::{Request, Response, Status};
use tonic_health::server::HealthReporter;
use tower_layer::Layer;

/// The generated messages, client and server of `proto/inventory.proto` (tonic-prost-build
/// 0.14.9 with protoc 3.21; regenerate with the command in `src/generated/README.md`).
#[allow(
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic
)]
pub mod pb {
    include!("generated/inventory.v1.rs");

    /// The file descriptor set of `inventory.proto`, for reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!("generated/inventory_descriptor.bin");
}

use pb::inventory_server::{Inventory, InventoryServer};
use pb::{DeleteItemRequest, DeleteItemResponse, GetItemRequest, Item, SetPriceRequest};

/// The issuer name of development tokens.
pub const ISSUER: &str = "https://dev-issuer.scopegate.local";
/// The audience of the inventory API.
pub const AUDIENCE: &str = "inventory-api";

/// The embedded development issuer (no identity provider needed).
pub fn dev_issuer() -> TestIssuer {
    TestIssuer::named(ISSUER).with_audience(AUDIENCE)
}

/// What each method needs, in one table. Methods of the service that it does not name are
/// refused.
///
/// # Errors
///
/// Never, for these constant paths and scopes.
pub fn rules() -> Result<GrpcMethods, Error> {
    GrpcMethods::new()
        .method("/inventory.v1.Inventory/GetItem", ScopeRequirement::all_of(["inventory.read"])?)?
        .method("/inventory.v1.Inventory/SetPrice", ScopeRequirement::all_of(["inventory.write"])?)?
        .method(
            "/inventory.v1.Inventory/DeleteItem",
            (ScopeRequirement::all_of(["inventory.admin"])?, RoleRequirement::new("admin")),
        )
}

/// The inventory, in memory: one item to start with.
#[derive(Debug)]
pub struct InventoryService {
    items: Mutex<BTreeMap<String, Item>>,
}

impl Default for InventoryService {
    fn default() -> Self {
        let item = Item {
            sku: "sku-1".to_owned(),
            name: "espresso cup".to_owned(),
            price_cents: 1200,
            asked_by: String::new(),
        };
        Self { items: Mutex::new(BTreeMap::from([(item.sku.clone(), item)])) }
    }
}

impl InventoryService {
    fn items(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Item>> {
        self.items.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `sku` of `items`, answered as asked by `subject`.
fn found(items: &BTreeMap<String, Item>, sku: &str, subject: &str) -> Result<Item, Status> {
    let item = items.get(sku).ok_or_else(|| Status::not_found(format!("no item {sku}")))?;
    Ok(Item { asked_by: subject.to_owned(), ..item.clone() })
}

#[tonic::async_trait]
impl Inventory for InventoryService {
    async fn get_item(&self, request: Request<GetItemRequest>) -> Result<Response<Item>, Status> {
        let subject = request.require_claims()?.subject().unwrap_or_default().to_owned();
        Ok(Response::new(found(&self.items(), &request.get_ref().sku, &subject)?))
    }

    async fn set_price(&self, request: Request<SetPriceRequest>) -> Result<Response<Item>, Status> {
        let subject = request.require_claims()?.subject().unwrap_or_default().to_owned();
        let SetPriceRequest { sku, price_cents } = request.into_inner();
        let mut items = self.items();
        if let Some(item) = items.get_mut(&sku) {
            item.price_cents = price_cents;
        }
        Ok(Response::new(found(&items, &sku, &subject)?))
    }

    async fn delete_item(
        &self,
        request: Request<DeleteItemRequest>,
    ) -> Result<Response<DeleteItemResponse>, Status> {
        // The guard judged the call; the handler still insists on a verified caller.
        request.require_claims()?;
        let deleted = self.items().remove(&request.get_ref().sku).is_some();
        Ok(Response::new(DeleteItemResponse { deleted }))
    }
}

/// The gRPC routes: the inventory behind the layer and its rules; health (reporting the
/// inventory as serving) and reflection open. Keep the reporter to change what health says.
///
/// # Errors
///
/// When reflection cannot read the descriptor set (never, for the checked-in one).
pub async fn routes(
    verifier: Verifier,
) -> Result<(tonic::service::Routes, HealthReporter), Box<dyn std::error::Error>> {
    // Optional: an anonymous call reaches the guard, whose table governs every method of the
    // service (those it does not name are refused), so none gets through, and the 401 names
    // the scopes of the method called.
    let inventory = BearerAuthLayer::new(verifier)
        .realm("inventory")
        .optional()
        .layer(GuardLayer::new(rules()?).layer(InventoryServer::new(InventoryService::default())));
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("inventory.v1.Inventory", tonic_health::ServingStatus::Serving)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let routes = tonic::service::Routes::new(inventory).add_service(health).add_service(reflection);
    Ok((routes, reporter))
}
