//! The grpc-inventory example end to end over tonic on 127.0.0.1: its rule table as clients see
//! it, health and reflection open beside the closed inventory, the handler reading the claims;
//! and its checked-in generated code still describing every method of its `.proto`.

use grpc_inventory::pb::inventory_client::InventoryClient;
use grpc_inventory::pb::{DeleteItemRequest, GetItemRequest, SetPriceRequest};
use prost::Message;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request};

async fn start() -> (Channel, scopegate_testkit::TestIssuer) {
    let issuer = grpc_inventory::dev_issuer();
    let (routes, health) = grpc_inventory::routes(issuer.verifier()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    tokio::spawn(async move {
        let _keep = health;
        Server::builder().add_routes(routes).serve_with_incoming(incoming).await
    });
    let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
    (channel, issuer)
}

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::test]
async fn the_inventory_answers_by_its_table_and_health_stays_open() {
    let (channel, issuer) = start().await;
    let mut inventory = InventoryClient::new(channel.clone());
    let get = || GetItemRequest { sku: "sku-1".to_owned() };
    let anonymous = inventory.get_item(get()).await.unwrap_err();
    assert_eq!((anonymous.code(), anonymous.message()), (Code::Unauthenticated, "this resource needs an access token"));
    assert_eq!(
        anonymous.metadata().get("www-authenticate").unwrap(),
        r#"Bearer realm="inventory", scope="inventory.read""#
    );
    // Every method, named or not, refuses an anonymous call, naming its scopes when it has some.
    let set = SetPriceRequest { sku: "sku-1".to_owned(), price_cents: 1500 };
    let anonymous_set = inventory.set_price(set.clone()).await.unwrap_err();
    assert_eq!(anonymous_set.code(), Code::Unauthenticated);
    assert_eq!(anonymous_set.metadata().get("www-authenticate").unwrap(), r#"Bearer realm="inventory", scope="inventory.write""#);
    let delete = || DeleteItemRequest { sku: "sku-1".to_owned() };
    let anonymous_delete = inventory.delete_item(delete()).await.unwrap_err();
    assert_eq!(anonymous_delete.metadata().get("www-authenticate").unwrap(), r#"Bearer realm="inventory", scope="inventory.admin""#);
    let reader = issuer.token().subject("alice").scopes(["inventory.read"]).sign();
    let item = inventory.get_item(with_token(get(), &reader)).await.unwrap().into_inner();
    assert_eq!((item.sku.as_str(), item.price_cents, item.asked_by.as_str()), ("sku-1", 1200, "alice"));
    let denied = inventory.set_price(with_token(set.clone(), &reader)).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let no_role = issuer.token().scopes(["inventory.admin"]).sign();
    assert_eq!(inventory.delete_item(with_token(delete(), &no_role)).await.unwrap_err().code(), Code::PermissionDenied);
    let admin = issuer.token().scopes(["inventory.admin"]).roles(["admin"]).sign();
    assert!(inventory.delete_item(with_token(delete(), &admin)).await.unwrap().into_inner().deleted);

    // Health, beside the closed inventory, needs no token.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let request = tonic_health::pb::HealthCheckRequest { service: "inventory.v1.Inventory".to_owned() };
    let status = health.check(request).await.unwrap().into_inner().status();
    assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving);
}

/// The checked-in generated code (made once with protoc) still matches `inventory.proto`:
/// every `rpc` of the file is a method of the descriptor, and the table names each one.
#[test]
fn the_generated_code_describes_every_method_of_the_proto() {
    let proto = include_str!("../../../examples/grpc-inventory/proto/inventory.proto");
    let mut in_proto: Vec<&str> = proto
        .lines()
        .filter_map(|line| line.trim().strip_prefix("rpc "))
        .map(|rest| rest.split('(').next().unwrap().trim())
        .collect();
    in_proto.sort_unstable();
    let descriptor = prost_types::FileDescriptorSet::decode(grpc_inventory::pb::FILE_DESCRIPTOR_SET).unwrap();
    let service = &descriptor.file[0].service[0];
    assert_eq!(service.name(), "Inventory");
    let mut described: Vec<&str> = service.method.iter().map(|method| method.name()).collect();
    described.sort_unstable();
    assert_eq!(described, in_proto);
    let table = format!("{:?}", grpc_inventory::rules().unwrap());
    for method in in_proto {
        assert!(table.contains(&format!("/inventory.v1.Inventory/{method}")), "{method} is not in the table");
    }
}
