//! A gateway in front of two services, all three on loopback ports talking real HTTP, with the
//! embedded test identity provider (discovery, keys, token exchange). Curity's two ways of
//! calling downstream APIs:
//!
//! - **orders** trusts tokens for the internal APIs (`aud: internal-apis`): the gateway
//!   forwards the caller's token ([`ForwardTokenLayer`](scopegate::ForwardTokenLayer), to the orders origin only), and orders
//!   checks its own scope (`order:item`).
//! - **shipping** is less trusted and accepts only tokens for itself (`aud: shipping-api`) with
//!   `shipping.write`: the gateway exchanges the caller's token (RFC 8693) for one with only
//!   that scope, same user, never longer.
//!
//! | gateway route | needs | calls |
//! |---|---|---|
//! | `GET /orders/{id}/items` | `order:item` (or `order`) | orders, with the caller's token |
//! | `POST /orders/{id}/ship` | `order` | shipping, with an exchanged token |
//!
//! Each downstream answers what it saw: its name, the token's subject, audience and scopes.

#![forbid(unsafe_code)]

mod services;

pub use services::{Deployment, GATEWAY_CLIENT_ID, INTERNAL_AUDIENCE, SHIPPING_AUDIENCE};
