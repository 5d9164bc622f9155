//! One debug event per rejection, with the reason and never the token.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{bearer, echo, send};
use scopegate_testkit::TestIssuer;
use scopegate_tower::BearerAuthLayer;
use tower::ServiceBuilder;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn rejections_are_logged_without_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    let token = issuer.token().expired().sign();
    send(service, bearer(&token)).await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let events: Vec<&str> = log.lines().filter(|line| line.contains("request rejected")).collect();
    assert_eq!(events.len(), 1, "{log}");
    assert!(events[0].contains("DEBUG"), "{log}");
    assert!(events[0].contains("reason=the token has expired"), "{log}");
    assert!(events[0].contains("code=\"invalid_token\""), "{log}");
    let signature = token.rsplit('.').next().unwrap();
    assert!(!log.contains(signature) && !log.contains(&token[..30]), "{log}");
}
